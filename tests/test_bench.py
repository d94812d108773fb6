"""`manage.py bench` prints its table of measures (R-TT-2: the year's lessons of a school).
The structure is tested, never the timing: figures depend on the machine."""

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import School, User
from schedule.models import Lesson, TimetableEntry

pytestmark = pytest.mark.django_db

LESSON_ROWS = (
    "lessons: school built",
    "lessons: classes",
    "lessons: building the school (demo generator)",
    "lessons: weekly timetable",
    "lessons: weekly lessons left unplaced",
    "lessons: year",
    "lessons: dated lessons created",
    "lessons: generation of the year's lessons",
    "lessons: generation rate",
    "lessons: entry_clashes, one entry (median of 5)",
    "lessons: clashes found for that entry",
)
NUMBER = r"-?\d[\d ]*(?:\.\d+)?"


def bench(*args) -> str:
    out = io.StringIO()
    call_command("bench", "--only", "lessons", "--students", "30", *args, stdout=out)
    return out.getvalue()


def table(output: str) -> dict[str, tuple[float, str, str]]:
    """The rows under the header line `name value unit goal` and its dashes."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if re.match(r"name\s+value\s+unit\s+goal", line))
    assert set(lines[start + 1]) == {"-", " "}
    rows = {}
    for line in lines[start + 2 :]:
        match = re.fullmatch(rf"(lessons: .+?)\s+({NUMBER})(?:\s+(\S+))?(?:\s+(.+))?", line)
        assert match, line
        name, value, unit, goal = match.groups()
        rows[name] = (float(value.replace(" ", "")), unit or "", goal or "")
    return rows


def test_r_tt_2_bench_lessons_prints_the_table_and_leaves_no_school():
    output = bench()
    assert output.startswith("Otmetka benchmark")
    assert "sections: lessons" in output
    rows = table(output)
    assert tuple(rows) == LESSON_ROWS
    students, _unit, _goal = rows["lessons: school built"]
    assert 20 <= students <= 40
    created, unit, _goal = rows["lessons: dated lessons created"]
    weekly = rows["lessons: weekly timetable"][0]
    assert unit == "lessons" and weekly * 30 < created < weekly * 40
    assert rows["lessons: generation of the year's lessons"][1:] == ("s", "< 10 s")
    assert rows["lessons: generation rate"][1] == "lessons/s"
    assert rows["lessons: entry_clashes, one entry (median of 5)"][1] == "ms"
    assert rows["lessons: weekly lessons left unplaced"][0] == 0
    assert rows["lessons: clashes found for that entry"][0] == 0
    # the bench school is deleted after the measure
    assert not School.objects.filter(slug="bench-lessons").exists()
    assert not User.objects.filter(username__startswith="bench-lessons").exists()
    assert not Lesson.objects.exists()


def test_bench_keep_leaves_the_school_and_a_second_run_replaces_it():
    bench("--keep")
    first = School.objects.get(slug="bench-lessons")
    output = bench("--keep")
    school = School.objects.get(slug="bench-lessons")
    assert school.pk != first.pk
    created = table(output)["lessons: dated lessons created"][0]
    assert Lesson.objects.filter(school=school).count() == created
    assert (
        TimetableEntry.objects.filter(school=school).count()
        == (table(output)["lessons: weekly timetable"][0])
    )
    assert User.objects.filter(username=f"{school.slug}-admin").exists()


def test_bench_does_not_touch_other_schools(people):
    bench()
    assert School.objects.filter(slug__in=["lyceum", "gymnasium"]).count() == 2


def test_bench_refuses_an_unknown_section_and_no_students():
    with pytest.raises(CommandError):
        call_command("bench", "--only", "nothing", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--students"):
        call_command("bench", "--students", "0", stdout=io.StringIO())
