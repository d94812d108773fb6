"""The dispatcher's calendar (R-TEN-2): every deadline is the school's local time on the
school's local day, in any zone and across a switch to or from summer time; weekends of the
school's study week and its holidays are skipped; weekly jobs move off holidays; the
monthly printed reports go on the first school day; switches and times come from the
school's settings (R-TEN-3)."""

import datetime as dt

import pytest

from notifications.models import DeadlineRun
from schedule.models import GradeLevel, PeriodKind, ReportingPeriod

from . import engine_fixtures
from .engine_fixtures import K, created, day_kinds, dispatch_at, holiday, local, school_in

jobs = engine_fixtures.jobs  # the fixture
registry = engine_fixtures.registry

pytestmark = pytest.mark.django_db

DAILY = {
    K.LESSON_CONTENT_DEPUTY,  # 08:00, about the day before
    K.FIRST_ATTENDANCE,  # 09:30
    K.FIRST_ATTENDANCE_DEPUTY,  # 10:00
    K.ABSENCE_REASONS,  # 10:00
    K.ABSENCE_DIGEST,  # 14:00
    K.LESSON_CONTENT,  # 16:00
}
MON, TUE, WED, THU, FRI, SAT, SUN = (dt.date(2026, 10, d) for d in range(5, 12))
NEXT_MON, NEXT_TUE = dt.date(2026, 10, 12), dt.date(2026, 10, 13)


# --- time zones ---------------------------------------------------------------------------


def test_r_ten_2_one_utc_moment_is_a_different_local_time_in_each_school(jobs):
    """R-TEN-2: at 02:30 UTC it is 09:30 in Tomsk (+7), 04:30 in Kaliningrad (+2) and 14:30
    in Kamchatka (+12): each school gets the deadlines passed in its own local time."""
    tomsk = school_in("tomsk", "Asia/Tomsk")
    kaliningrad = school_in("kaliningrad", "Europe/Kaliningrad")
    kamchatka = school_in("kamchatka", "Asia/Kamchatka")
    moment = dt.datetime(2026, 10, 6, 2, 30, tzinfo=dt.UTC)

    report = dispatch_at(moment)

    assert report.schools == 3
    assert created(report, tomsk) == {K.LESSON_CONTENT_DEPUTY, K.FIRST_ATTENDANCE}
    assert created(report, kaliningrad) == set()
    assert created(report, kamchatka) == DAILY - {K.LESSON_CONTENT}
    first = DeadlineRun.objects.filter(kind=K.FIRST_ATTENDANCE)
    assert first.get(school=tomsk).due_at == moment
    assert first.get(school=kamchatka).due_at == dt.datetime(2026, 10, 5, 21, 30, tzinfo=dt.UTC)
    assert {r.date for r in first} == {TUE}


def test_r_ten_2_the_day_is_the_schools_local_day(jobs):
    """R-TEN-2: at 21:30 UTC on Monday it is already Tuesday 09:30 in Kamchatka and still
    Monday 23:30 in Kaliningrad: each run carries the school's own date."""
    kaliningrad = school_in("kaliningrad", "Europe/Kaliningrad")
    kamchatka = school_in("kamchatka", "Asia/Kamchatka")

    report = dispatch_at(dt.datetime(2026, 10, 5, 21, 30, tzinfo=dt.UTC))

    assert created(report, kamchatka) == {K.LESSON_CONTENT_DEPUTY, K.FIRST_ATTENDANCE}
    assert set(DeadlineRun.objects.filter(school=kamchatka).values_list("date", flat=True)) == {TUE}
    # Monday in Kaliningrad: every daily job and the Monday reconciliation
    assert created(report, kaliningrad) == DAILY | {K.RECONCILIATION}
    assert set(DeadlineRun.objects.filter(school=kaliningrad).values_list("date", flat=True)) == {
        MON
    }


@pytest.mark.parametrize("zone", ["Asia/Tomsk", "Europe/Kaliningrad", "Asia/Kamchatka"])
def test_r_att_1_before_half_past_nine_local_nothing_at_half_past_nine_the_run(jobs, zone):
    """R-ATT-1, R-TEN-2: the 9:30 job is not due a second before 9:30 local; at 9:30:00
    exactly it is created, on time (not late)."""
    school = school_in("school", zone)
    deadline = local(school, TUE, "09:30")

    early = dispatch_at(deadline - dt.timedelta(seconds=1), [school])
    assert K.FIRST_ATTENDANCE not in created(early)
    on_time = dispatch_at(deadline, [school])

    assert created(on_time) == {K.FIRST_ATTENDANCE}
    run = DeadlineRun.objects.get(school=school, kind=K.FIRST_ATTENDANCE)
    assert (run.date, run.due_at, run.late, run.created_at) == (TUE, deadline, False, deadline)


# --- summer time ---------------------------------------------------------------------------


SPRING_YEAR = (dt.date(2025, 9, 1), dt.date(2026, 5, 31))


@pytest.mark.parametrize(
    ("zone", "year", "before", "after", "utc_before", "utc_after"),
    [
        # Berlin to summer time on Sunday 29 March 2026: 9:30 is 08:30 UTC on the Saturday
        # (a 6-day week) and 07:30 UTC on the Monday
        (
            "Europe/Berlin",
            SPRING_YEAR,
            dt.date(2026, 3, 28),
            dt.date(2026, 3, 30),
            "08:30",
            "07:30",
        ),
        # back to winter time on Sunday 25 October 2026
        ("Europe/Berlin", None, dt.date(2026, 10, 23), dt.date(2026, 10, 26), "07:30", "08:30"),
        # New York back on Sunday 1 November 2026
        ("America/New_York", None, dt.date(2026, 10, 30), dt.date(2026, 11, 2), "13:30", "14:30"),
        # Moscow has no summer time: the same UTC moment on both sides of Berlin's switches
        (
            "Europe/Moscow",
            SPRING_YEAR,
            dt.date(2026, 3, 28),
            dt.date(2026, 3, 30),
            "06:30",
            "06:30",
        ),
        ("Europe/Moscow", None, dt.date(2026, 10, 23), dt.date(2026, 10, 26), "06:30", "06:30"),
    ],
)
def test_r_ten_2_the_local_deadline_follows_summer_time(
    jobs, zone, year, before, after, utc_before, utc_after
):
    """R-TEN-2: 9:30 local is due at its UTC moment of that day, whatever the offset was the
    day before: the day before a switch and the day after it the UTC moment differs by the
    hour the clocks moved (and not at all in a zone without summer time)."""
    school = school_in("school", zone, year=year, study_days=6)
    for day, utc in ((before, utc_before), (after, utc_after)):
        hours, minutes = (int(x) for x in utc.split(":"))
        moment = dt.datetime.combine(day, dt.time(hours, minutes), tzinfo=dt.UTC)

        assert K.FIRST_ATTENDANCE not in created(
            dispatch_at(moment - dt.timedelta(minutes=1), [school])
        )
        assert K.FIRST_ATTENDANCE in created(dispatch_at(moment, [school]))

        run = DeadlineRun.objects.get(school=school, kind=K.FIRST_ATTENDANCE, date=day)
        assert run.due_at == moment and not run.late
        assert run.due_at == local(school, day, "09:30")


# --- the study week and holidays -----------------------------------------------------------


def test_r_ten_2_a_five_day_school_has_no_jobs_at_the_weekend(jobs):
    school = school_in("five", "Asia/Tomsk", study_days=5)

    assert day_kinds(school, FRI) == DAILY | {K.PARENT_REPORT, K.FAILING}
    assert day_kinds(school, SAT) == set()
    assert day_kinds(school, SUN) == set()
    assert day_kinds(school, NEXT_MON) == DAILY | {K.RECONCILIATION}


def test_r_ten_2_a_six_day_school_has_its_daily_jobs_on_saturday(jobs):
    school = school_in("six", "Asia/Yekaterinburg", study_days=6)

    assert day_kinds(school, SAT) == DAILY
    assert day_kinds(school, SUN) == set()


def test_r_ten_2_saturday_is_a_school_day_when_some_grade_studies_on_it(jobs):
    """Grades 1-4 study five days, 5-11 six: the school works on Saturday."""
    school = school_in("mixed", "Europe/Moscow", study_days=5)
    GradeLevel.objects.filter(school=school, grade__gte=5).update(study_days=6)

    assert day_kinds(school, SAT) == DAILY


def test_r_ten_2_no_jobs_in_a_holiday_of_the_whole_school(jobs):
    school = school_in("school", "Asia/Tomsk")
    holiday(school, WED)
    holiday(school, dt.date(2026, 10, 26), dt.date(2026, 11, 3), name="Осенние каникулы")

    assert day_kinds(school, WED) == set()
    assert day_kinds(school, dt.date(2026, 10, 27)) == set()
    assert day_kinds(school, THU) == DAILY


def test_r_ten_2_a_holiday_of_some_grades_is_still_a_school_day(jobs):
    """A day off for the first grade only (additional February vacation, say): the other
    grades study, so the jobs run; a day off for every grade the school has is none."""
    school = school_in("school", "Asia/Tomsk", study_days=5)
    holiday(school, WED, grades="1")
    primary = school_in("primary", "Asia/Tomsk")
    GradeLevel.objects.bulk_create(
        GradeLevel(school=primary, year=primary.academic_year, grade=g) for g in (1, 2, 3, 4)
    )
    holiday(primary, WED, grades="1, 2,3,4")

    assert day_kinds(school, WED) == DAILY
    assert day_kinds(primary, WED) == set()


def test_r_ten_2_no_jobs_outside_the_academic_year(jobs):
    school = school_in("school", "Asia/Tomsk")

    assert day_kinds(school, dt.date(2026, 8, 31)) == set()
    # Tuesday 1 September: the month's first school day, and the week's (Monday was summer)
    assert day_kinds(school, dt.date(2026, 9, 1)) == DAILY | {K.PRINT_BATCH, K.RECONCILIATION}


# --- weekly and monthly jobs ---------------------------------------------------------------


def test_r_not_1_the_friday_report_moves_to_thursday_when_friday_is_a_holiday(jobs):
    """R-NOT-1, R-NOT-3: the weekly report and the failing students go on the last school
    day before a holiday Friday, in the same week; the next week on Friday again."""
    school = school_in("school", "Asia/Tomsk")
    holiday(school, FRI)

    assert day_kinds(school, THU) == DAILY | {K.PARENT_REPORT, K.FAILING}
    assert day_kinds(school, FRI) == set()
    assert K.PARENT_REPORT in day_kinds(school, dt.date(2026, 10, 16))


def test_r_not_1_the_report_day_is_the_schools_setting(jobs):
    school = school_in("school", "Asia/Tomsk", parent_report_weekday=2)

    assert day_kinds(school, WED) == DAILY | {K.PARENT_REPORT}
    assert day_kinds(school, FRI) == DAILY | {K.FAILING}


def test_r_att_3_the_monday_reconciliation_moves_to_tuesday_after_a_holiday_monday(jobs):
    """R-ATT-3: reconciliation on Monday; on a holiday Monday, on the first school day after
    it; never twice a week."""
    school = school_in("school", "Asia/Tomsk")
    holiday(school, NEXT_MON)

    assert day_kinds(school, MON) == DAILY | {K.RECONCILIATION}
    assert day_kinds(school, TUE) == DAILY
    assert day_kinds(school, NEXT_MON) == set()
    assert day_kinds(school, NEXT_TUE) == DAILY | {K.RECONCILIATION}


def test_r_not_2_printed_reports_on_the_first_school_day_of_the_month(jobs):
    """R-NOT-2: October starts on a Thursday; November's first days are the autumn vacation
    and the 4 November holiday, so its first school day is Thursday 5 November."""
    school = school_in("school", "Asia/Tomsk")
    holiday(school, dt.date(2026, 10, 26), dt.date(2026, 11, 3), name="Осенние каникулы")
    holiday(school, dt.date(2026, 11, 4), name="День народного единства")

    assert K.PRINT_BATCH in day_kinds(school, dt.date(2026, 10, 1))
    assert K.PRINT_BATCH not in day_kinds(school, dt.date(2026, 10, 2))
    assert day_kinds(school, dt.date(2026, 11, 2)) == set()
    assert K.PRINT_BATCH in day_kinds(school, dt.date(2026, 11, 5))
    assert K.PRINT_BATCH not in day_kinds(school, dt.date(2026, 11, 6))


def quarter_ending(school, ends_on: dt.date) -> ReportingPeriod:
    return ReportingPeriod.objects.create(
        school=school,
        year=school.academic_year,
        kind=PeriodKind.QUARTER,
        number=1,
        starts_on=dt.date(2026, 9, 1),
        ends_on=ends_on,
    )


def test_r_mrk_8_r_fin_1_period_jobs_in_the_schools_time(jobs):
    """R-MRK-8: the forecast on the last school day 14 days before the quarter ends (Sunday
    25 October: Friday 9 October); R-FIN-1: missing period marks on the first weekday after
    the 2 days allowed (Wednesday 28, in the vacation), the deputy the day after; at the
    school's period_notices_time (12:00 local)."""
    school = school_in("school", "Asia/Kamchatka")
    holiday(school, dt.date(2026, 10, 26), dt.date(2026, 11, 3), name="Осенние каникулы")
    quarter_ending(school, dt.date(2026, 10, 25))

    noon = local(school, FRI, "12:00")
    assert K.FORECAST not in created(dispatch_at(noon - dt.timedelta(minutes=1), [school]))
    assert K.FORECAST in created(dispatch_at(noon, [school]))
    assert day_kinds(school, dt.date(2026, 10, 27)) == set()
    assert day_kinds(school, dt.date(2026, 10, 28)) == {K.PERIOD_MARKS}
    assert day_kinds(school, dt.date(2026, 10, 29)) == {K.PERIOD_MARKS_DEPUTY}


# --- the school's settings -----------------------------------------------------------------


SWITCHES = {
    "first_lesson_reminders": (TUE, {K.FIRST_ATTENDANCE, K.FIRST_ATTENDANCE_DEPUTY}),
    "absence_reason_reminders": (TUE, {K.ABSENCE_REASONS}),
    "absence_digest": (TUE, {K.ABSENCE_DIGEST}),
    "lesson_content_reminders": (TUE, {K.LESSON_CONTENT, K.LESSON_CONTENT_DEPUTY}),
    "reconciliation_reminders": (MON, {K.RECONCILIATION}),
    "parent_reports": (FRI, {K.PARENT_REPORT}),
    "failing_reports": (FRI, {K.FAILING}),
    "print_batches": (dt.date(2026, 10, 1), {K.PRINT_BATCH}),
    "forecast_notices": (FRI, {K.FORECAST}),
    "period_marks_reminders": (dt.date(2026, 10, 28), {K.PERIOD_MARKS}),
}


@pytest.mark.parametrize("switch", SWITCHES)
def test_r_ten_3_a_job_switched_off_does_not_run(jobs, switch):
    day, kinds = SWITCHES[switch]
    on = school_in("on", "Asia/Tomsk")
    off = school_in("off", "Asia/Tomsk", **{switch: False})
    for school in (on, off):
        quarter_ending(school, dt.date(2026, 10, 25))

    expected = day_kinds(on, day)
    assert kinds <= expected
    assert day_kinds(off, day) == expected - kinds


def test_r_ten_3_every_job_switched_off_nothing_runs(jobs):
    school = school_in("off", "Asia/Tomsk", **dict.fromkeys(SWITCHES, False))
    quarter_ending(school, dt.date(2026, 10, 25))

    for offset in range(31):
        assert day_kinds(school, dt.date(2026, 10, 1) + dt.timedelta(days=offset)) == set()
    assert not DeadlineRun.objects.exists()


def test_r_ten_3_changed_times_are_respected(jobs):
    """R-ATT-1, R-MRK-5 (16:00 or 21:00), R-NOT-1: a school (Almaty, +5) with its first
    lesson's deadline at 8:45 and the deputy 15 minutes later, lessons filled until 21:00,
    the report at 17:00."""
    school = school_in(
        "almaty",
        "Asia/Almaty",
        first_lesson_attendance_deadline=dt.time(8, 45),
        first_lesson_escalation_minutes=15,
        current_marks_deadline=dt.time(21, 0),
        parent_report_time=dt.time(17, 0),
    )
    expected = [
        ("08:45", K.FIRST_ATTENDANCE),
        ("09:00", K.FIRST_ATTENDANCE_DEPUTY),
        ("17:00", K.PARENT_REPORT),
        ("21:00", K.LESSON_CONTENT),
    ]
    for at, kind in expected:
        moment = local(school, FRI, at)
        assert kind not in created(dispatch_at(moment - dt.timedelta(minutes=1), [school]))
        assert kind in created(dispatch_at(moment, [school]))
        assert DeadlineRun.objects.get(school=school, kind=kind).due_at == moment
