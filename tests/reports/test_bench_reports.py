"""reports/bench.py, the `reports` section of `manage.py bench` (R-NOT-1, R-NOT-2): on a tiny
demo school, the Friday reports job's rows (time, PDFs, PDFs per second, notices, queries)
and the month's printed reports; the school, its files and its notices are gone after. The
structure is tested, never the timing."""

import datetime as dt
import os

import pytest

from accounts.models import School, User
from notifications.models import Notification
from reports.bench import SLUG, friday_pick, section_reports
from reports.models import ParentReport
from schedule.management.commands.bench import Options

pytestmark = pytest.mark.django_db


def test_r_not_1_the_bench_section_measures_the_friday_reports(settings):
    said = []
    rows = {
        row.name: row
        for row in section_reports(Options(students=30, seed=1, keep=False, say=said.append))
    }
    students = rows["reports: school built"].value
    assert 20 <= students <= 40
    assert rows["reports: Friday reported on"].value == "2026-10-02"  # before Tue 06.10
    assert rows["reports: weekly PDFs made"].value == students
    assert rows["reports: weekly reports job (PARENT_REPORT), total"].unit == "s"
    assert rows["reports: weekly PDFs per second"].value > 0
    assert rows["reports: notices to parents"].value >= students  # a parent or two each
    classes = rows["reports: classes"].value
    per_class = rows["reports: job queries per class"]
    assert per_class.goal == "fixed" and per_class.value <= 20
    assert rows["reports: job queries"].value <= 20 * classes
    assert rows["reports: class PDFs of the month"].value >= 1
    assert rows["reports: reminders to class teachers"].value >= 1
    assert not any(name.endswith("not available") for name in rows)
    assert any("weekly reports" in line for line in said)
    # nothing left: the school, its people, its reports, its notices, its files
    assert not School.objects.filter(slug=SLUG).exists()
    assert not User.objects.filter(username__startswith=f"{SLUG}.").exists()
    assert not ParentReport.objects.exists() and not Notification.objects.exists()
    assert not os.listdir(os.path.join(settings.MEDIA_ROOT, "reports"))


def test_the_friday_is_the_last_one_of_the_year_so_far():
    class Year:
        starts_on = dt.date(2026, 9, 1)
        ends_on = dt.date(2027, 5, 31)

    assert friday_pick(Year, dt.date(2026, 10, 9)) == dt.date(2026, 10, 9)
    assert friday_pick(Year, dt.date(2026, 10, 12)) == dt.date(2026, 10, 9)
    assert friday_pick(Year, dt.date(2027, 7, 1)) == dt.date(2027, 5, 28)
    assert friday_pick(Year, dt.date(2026, 8, 20)) == dt.date(2026, 9, 4)
