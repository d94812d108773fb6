"""`manage.py bench --only journal` (journal/bench.py) prints its rows: the journal page of a
course against the raw SQL of its data, and a mark's save by the service and by the cell's
POST. The structure is tested, never the timing: figures depend on the machine."""

import io
import re

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch

from accounts.models import School, User
from journal import bench as journal_bench
from journal.models import Mark
from schedule.models import Lesson

pytestmark = pytest.mark.django_db

NUMBER = r"-?\d[\d ]*(?:\.\d+)?"
MEASURED = (
    "journal: raw SQL of the page's data, p50",
    "journal: page GET, p50 of 30",
    "journal: page GET, p95 of 30",
    "journal: page queries (the user's included)",
    "journal: page / raw SQL",
    "journal: mark save, service mark_set, p50 of 30",
    "journal: mark save, POST journal_cell (htmx), p50 of 30",
    "journal: mark save, POST journal_cell, p95 of 30",
    "journal: mark save, POST queries",
)


def bench(*args) -> str:
    out = io.StringIO()
    call_command("bench", "--only", "journal", "--students", "30", *args, stdout=out)
    return out.getvalue()


def table(output: str) -> dict[str, tuple[str, str, str]]:
    """name -> (value, unit, goal) of the rows under the header and its dashes."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if re.match(r"name\s+value\s+unit\s+goal", line))
    widths = [len(part) for part in lines[start + 1].split("  ")]
    rows = {}
    for line in lines[start + 2 :]:
        cells, at = [], 0
        for width in widths:
            cells.append(line[at : at + width].strip())
            at += width + 2
        name, value, unit, goal = cells
        assert name.startswith("journal: "), line
        rows[name] = (value, unit, goal)
    return rows


def number(value: str) -> float:
    assert re.fullmatch(NUMBER, value), value
    return float(value.replace(" ", ""))


def test_bench_journal_measures_the_page_and_the_save_and_leaves_no_school():
    output = bench()
    assert "sections: journal" in output
    rows = table(output)
    for name in MEASURED:
        assert name in rows, name
        assert number(rows[name][0]) > 0, name
    assert rows["journal: page GET, p50 of 30"][1:] == ("ms", "≤ 40 ms")
    assert rows["journal: page / raw SQL"][1:] == ("×", "≤ 3×")
    assert rows["journal: page queries (the user's included)"][2] == "≤ 10"
    assert number(rows["journal: page queries (the user's included)"][0]) <= 12
    assert rows["journal: mark save, service mark_set, p50 of 30"][1:] == ("ms", "≤ 15 ms")
    assert rows["journal: mark save, POST journal_cell (htmx), p50 of 30"][2] == "≤ 15 ms"
    assert number(rows["journal: marks in the school"][0]) > 0
    assert 2 <= number(rows["journal: students in the course measured"][0]) <= 4
    assert not School.objects.filter(slug="bench-journal").exists()
    assert not User.objects.filter(username__startswith="bench-journal").exists()
    assert not Lesson.objects.exists() and not Mark.objects.exists()


def test_bench_journal_says_not_available_for_pages_that_do_not_exist(monkeypatch):
    """Written while the grid was: a missing URL name prints a row, not a traceback."""

    def missing(name, *args, **kwargs):
        raise NoReverseMatch(name)

    monkeypatch.setattr(journal_bench, "reverse", missing)
    rows = table(bench())
    assert rows["journal: page GET (journal_course)"][0] == "not available"
    assert rows["journal: mark save, POST journal_cell"][0] == "not available"
    assert number(rows["journal: mark save, service mark_set, p50 of 30"][0]) > 0
    assert number(rows["journal: raw SQL of the page's data, p50"][0]) > 0


def test_raw_sql_fetches_what_the_page_shows():
    bench("--keep")
    school = School.objects.get(slug="bench-journal")
    load = journal_bench.course_pick(school)
    assert load.group.is_whole_class and load.hours_per_week >= 4
    period = journal_bench.period_pick_current(load.group.school_class, school.today())
    lessons, roster, marks, attendance, period_marks = journal_bench.raw_sql(
        school.pk, load.group, load.subject_id, period
    )()
    in_period = Lesson.objects.filter(
        group=load.group, subject=load.subject, date__range=(period.starts_on, period.ends_on)
    )
    assert lessons == in_period.count()
    assert roster == load.size
    assert marks == Mark.objects.filter(lesson__in=in_period).count() > 0
    assert attendance >= 0 and period_marks == 0  # the current period has not ended
