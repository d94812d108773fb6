"""The journal's changes become notifications for the student and his parents (R-NOT-5), in
the transaction of the change, at a small fixed cost per save."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from journal import signals
from journal.models import AbsenceNotice, Attendance
from journal.rules import Refusal
from journal.services.cells import attendance_set
from journal.services.lessons import lesson_record_save
from notifications import receivers
from notifications.models import Kind, Notification

from .. import factories as f
from . import notify_fixtures as nf
from .notify_fixtures import mark, week_url

pytestmark = pytest.mark.django_db

# the fixtures
family = nf.family
journal = nf.journal


def rows():
    return sorted(
        Notification.objects.values_list("user__username", "kind", "title"),
        key=lambda r: (r[0], r[1], r[2]),
    )


def test_r_not_5_a_new_mark_notifies_the_student_and_his_parents(people, journal, family):
    """R-NOT-5: the student and each parent with an account; the parents' title names the
    child; the other child's parent hears nothing; the link opens the diary week."""
    mark(people, journal, family.control, "5")
    assert rows() == [
        ("father", "mark_new", "Родителев Степан — Математика: 5 (Контрольная работа)"),
        ("parent", "mark_new", "Родителев Степан — Математика: 5 (Контрольная работа)"),
        ("student", "mark_new", "Математика: 5 (Контрольная работа)"),
    ]
    row = Notification.objects.get(user=people.student)
    assert row.url == week_url(people, people.student_record)
    assert row.url == f"/s/lyceum/diary/{people.student_record.pk}/?date=2026-10-06"
    assert row.school == people.lyceum and row.read_at is None
    assert row.body == "Урок 06.10.2026, №2."


def test_r_not_5_a_mark_of_another_child_reaches_only_his_family(people, journal, family):
    mark(people, journal, family.answer, "3", student=people.other_student_record)
    assert rows() == [
        ("otherparent", "mark_new", "Другов Дмитрий — Математика: 3 (Ответ на уроке)"),
    ]


def test_r_not_5_a_changed_mark_says_old_and_new(people, journal, family):
    mark(people, journal, family.answer, "4", comment="у доски")
    Notification.objects.all().delete()
    mark(people, journal, family.answer, "5", comment="исправил")
    assert rows() == [
        (
            "father",
            "mark_changed",
            "Родителев Степан — Математика: оценка изменена 4 → 5 (Ответ на уроке)",
        ),
        (
            "parent",
            "mark_changed",
            "Родителев Степан — Математика: оценка изменена 4 → 5 (Ответ на уроке)",
        ),
        ("student", "mark_changed", "Математика: оценка изменена 4 → 5 (Ответ на уроке)"),
    ]
    body = Notification.objects.get(user=people.student).body
    assert body == "Урок 06.10.2026, №2.\nКомментарий учителя: исправил"
    Notification.objects.all().delete()
    mark(people, journal, family.answer, "5", comment="молодец")
    assert Notification.objects.get(user=people.student).title == (
        "Математика: изменён комментарий к оценке 5 (Ответ на уроке)"
    )


def test_r_not_5_a_removed_mark_is_a_changed_mark(people, journal, family):
    mark(people, journal, family.answer, "2", comment="не готов")
    Notification.objects.all().delete()
    mark(people, journal, family.answer, "")
    assert rows() == [
        ("father", "mark_changed", "Родителев Степан — Математика: оценка 2 удалена"),
        ("parent", "mark_changed", "Родителев Степан — Математика: оценка 2 удалена"),
        ("student", "mark_changed", "Математика: оценка 2 удалена"),
    ]


def test_r_not_5_a_refused_save_leaves_no_notification(people, journal, family):
    with pytest.raises(Refusal):
        mark(people, journal, family.answer, "7")
    assert not Notification.objects.exists()


def test_r_not_5_a_student_without_an_account_notifies_his_parents(people, journal, family):
    people.student_record.user = None
    people.student_record.save(update_fields=["user"])
    mark(people, journal, family.answer, "4")
    assert [r[0] for r in rows()] == ["father", "parent"]


def test_r_not_5_absence_and_lateness_notify_the_family(people, journal, family):
    attendance_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        kind="absent",
        expected=None,
    )
    assert rows() == [
        ("father", "absence", "Родителев Степан — Математика: отсутствие на уроке"),
        ("parent", "absence", "Родителев Степан — Математика: отсутствие на уроке"),
        ("student", "absence", "Математика: отсутствие на уроке"),
    ]
    Notification.objects.all().delete()
    attendance_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        kind="late",
        expected=None,
    )
    assert Notification.objects.get(user=people.student).title == "Математика: опоздание на урок"
    Notification.objects.all().delete()
    attendance_set(  # present after all: nothing to tell
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        kind="",
        expected=None,
    )
    assert not Notification.objects.exists()


def test_r_not_5_r_att_4_a_parents_own_notice_is_not_notified_back(people, journal, family):
    """A pending absence from the parent's notice, and the teacher confirming it, tell the
    family nothing new; a lateness instead of the announced absence does."""
    notice = AbsenceNotice.objects.create(
        school=people.lyceum,
        student=people.student_record,
        starts_on=dt.date(2026, 10, 6),
        ends_on=dt.date(2026, 10, 6),
        reason=AbsenceNotice.Reason.ILLNESS,
        created_by=people.parent,
        created_at=dt.datetime(2026, 10, 5, 12, tzinfo=dt.UTC),
    )
    row = Attendance.objects.create(
        school=people.lyceum,
        lesson=journal.maths_today,
        student=people.student_record,
        kind="absent",
        notice=notice,
        pending=True,
        created_at=notice.created_at,
        created_by=people.parent,
        updated_at=notice.created_at,
        updated_by=people.parent,
    )

    def send(action="create"):
        signals.attendance_changed.send(
            Attendance,
            attendance=row,
            lesson=journal.maths_today,
            student=people.student_record,
            action=action,
            actor=people.teacher,
        )

    send()
    row.pending = False
    send("update")
    assert not Notification.objects.exists()
    row.kind = "late"
    send("update")
    assert Notification.objects.filter(kind=Kind.ABSENCE).count() == 3


def homework(people, lesson, text="№ 12, 14"):
    return lesson_record_save(
        actor=people.teacher,
        lesson=lesson,
        topic="Дроби",
        homework=text,
        homework_pages="45",
        homework_exercises="",
        work_type_ids=[],
    )


def test_r_not_5_homework_notifies_the_courses_students_and_their_parents(people, journal, family):
    """English group 1 is the student alone: his family hears of its homework; the other
    5А student (group 2) and his parent do not. The parent of two children gets one notice
    per child of the course."""
    homework(people, journal.english_1_today)
    assert rows() == [
        ("father", "homework", "Родителев Степан — Английский язык: домашнее задание"),
        ("parent", "homework", "Родителев Степан — Английский язык: домашнее задание"),
        ("student", "homework", "Английский язык: домашнее задание"),
    ]
    row = Notification.objects.get(user=people.student)
    assert row.body == "№ 12, 14; с. 45\nЗадано на уроке 06.10.2026."
    assert row.url == week_url(people, people.student_record)
    Notification.objects.all().delete()
    homework(people, journal.maths_today)  # the whole 5А
    assert {r[0] for r in rows()} == {"father", "parent", "student", "otherparent"}
    Notification.objects.all().delete()
    homework(people, journal.maths_today)  # unchanged: no signal, no notice
    assert not Notification.objects.exists()


# --- cost -----------------------------------------------------------------------------------


@pytest.fixture
def cost():
    """The queries each receiver runs, one number per signal received (the receivers are
    wrapped in a query counter for the test)."""
    counts: list[int] = []
    wrapped = [
        (signals.mark_changed, receivers.mark_changed, "notifications.mark_changed"),
        (
            signals.attendance_changed,
            receivers.attendance_changed,
            "notifications.attendance_changed",
        ),
        (signals.homework_changed, receivers.homework_changed, "notifications.homework_changed"),
    ]

    def counting(receiver):
        def wrapper(*args, **kwargs):
            with CaptureQueriesContext(connection) as captured:
                receiver(*args, **kwargs)
            counts.append(len(captured))

        return wrapper

    for signal, receiver, uid in wrapped:
        assert signal.disconnect(dispatch_uid=uid)
        signal.connect(counting(receiver), dispatch_uid=uid, weak=False)
    yield counts
    for signal, receiver, uid in wrapped:
        signal.disconnect(dispatch_uid=uid)
        signal.connect(receiver, dispatch_uid=uid)


def test_r_not_5_a_mark_save_costs_at_most_three_more_queries(people, journal, family, cost):
    """A new mark: the recipients with their preferences (1), the rows (1). A changed mark
    also reads its work type's name (the service does not load it): 3. A removed one: 2."""
    mark(people, journal, family.answer, "5")
    mark(people, journal, family.answer, "4")
    mark(people, journal, family.answer, "")
    assert cost == [2, 3, 2]
    assert Notification.objects.count() == 3 * 3


def test_r_not_5_an_absence_costs_two_more_queries(people, journal, family, cost):
    for kind in ("absent", "late", ""):
        attendance_set(
            actor=people.teacher,
            lesson=journal.maths_today,
            student=people.student_record,
            kind=kind,
            expected=None,
        )
    assert cost == [2, 2, 0]


def test_r_not_5_homework_costs_the_same_queries_whatever_the_class_size(
    people, journal, family, cost
):
    """The students of the course, their parents, the recipients' preferences, the rows."""
    homework(people, journal.maths_today, "№ 1")
    assert cost == [4]
    for n in range(12):
        child = f.student_make(people.lyceum, people.class_5a, f"Ученик{n:02d}")
        parent = f.UserFactory(username=f"p{n}", last_name=f"Родитель{n:02d}")
        f.parent_make(people.lyceum, parent, child)
        if n % 2:
            child.user = f.UserFactory(username=f"s{n}")
            child.save(update_fields=["user"])
    homework(people, journal.maths_today, "№ 2")
    assert cost == [4, 4]
    assert Notification.objects.filter(body__startswith="№ 2").count() == 4 + 12 + 6


def test_the_diary_link_is_the_diary_week(people):
    url = receivers.diary_url(people.lyceum, 7, dt.date(2026, 10, 9))
    assert url == reverse("diary_week", args=["lyceum", 7]) + "?date=2026-10-09"
