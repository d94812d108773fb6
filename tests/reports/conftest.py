"""The reports. tests build on the journal's fixtures (people, timetable, journal)."""

from tests.journal.conftest import journal  # noqa: F401  (the fixture, for this folder)
