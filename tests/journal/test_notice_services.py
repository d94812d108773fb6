"""R-ATT-4: a parent's advance notice of an absence pre-fills pending absences the teacher
confirms or removes (journal.services.notices, journal.services.cells.attendance_set).

Today is Tuesday 6 October 2026, 10:00 in Tomsk; 5А maths is lesson 2 (08:55) every
weekday, English lesson 3 (09:50) on Tuesdays in two subgroups; `student_record` is in
group 1, `other_student_record` in group 2."""

import datetime as dt

import pytest
import time_machine

from accounts.models import Role
from journal.history import chain_verify
from journal.models import AbsenceNotice, Attendance, JournalChange
from journal.rules import Refusal
from journal.services import notices as notice_services
from journal.services.cells import (
    NOTICE_CONFIRMED,
    NOTICE_PRESENT,
    NOTICE_REASON,
    PENDING_TEXT,
    attendance_set,
)
from journal.services.notices import absence_notice_file, absence_notice_withdraw
from schedule.models import Lesson

from .. import factories as f
from .conftest import lesson_on

WED = dt.date(2026, 10, 7)
THU = dt.date(2026, 10, 8)
NEXT_TUE = dt.date(2026, 10, 13)


def at_tomsk(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour - 7, minute, tzinfo=dt.UTC)


def file(people, **overrides):
    fields = {
        "actor": people.parent,
        "student": people.student_record,
        "starts_on": WED,
        "ends_on": THU,
        "lesson_numbers": (),
        "reason": AbsenceNotice.Reason.ILLNESS,
        "comment": "Температура",
    }
    fields.update(overrides)
    return absence_notice_file(**fields)


def history(people):
    return list(
        JournalChange.objects.filter(
            school_id=people.lyceum.pk, subject_kind="attendance"
        ).order_by("seq")
    )


# ------------------------------------------------------------------ filing


def test_r_att_4_whole_days_prefill_pending_absences_with_history(people, journal):
    """R-ATT-4: every lesson of the child on the days gets a pending absence by the parent,
    each with a history entry «заявление родителя»; the chain stays intact."""
    filed = file(people)
    notice = filed.notice
    assert (notice.starts_on, notice.ends_on, notice.lesson_numbers) == (WED, THU, "")
    assert notice.created_by == people.parent and notice.comment == "Температура"
    rows = Attendance.objects.filter(student=people.student_record).select_related("lesson")
    assert sorted(r.lesson.date for r in rows) == [WED, THU]
    assert filed.absences == 2
    for row in rows:
        assert row.pending and row.kind == "absent" and row.notice == notice
        assert row.created_by == people.parent
    entries = history(people)
    assert [(e.action, e.new, e.reason, e.actor_id) for e in entries] == [
        ("create", PENDING_TEXT, NOTICE_REASON, people.parent.pk)
    ] * 2
    assert {e.object_id for e in entries} == {r.pk for r in rows}
    assert chain_verify(people.lyceum.pk).intact


def test_r_att_4_only_the_childs_own_subgroup_lessons(people, journal):
    """R-STR-5: next Tuesday's English of group 2 is not the child's lesson."""
    file(people, starts_on=NEXT_TUE, ends_on=NEXT_TUE)
    rows = Attendance.objects.filter(student=people.student_record).select_related("lesson")
    assert sorted((r.lesson.number, r.lesson.group_id) for r in rows) == [
        (2, people.class_5a.groups.get(is_whole_class=True).pk),
        (3, people.english_1.pk),
    ]


def test_r_att_4_lesson_numbers_limit_the_lessons(people, journal):
    filed = file(people, starts_on=NEXT_TUE, ends_on=NEXT_TUE, lesson_numbers=["3", 3, " "])
    assert filed.notice.lesson_numbers == "3"
    assert [r.lesson.number for r in Attendance.objects.filter(student=people.student_record)] == [
        3
    ]


def test_r_att_4_started_cancelled_and_marked_lessons_are_left_alone(people, journal):
    """Today's lessons 2 and 3 have started (the teacher judges them); a cancelled lesson
    gets nothing; a row the teacher wrote is never overwritten."""
    wed = lesson_on(people, WED)
    Lesson.objects.filter(pk=wed.pk).update(is_cancelled=True, change_reason="Карантин")
    thu = lesson_on(people, THU)
    teacher_row = Attendance.objects.create(
        school=people.lyceum,
        lesson=thu,
        student=people.student_record,
        kind="late",
        created_at=at_tomsk(THU, 9),
        created_by=people.teacher,
        updated_at=at_tomsk(THU, 9),
        updated_by=people.teacher,
    )
    filed = file(people, starts_on=dt.date(2026, 10, 6), ends_on=THU)
    assert filed.absences == 0
    assert list(Attendance.objects.filter(student=people.student_record)) == [teacher_row]
    teacher_row.refresh_from_db()
    assert (teacher_row.kind, teacher_row.pending, teacher_row.notice_id) == ("late", False, None)
    # the notice itself is kept: the class teacher sees it
    assert AbsenceNotice.objects.filter(pk=filed.notice.pk).exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"starts_on": dt.date(2026, 10, 5), "ends_on": WED},
        {"starts_on": THU, "ends_on": WED},
        {"starts_on": WED, "ends_on": WED + dt.timedelta(days=30)},
        {"lesson_numbers": ["3a"]},
        {"lesson_numbers": [99]},
        {"reason": "holiday"},
        {"comment": "x" * 501},
    ],
    ids=["past", "reversed", "31-days", "not-a-number", "no-such-lesson", "reason", "comment"],
)
def test_r_att_4_bad_notices_are_refused_and_write_nothing(people, journal, overrides):
    with pytest.raises(Refusal) as refused:
        file(people, **overrides)
    assert refused.value.code == "invalid" and refused.value.message
    assert not AbsenceNotice.objects.exists()
    assert not Attendance.objects.exists()
    assert not history(people)


def test_r_att_4_thirty_days_are_accepted(people, journal):
    filed = file(people, starts_on=WED, ends_on=WED + dt.timedelta(days=29))
    assert filed.absences > 10


@pytest.mark.parametrize("who", ["student", "teacher", "class_teacher", "other_parent"])
def test_r_att_4_only_a_parent_of_the_child_files(people, journal, who):
    """R-ROLE-2: the student himself, staff, another child's parent are refused."""
    if who == "other_parent":
        actor = f.UserFactory(username="otherparent")
        f.parent_make(people.lyceum, actor, people.other_student_record)
    else:
        actor = getattr(people, who)
    with pytest.raises(Refusal) as refused:
        file(people, actor=actor)
    assert refused.value.code == "forbidden"
    assert not AbsenceNotice.objects.exists()


def test_r_att_4_filing_is_atomic(people, journal, monkeypatch):
    """A failure while writing the second history entry leaves no notice and no absence."""
    calls = []
    real = notice_services.change_record

    def failing(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(notice_services, "change_record", failing)
    with pytest.raises(RuntimeError):
        file(people)
    assert not AbsenceNotice.objects.exists()
    assert not Attendance.objects.exists()
    assert not JournalChange.objects.exists()


def test_r_att_4_today_is_the_schools_local_day_in_two_time_zones(people, journal):
    """At 18:30 UTC on 6 October it is already the 7th in Tomsk (UTC+7) but still the 6th
    in Yekaterinburg (UTC+5): a notice from the 6th is late in the lyceum only."""
    gym = people.gymnasium
    gym_class = f.class_make(gym, gym.academic_years.get(), 7, "В")
    gym_student = f.student_make(gym, gym_class, "Гимназистов", "Глеб")
    gym_parent = f.UserFactory(username="gymparent")
    f.parent_make(gym, gym_parent, gym_student)
    with time_machine.travel(dt.datetime(2026, 10, 6, 18, 30, tzinfo=dt.UTC), tick=False):
        with pytest.raises(Refusal):
            file(people, starts_on=dt.date(2026, 10, 6), ends_on=dt.date(2026, 10, 6))
        filed = file(
            people,
            actor=gym_parent,
            student=gym_student,
            starts_on=dt.date(2026, 10, 6),
            ends_on=dt.date(2026, 10, 6),
        )
    assert filed.notice.school == gym


# ------------------------------------------------------------------ withdrawal


def test_r_att_4_withdraw_removes_pending_absences_of_lessons_not_started(people, journal):
    """On Wednesday at 10:00 Wednesday's lesson has started: its pending absence stays for
    the teacher; Thursday's goes; a confirmed one stays; history records the removal."""
    notice = file(people).notice
    wed_row = Attendance.objects.get(lesson__date=WED)
    thu_row = Attendance.objects.get(lesson__date=THU)
    with time_machine.travel(at_tomsk(WED, 10), tick=False):
        removed = absence_notice_withdraw(actor=people.parent, notice=notice)
    assert removed == 1
    assert list(Attendance.objects.all()) == [wed_row]
    notice.refresh_from_db()
    assert notice.withdrawn_at is not None
    last = history(people)[-1]
    assert (last.action, last.object_id, last.old, last.new) == (
        "delete",
        thu_row.pk,
        PENDING_TEXT,
        "",
    )
    assert last.reason == notice_services.NOTICE_WITHDRAWN
    assert chain_verify(people.lyceum.pk).intact


def test_r_att_4_withdraw_keeps_what_the_teacher_confirmed(people, journal):
    notice = file(people).notice
    Attendance.objects.filter(lesson__date=THU).update(pending=False)
    assert absence_notice_withdraw(actor=people.parent, notice=notice) == 1
    assert [a.lesson.date for a in Attendance.objects.all()] == [THU]


def test_r_att_4_withdraw_is_for_parents_once_and_while_the_notice_lasts(people, journal):
    notice = file(people).notice
    for actor in (people.student, people.teacher):
        with pytest.raises(Refusal) as refused:
            absence_notice_withdraw(actor=actor, notice=notice)
        assert refused.value.code == "forbidden"
    assert Attendance.objects.count() == 2
    absence_notice_withdraw(actor=people.parent, notice=notice)
    with pytest.raises(Refusal):
        absence_notice_withdraw(actor=people.parent, notice=notice)
    over = file(people, starts_on=NEXT_TUE, ends_on=NEXT_TUE).notice
    with (
        time_machine.travel(at_tomsk(dt.date(2026, 10, 14), 9), tick=False),
        pytest.raises(Refusal),
    ):
        absence_notice_withdraw(actor=people.parent, notice=over)


# ------------------------------------------------------------------ the teacher decides


@pytest.fixture
def pending_wed(people, journal):
    file(people, starts_on=WED, ends_on=WED)
    return Attendance.objects.select_related("lesson").get(lesson__date=WED)


def _set(people, lesson, kind, expected):
    lesson = lesson_on(people, lesson.date)
    return attendance_set(
        actor=people.teacher,
        lesson=lesson,
        student=people.student_record,
        kind=kind,
        expected=expected,
    )


def test_r_att_4_teacher_confirms_a_pending_absence(people, pending_wed):
    """Setting «н» again confirms it: the row stays, no longer pending, with a history
    entry (the earlier service ignored a value equal to the current one)."""
    with time_machine.travel(at_tomsk(WED, 9), tick=False):
        row = _set(people, pending_wed.lesson, "absent", f"{pending_wed.pk}.1")
    assert row.pk == pending_wed.pk
    row.refresh_from_db()
    assert (row.pending, row.kind, row.version, row.updated_by) == (
        False,
        "absent",
        2,
        people.teacher,
    )
    assert row.notice_id == pending_wed.notice_id  # the link to the notice is kept
    last = history(people)[-1]
    assert (last.action, last.old, last.new, last.reason, last.actor_id) == (
        "update",
        PENDING_TEXT,
        "н",
        NOTICE_CONFIRMED,
        people.teacher.pk,
    )
    # confirmed: setting «н» once more changes nothing
    with time_machine.travel(at_tomsk(WED, 9), tick=False):
        _set(people, pending_wed.lesson, "absent", f"{pending_wed.pk}.2")
    assert history(people)[-1].pk == last.pk


def test_r_att_4_teacher_removes_it_when_the_child_came(people, pending_wed):
    with time_machine.travel(at_tomsk(WED, 9), tick=False):
        assert _set(people, pending_wed.lesson, "", f"{pending_wed.pk}.1") is None
    assert not Attendance.objects.exists()
    last = history(people)[-1]
    assert (last.action, last.old, last.reason) == ("delete", PENDING_TEXT, NOTICE_PRESENT)


def test_r_att_4_a_late_child_turns_the_pending_absence_into_a_lateness(people, pending_wed):
    with time_machine.travel(at_tomsk(WED, 9), tick=False):
        row = _set(people, pending_wed.lesson, "late", f"{pending_wed.pk}.1")
    assert (row.kind, row.pending) == ("late", False)


def test_r_att_4_teacher_cannot_confirm_before_the_lesson(people, pending_wed):
    with pytest.raises(Refusal) as refused:
        _set(people, pending_wed.lesson, "absent", f"{pending_wed.pk}.1")
    assert refused.value.code == "future"
    assert Attendance.objects.get().pending


def test_r_att_4_a_trusted_membership_does_not_let_file(people, journal):
    """A trusted person reads the diary but does not file notices."""
    granny = f.UserFactory(username="granny")
    f.member(granny, people.lyceum, Role.TRUSTED)
    with pytest.raises(Refusal):
        file(people, actor=granny)
