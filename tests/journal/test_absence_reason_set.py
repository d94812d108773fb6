"""absence_reason_set: the class teacher records why a student missed a day or a range of
days (R-ATT-3): which days get a row, who may, not ahead of time, removal, history."""

import datetime as dt

import pytest
import time_machine

from journal.history import chain_verify
from journal.models import AbsenceReason, JournalChange
from journal.rules import Refusal
from journal.services.absence import absence_reason_set
from journal.services.cells import attendance_set
from schedule.models import Order
from schedule.services.contingent import student_transfer
from schedule.services.timetable import entry_add

from .conftest import lesson_on

MON = dt.date(2026, 10, 5)
TUE = dt.date(2026, 10, 6)  # today
ILLNESS = AbsenceReason.Reason.ILLNESS


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 5, 0, tzinfo=dt.UTC)  # 12:00 in Tomsk


def mark_absent(people, day: dt.date, student=None, kind="absent"):
    """The maths teacher marks the student at lesson 2 of `day`, on that day."""
    with time_machine.travel(at_noon(day), tick=False):
        attendance_set(
            actor=people.teacher,
            lesson=lesson_on(people, day),
            student=student or people.student_record,
            kind=kind,
            expected=None,
        )


def reason_set(people, date_from, date_to=None, reason=ILLNESS, actor=None, **kw):
    return absence_reason_set(
        actor=actor or people.class_teacher,
        student=kw.pop("student", people.student_record),
        date_from=date_from,
        date_to=date_to or date_from,
        reason=reason,
        **kw,
    )


def test_r_att_3_class_teacher_records_the_reason_of_a_day(people, journal):
    mark_absent(people, MON)
    rows = reason_set(people, MON, note="справка №12", ip="10.0.0.7")
    assert [(r.date, r.reason, r.note, r.set_by) for r in rows] == [
        (MON, "illness", "справка №12", people.class_teacher)
    ]
    change = JournalChange.objects.get(subject_kind=JournalChange.Subject.ABSENCE_REASON)
    assert (change.action, change.old, change.new, change.ip) == (
        "create",
        "",
        "болезнь (справка №12)",
        "10.0.0.7",
    )
    assert change.lesson_date == MON
    assert change.school_class_id == people.class_5a.pk
    assert change.student_id == people.student_record.pk
    assert change.label == "5А · 05.10.2026 · Родителев Степан · причина пропуска"
    assert chain_verify(people.lyceum.pk).intact


def test_r_att_3_range_covers_every_school_day_also_those_not_marked_yet(people, journal):
    """A sick note from Monday 28 September to today: a row on each weekday (the class has
    lessons), none at the weekend, whether or not the teachers have marked the day yet."""
    mark_absent(people, dt.date(2026, 9, 29))
    rows = reason_set(people, dt.date(2026, 9, 28), TUE, note="справка")
    assert [r.date.isoformat() for r in rows] == [
        "2026-09-28",
        "2026-09-29",
        "2026-09-30",
        "2026-10-01",
        "2026-10-02",
        "2026-10-05",
        "2026-10-06",
    ]
    assert JournalChange.objects.filter(subject_kind="reason", action="create").count() == 7
    assert chain_verify(people.lyceum.pk).intact


def test_r_att_3_a_range_skips_vacations_and_holidays(people, journal):
    with time_machine.travel(at_noon(dt.date(2026, 11, 5)), tick=False):
        rows = reason_set(people, dt.date(2026, 10, 23), dt.date(2026, 11, 5))
    # Friday 23 October, then the autumn vacation (26.10-3.11) and Unity Day (4.11)
    assert [r.date for r in rows] == [dt.date(2026, 10, 23), dt.date(2026, 11, 5)]


def test_r_att_3_a_day_without_lessons_is_refused(people, journal):
    with pytest.raises(Refusal) as refused:
        reason_set(people, dt.date(2026, 10, 3))  # a Saturday
    assert refused.value.code == "no_days"
    assert not AbsenceReason.objects.exists()


def test_r_att_3_no_reason_ahead_of_time(people, journal):
    """A reason is recorded after the fact: a range ending tomorrow is refused whole."""
    with pytest.raises(Refusal) as refused:
        reason_set(people, MON, dt.date(2026, 10, 7))
    assert refused.value.code == "future"
    assert "07.10.2026" in refused.value.message
    assert not AbsenceReason.objects.exists()
    assert not JournalChange.objects.exists()


def test_r_att_3_today_is_the_schools_local_day(people, journal):
    """At 01:00 on Wednesday in Tomsk (still Tuesday in UTC and in Perm) Wednesday has come
    for the lyceum; an hour before midnight it has not."""
    wed = dt.date(2026, 10, 7)
    with time_machine.travel(dt.datetime(2026, 10, 6, 16, 0, tzinfo=dt.UTC), tick=False):
        with pytest.raises(Refusal) as refused:
            reason_set(people, wed)  # 23:00 on Tuesday in Tomsk
        assert refused.value.code == "future"
    with time_machine.travel(dt.datetime(2026, 10, 6, 18, 0, tzinfo=dt.UTC), tick=False):
        assert [r.date for r in reason_set(people, wed)] == [wed]


def test_r_att_3_changing_the_reason_records_old_and_new(people, journal):
    mark_absent(people, MON)
    reason_set(people, MON, reason=AbsenceReason.Reason.INVALID)
    [row] = reason_set(people, MON, reason=AbsenceReason.Reason.VALID, note="соревнования")
    assert (row.reason, row.note) == ("valid", "соревнования")
    change = JournalChange.objects.filter(subject_kind="reason").last()
    assert (change.action, change.old, change.new) == (
        "update",
        "без уважительной причины",
        "уважительная причина (соревнования)",
    )


def test_r_att_3_the_same_reason_again_writes_no_history(people, journal):
    reason_set(people, MON, note="справка")
    reason_set(people, MON, note="  справка ")
    assert JournalChange.objects.filter(subject_kind="reason").count() == 1


def test_r_att_3_empty_reason_removes_the_range(people, journal):
    reason_set(people, dt.date(2026, 9, 28), dt.date(2026, 10, 2))
    rows = reason_set(people, dt.date(2026, 9, 30), dt.date(2026, 10, 4), reason="")
    assert rows == []
    assert sorted(AbsenceReason.objects.values_list("date", flat=True)) == [
        dt.date(2026, 9, 28),
        dt.date(2026, 9, 29),
    ]
    deleted = JournalChange.objects.filter(subject_kind="reason", action="delete")
    assert [(c.lesson_date, c.old, c.new) for c in deleted] == [
        (dt.date(2026, 9, 30), "болезнь", ""),
        (dt.date(2026, 10, 1), "болезнь", ""),
        (dt.date(2026, 10, 2), "болезнь", ""),
    ]
    assert chain_verify(people.lyceum.pk).intact


@pytest.mark.parametrize("who", ["deputy", "director"])
def test_r_att_3_leadership_may_record_reasons(people, journal, who):
    rows = reason_set(people, MON, actor=getattr(people, who))
    assert rows[0].set_by == getattr(people, who)


@pytest.mark.parametrize("who", ["teacher", "admin", "parent", "outsider"])
def test_r_att_3_others_may_not(people, journal, who):
    with pytest.raises(Refusal) as refused:
        reason_set(people, MON, actor=getattr(people, who))
    assert refused.value.code == "forbidden"
    assert not AbsenceReason.objects.exists()


def test_r_att_3_a_class_teacher_only_for_his_class(people, journal):
    with pytest.raises(Refusal) as refused:
        reason_set(people, MON, student=people.sibling_record)  # 5Б
    assert refused.value.code == "forbidden"


def test_r_att_3_a_range_across_a_transfer_needs_both_classes(people, journal, timetable):
    """Transferred to 5Б on 1 October: the class teacher of 5А records the days before it,
    not after; the deputy records both, each day in the class of that day."""
    entry_add(
        actor=None,
        check_role=False,
        school_class=people.class_5b,
        group=people.class_5b.groups.get(is_whole_class=True),
        subject=people.maths,
        teacher=journal.english_teacher,
        room=timetable.room_305,
        weekday=4,
        number=4,
        starts_on=people.year.starts_on,
    )
    order = Order.objects.create(
        school=people.lyceum, number="7-п", date=dt.date(2026, 9, 30), kind=Order.Kind.TRANSFER
    )
    student_transfer(
        student=people.student_record,
        to_class=people.class_5b,
        order=order,
        on=dt.date(2026, 10, 1),
    )
    with pytest.raises(Refusal) as refused:
        reason_set(people, dt.date(2026, 9, 29), dt.date(2026, 10, 1))
    assert refused.value.code == "forbidden"
    assert [r.date for r in reason_set(people, dt.date(2026, 9, 29), dt.date(2026, 9, 30))] == [
        dt.date(2026, 9, 29),
        dt.date(2026, 9, 30),
    ]
    rows = reason_set(
        people,
        dt.date(2026, 9, 30),
        dt.date(2026, 10, 2),
        reason=AbsenceReason.Reason.VALID,
        actor=people.deputy,
    )
    # 5Б has lessons on Thursdays only in this test
    assert [r.date for r in rows] == [dt.date(2026, 9, 30), dt.date(2026, 10, 1)]
    labels = JournalChange.objects.filter(actor_id=people.deputy.pk).values_list("label", flat=True)
    assert [label.split(" · ")[:2] for label in labels] == [
        ["5А", "30.09.2026"],
        ["5Б", "01.10.2026"],
    ]


def test_r_att_3_bad_input_is_refused(people, journal):
    with pytest.raises(Refusal) as refused:
        reason_set(people, MON, reason="flu")
    assert refused.value.code == "invalid"
    with pytest.raises(Refusal) as refused:
        reason_set(people, TUE, MON)
    assert refused.value.code == "invalid"
    with pytest.raises(Refusal) as refused:
        reason_set(people, dt.date(2025, 9, 1), TUE)
    assert refused.value.code == "invalid"  # more than a year


def test_r_att_3_a_student_out_of_any_class_is_refused(people, journal):
    with pytest.raises(Refusal) as refused:
        reason_set(people, dt.date(2026, 8, 20), dt.date(2026, 8, 31))
    assert refused.value.code == "student"
