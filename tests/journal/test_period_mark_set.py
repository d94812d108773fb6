"""period_mark_set: kinds, special values, who, when, conflicts and history (R-FIN-1, R-FIN-2,
R-ROLE-3)."""

import datetime as dt
import zoneinfo

import pytest
import time_machine

from journal.history import chain_verify
from journal.models import FinalKind, JournalChange, PeriodMark
from journal.rules import Refusal
from journal.services.cells import Conflict, token
from journal.services.period_marks import period_mark_set
from schedule.models import PeriodKind, ReportingPeriod

TOMSK = zoneinfo.ZoneInfo("Asia/Tomsk")


@pytest.fixture
def course(people, journal):
    return people.class_5a.groups.get(is_whole_class=True), people.maths


def set_mark(
    people,
    journal,
    course,
    value,
    *,
    actor=None,
    kind=FinalKind.PERIOD,
    period=0,
    expected=None,
    reason="",
    student=None,
):
    group, subject = course
    return period_mark_set(
        actor=actor or people.teacher,
        group=group,
        subject=subject,
        student=student or people.student_record,
        kind=kind,
        period=journal.quarters[period] if kind == FinalKind.PERIOD else None,
        value=value,
        expected=expected,
        ip="10.0.0.7",
        reason=reason,
    )


def test_r_fin_1_teacher_sets_a_quarter_mark_and_history_records_it(people, journal, course):
    mark, notices = set_mark(people, journal, course, "5", expected="")
    assert notices == []
    assert (mark.kind, mark.period, mark.value, mark.points) == (
        "period",
        journal.quarters[0],
        "5",
        5,
    )
    assert (mark.group, mark.year, mark.set_by) == (course[0], people.year, people.teacher)
    change = JournalChange.objects.get()
    assert (change.subject_kind, change.action, change.old, change.new, change.ip) == (
        "period_mark",
        "create",
        "",
        "5",
        "10.0.0.7",
    )
    assert change.label == "5А · Математика · 1 четверть · Родителев Степан"
    assert (change.school_class_id, change.course_subject_id, change.student_id) == (
        people.class_5a.pk,
        people.maths.pk,
        people.student_record.pk,
    )
    assert chain_verify(people.lyceum.pk).intact


def test_r_fin_1_change_and_remove_with_the_token_read(people, journal, course):
    mark, _ = set_mark(people, journal, course, "4", expected="")
    mark, _ = set_mark(people, journal, course, "5", expected=token(mark))
    assert (mark.value, mark.version) == ("5", 2)
    removed, _ = set_mark(people, journal, course, "", expected=token(mark))
    assert removed is None
    assert not PeriodMark.objects.exists()
    assert [(c.action, c.old, c.new) for c in JournalChange.objects.order_by("seq")] == [
        ("create", "", "4"),
        ("update", "4", "5"),
        ("delete", "5", ""),
    ]
    assert chain_verify(people.lyceum.pk).intact


def test_r_fin_1_a_stale_token_is_a_conflict_with_the_current_value(people, journal, course):
    first, _ = set_mark(people, journal, course, "4", expected="")
    set_mark(people, journal, course, "5", expected=token(first))
    with pytest.raises(Conflict) as conflict:
        set_mark(people, journal, course, "3", expected=token(first))
    assert conflict.value.current == "5"
    assert "5" in conflict.value.message
    assert PeriodMark.objects.get().value == "5"
    with pytest.raises(Conflict):
        set_mark(people, journal, course, "3", expected="")  # someone set it meanwhile


def test_r_fin_1_the_same_value_again_writes_nothing(people, journal, course):
    mark, _ = set_mark(people, journal, course, "4", expected="")
    again, _ = set_mark(people, journal, course, " 4 ", expected=token(mark))
    assert again.version == 1
    assert JournalChange.objects.count() == 1


def test_r_fin_1_year_exam_and_final_marks_are_one_per_year(people, journal, course):
    with time_machine.travel(dt.datetime(2027, 5, 28, 12, tzinfo=TOMSK), tick=False):
        for kind, value in (("year", "4"), ("exam", "5"), ("final", "4")):
            mark, _ = set_mark(people, journal, course, value, kind=kind, expected="")
            assert (mark.kind, mark.period, mark.year) == (kind, None, people.year)
        mark, _ = set_mark(people, journal, course, "5", kind="year", expected=None)
    assert mark.version == 2
    assert PeriodMark.objects.count() == 3


def test_r_fin_2_unsatisfactory_period_mark_becomes_academic_debt(people, journal, course):
    mark, notices = set_mark(people, journal, course, "2", expected="")
    assert (mark.value, mark.points) == ("а/з", None)
    assert notices == [
        "«2» заменена на «а/з» (академическая задолженность): неудовлетворительная отметка "
        "промежуточной аттестации не выставляется."
    ]
    assert JournalChange.objects.get().new == "а/з"
    mark, notices = set_mark(people, journal, course, "1", expected=token(mark))
    assert mark.version == 1 and notices  # still а/з: nothing written, the notice repeated


def test_r_fin_2_unsatisfactory_year_mark_becomes_academic_debt_but_an_exam_keeps_it(
    people, journal, course
):
    with time_machine.travel(dt.datetime(2027, 5, 28, 12, tzinfo=TOMSK), tick=False):
        year, notices = set_mark(people, journal, course, "2", kind="year", expected="")
        exam, exam_notices = set_mark(people, journal, course, "2", kind="exam", expected="")
    assert (year.value, bool(notices)) == ("а/з", True)
    assert (exam.value, exam.points, exam_notices) == ("2", 2, [])


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("н/а", "н/а"),
        ("НА", "н/а"),
        ("а/з", "а/з"),
        ("нпа", "НПА"),
        ("осв.", "осв"),
        ("зачёт", "зач"),
    ],
)
def test_r_fin_2_special_values(people, journal, course, typed, stored):
    mark, _ = set_mark(people, journal, course, typed, expected="")
    assert (mark.value, mark.points) == (stored, None)


def test_r_fin_2_a_value_outside_the_scale_is_refused_with_the_choices(people, journal, course):
    with pytest.raises(Refusal) as refused:
        set_mark(people, journal, course, "6", expected="")
    assert refused.value.code == "scale"
    assert "1, 2, 3, 4, 5" in refused.value.message and "н/а" in refused.value.message
    assert not PeriodMark.objects.exists()


def test_r_role_3_another_teacher_and_the_class_teacher_cannot_set(people, journal, course):
    for actor in (journal.english_teacher, people.class_teacher, people.parent):
        with pytest.raises(Refusal) as refused:
            set_mark(people, journal, course, "5", actor=actor, expected="")
        assert refused.value.code == "forbidden"
    assert not PeriodMark.objects.exists()


def test_r_fin_1_deputy_and_director_set_only_with_a_reason(people, journal, course):
    with pytest.raises(Refusal) as refused:
        set_mark(people, journal, course, "5", actor=people.deputy, expected="")
    assert refused.value.code == "reason"
    mark, _ = set_mark(
        people, journal, course, "5", actor=people.deputy, expected="", reason="  приказ  №5 "
    )
    set_mark(
        people, journal, course, "4", actor=people.director, expected=token(mark), reason="ошибка"
    )
    assert [(c.actor_id, c.reason) for c in JournalChange.objects.order_by("seq")] == [
        (people.deputy.pk, "приказ №5"),
        (people.director.pk, "ошибка"),
    ]


def test_r_fin_1_period_mark_not_before_the_period_starts(people, journal, course):
    with pytest.raises(Refusal) as refused:
        set_mark(people, journal, course, "5", period=1, expected="")
    assert refused.value.code == "future"
    assert "05.11.2026" in refused.value.message


def test_r_fin_1_period_mark_until_two_days_after_the_period_ends_in_local_time(
    people, journal, course
):
    # the first quarter ends on Sunday 25 October: marks until the end of the 27th in Tomsk
    with time_machine.travel(dt.datetime(2026, 10, 27, 23, 59, tzinfo=TOMSK), tick=False):
        set_mark(people, journal, course, "5", expected="")
    with time_machine.travel(dt.datetime(2026, 10, 28, 0, 0, tzinfo=TOMSK), tick=False):
        with pytest.raises(Refusal) as refused:
            set_mark(people, journal, course, "4", expected=None)
        assert refused.value.code == "locked"
        assert "27.10.2026" in refused.value.message
        with pytest.raises(Refusal):
            set_mark(people, journal, course, "", expected=None)  # nor removed
        # a deputy head corrects it, with a reason
        mark, _ = set_mark(
            people, journal, course, "4", actor=people.deputy, expected=None, reason="апелляция"
        )
    assert mark.value == "4"


def test_r_fin_1_the_deadline_is_the_school_day_in_another_time_zone(people, journal, course):
    school = people.lyceum
    school.time_zone = "Europe/Moscow"
    school.save(update_fields=["time_zone"])
    # 28 October 00:30 in Tomsk is still 27 October 20:30 in Moscow: open
    with time_machine.travel(dt.datetime(2026, 10, 27, 17, 30, tzinfo=dt.UTC), tick=False):
        group, subject = course
        group.school = type(school).objects.select_related("settings").get(pk=school.pk)
        mark, _ = set_mark(people, journal, (group, subject), "5", expected="")
    assert mark.value == "5"
    late = dt.datetime(2026, 10, 27, 21, 0, tzinfo=dt.UTC)
    with time_machine.travel(late, tick=False), pytest.raises(Refusal) as refused:
        set_mark(people, journal, (group, subject), "4", expected=None)
    assert refused.value.code == "locked"


def test_r_fin_1_the_school_setting_shortens_the_window(people, journal, course):
    settings = people.lyceum.settings
    settings.period_marks_days_after_end = 0
    settings.save()
    group, subject = course
    group.school.settings.period_marks_days_after_end = 0
    monday = dt.datetime(2026, 10, 26, 9, 0, tzinfo=TOMSK)
    with time_machine.travel(monday, tick=False), pytest.raises(Refusal) as refused:
        set_mark(people, journal, course, "5", expected="")
    assert "25.10.2026" in refused.value.message


def test_r_fin_1_year_marks_from_the_last_period_until_after_the_year_ends(people, journal, course):
    with pytest.raises(Refusal) as refused:
        set_mark(people, journal, course, "5", kind="year", expected="")
    assert refused.value.code == "future"
    assert "01.04.2027" in refused.value.message
    with time_machine.travel(dt.datetime(2027, 6, 2, 23, 0, tzinfo=TOMSK), tick=False):
        set_mark(people, journal, course, "5", kind="final", expected="")
    closed = dt.datetime(2027, 6, 3, 0, 0, tzinfo=TOMSK)
    with time_machine.travel(closed, tick=False), pytest.raises(Refusal) as refused:
        set_mark(people, journal, course, "4", kind="final", expected=None)
    assert refused.value.code == "locked"


def test_r_fin_1_exam_marks_until_a_day_before_the_year_ends(people, journal, course):
    # the year ends on Monday 31 May 2027: the exam (intermediate attestation) by the 30th
    with time_machine.travel(dt.datetime(2027, 5, 30, 23, 59, tzinfo=TOMSK), tick=False):
        set_mark(people, journal, course, "4", kind="exam", expected="")
    closed = dt.datetime(2027, 5, 31, 0, 0, tzinfo=TOMSK)
    with time_machine.travel(closed, tick=False), pytest.raises(Refusal) as refused:
        set_mark(people, journal, course, "5", kind="exam", expected=None)
    assert refused.value.code == "locked"
    assert "30.05.2027" in refused.value.message
    with time_machine.travel(closed, tick=False):
        set_mark(people, journal, course, "4", kind="year", expected="")  # the year mark: open


def test_r_fin_1_no_marks_in_a_subject_without_attestation(people, journal, course):
    people.maths.no_attestation = True
    people.maths.save()
    with pytest.raises(Refusal) as refused:
        set_mark(people, journal, course, "5", expected="")
    assert "аттестац" in refused.value.message


def test_r_fin_1_the_student_must_be_in_the_course(people, journal):
    # Другов is in the second English group, not in the first one (taught by `teacher`)
    with pytest.raises(Refusal) as refused:
        set_mark(
            people,
            journal,
            (people.english_1, people.english),
            "5",
            expected="",
            student=people.other_student_record,
        )
    assert refused.value.code == "student"


def test_r_fin_1_a_period_of_another_kind_or_year_is_refused(people, journal, course):
    half = ReportingPeriod.objects.create(
        school=people.lyceum,
        year=people.year,
        kind=PeriodKind.HALF,
        number=1,
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2026, 12, 28),
    )
    group, subject = course
    with pytest.raises(Refusal) as refused:
        period_mark_set(
            actor=people.teacher,
            group=group,
            subject=subject,
            student=people.student_record,
            kind="period",
            period=half,
            value="5",
            expected="",
        )
    assert refused.value.code == "invalid"
    with pytest.raises(Refusal):
        period_mark_set(
            actor=people.teacher,
            group=group,
            subject=subject,
            student=people.student_record,
            kind="quarterly",
            value="5",
            expected="",
        )
