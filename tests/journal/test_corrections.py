"""Correction requests for locked cells (R-MRK-6): the teacher asks with a reason, a deputy
head or the director decides; approval writes the change in the decider's name with the
teacher's reason, and nothing changes silently."""

import datetime as dt

import pytest
import time_machine

from accounts.models import Role, SchoolSettings, WorkType
from journal.history import chain_verify
from journal.models import Attendance, CorrectionRequest, JournalChange, Mark
from journal.rules import Refusal
from journal.services.cells import attendance_set, mark_set
from journal.services.corrections import correction_decide, correction_request_create

from .. import factories as f
from .conftest import lesson_on

# Wednesday 14 October 2026, 10:00 in Tomsk: the edit window (7 days) of 6 October is over
# the edit window closes after 13 October, new marks after the 14th: locked from the 15th
LOCKED = dt.datetime(2026, 10, 15, 3, 0, tzinfo=dt.UTC)
# Saturday 10 October: 6 October's existing values are still editable, new absences not
AFTER_ATTENDANCE_LIMIT = dt.datetime(2026, 10, 10, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def answer(people):
    return WorkType.objects.get(school=people.lyceum, code="answer")


@pytest.fixture
def locked_mark(people, journal, answer):
    """A «4» entered on 6 October; the test then runs on 14 October, when it is locked."""
    mark = mark_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
        value="4",
        expected="",
    )
    with time_machine.travel(LOCKED, tick=False):
        yield mark


def _ask(people, journal, answer, **kwargs):
    fields = dict(
        actor=people.teacher,
        kind="mark",
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
        new_value="5",
        reason="Ошибка при вводе: в тетради «5»",
    )
    fields.update(kwargs)
    return correction_request_create(**fields)


def test_r_mrk_6_approved_request_applies_the_change_in_the_deputys_name(
    people, journal, answer, locked_mark
):
    request = _ask(people, journal, answer, new_comment="контрольная")
    assert (request.status, request.old_value, request.new_value) == ("pending", "4", "5")
    assert request.requested_by == people.teacher
    assert Mark.objects.get().value == "4"  # nothing changes before the decision

    correction_decide(actor=people.deputy, request=request, approve=True, ip="10.0.0.7")

    mark = Mark.objects.get()
    assert (mark.value, mark.comment, mark.updated_by) == ("5", "контрольная", people.deputy)
    change = JournalChange.objects.order_by("-seq").first()
    assert (change.actor_id, change.action, change.old, change.new, change.ip) == (
        people.deputy.pk,
        "update",
        "4",
        "5 (контрольная)",
        "10.0.0.7",
    )
    assert change.reason == (
        f"Ошибка при вводе: в тетради «5» (заявка №{request.pk}, одобрил Завучева З.)"
    )
    assert change.teacher_id == people.teacher.pk  # the course's teacher, for the report
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", people.deputy)
    assert request.decided_at == LOCKED
    assert chain_verify(people.lyceum.pk).intact


def test_r_mrk_6_director_may_decide_and_remove_a_mark(people, journal, answer, locked_mark):
    request = _ask(people, journal, answer, new_value="")
    assert request.new_value == ""
    correction_decide(actor=people.director, request=request, approve=True)
    assert not Mark.objects.exists()
    change = JournalChange.objects.order_by("-seq").first()
    assert (change.action, change.old, change.new, change.actor_id) == (
        "delete",
        "4",
        "",
        people.director.pk,
    )


def test_r_mrk_6_rejection_needs_a_note_and_changes_nothing(people, journal, answer, locked_mark):
    request = _ask(people, journal, answer)
    entries = JournalChange.objects.count()
    with pytest.raises(Refusal) as refused:
        correction_decide(actor=people.deputy, request=request, approve=False, note="  ")
    assert refused.value.code == "note"
    assert CorrectionRequest.objects.get().status == "pending"

    correction_decide(
        actor=people.deputy, request=request, approve=False, note="В тетради стоит «4»"
    )
    request.refresh_from_db()
    assert (request.status, request.decision_note) == ("rejected", "В тетради стоит «4»")
    assert Mark.objects.get().value == "4"
    assert JournalChange.objects.count() == entries


def test_r_mrk_6_a_decided_request_is_not_decided_again(people, journal, answer, locked_mark):
    request = _ask(people, journal, answer)
    correction_decide(actor=people.deputy, request=request, approve=False, note="нет")
    stale = CorrectionRequest.objects.get(pk=request.pk)
    for approve in (True, False):
        with pytest.raises(Refusal) as refused:
            correction_decide(actor=people.director, request=stale, approve=approve, note="да")
        assert refused.value.code == "decided"
    assert Mark.objects.get().value == "4"


def test_r_mrk_6_an_open_cell_is_refused(people, journal, answer):
    mark_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
        value="4",
        expected="",
    )
    with pytest.raises(Refusal) as refused:
        _ask(people, journal, answer)
    assert refused.value.code == "open"
    assert refused.value.message == "Ячейка открыта: измените значение прямо в журнале."
    assert not CorrectionRequest.objects.exists()


def test_r_mrk_5_no_request_for_a_lesson_that_has_not_started(people, journal, answer):
    tomorrow = lesson_on(people, dt.date(2026, 10, 7))
    with pytest.raises(Refusal) as refused:
        _ask(people, journal, answer, lesson=tomorrow)
    assert refused.value.code == "future"


def test_r_mrk_6_reason_is_required(people, journal, answer, locked_mark):
    with pytest.raises(Refusal) as refused:
        _ask(people, journal, answer, reason=" \n ")
    assert refused.value.code == "reason"
    assert refused.value.message == "Укажите, почему ячейку нужно исправить."


def test_r_mrk_6_one_pending_request_per_cell(people, journal, answer, locked_mark):
    first = _ask(people, journal, answer)
    with pytest.raises(Refusal) as refused:
        _ask(people, journal, answer, new_value="3")
    assert refused.value.code == "pending"
    correction_decide(actor=people.deputy, request=first, approve=False, note="нет")
    assert _ask(people, journal, answer, new_value="3").old_value == "4"


def test_r_mrk_6_same_value_and_bad_value_are_refused(people, journal, answer, locked_mark):
    with pytest.raises(Refusal) as refused:
        _ask(people, journal, answer, new_value="4")
    assert refused.value.code == "same"
    with pytest.raises(Refusal) as refused:
        _ask(people, journal, answer, new_value="7")
    assert refused.value.code == "scale"


def test_r_role_3_only_the_courses_teacher_asks(people, journal, answer, locked_mark):
    for actor in (journal.english_teacher, people.deputy):
        with pytest.raises(Refusal) as refused:
            _ask(people, journal, answer, actor=actor)
        assert refused.value.code == "forbidden"


def test_r_mrk_6_only_a_deputy_or_the_director_decides(people, journal, answer, locked_mark):
    request = _ask(people, journal, answer)
    for actor in (people.teacher, people.class_teacher, people.admin, people.outsider):
        with pytest.raises(Refusal) as refused:
            correction_decide(actor=actor, request=request, approve=True)
        assert refused.value.code == "forbidden"
    assert Mark.objects.get().value == "4"
    assert CorrectionRequest.objects.get().status == "pending"


def test_r_mrk_6_a_former_deputy_no_longer_decides(people, journal, answer, locked_mark):
    request = _ask(people, journal, answer)
    people.deputy.memberships.filter(role=Role.DEPUTY).update(ends_on=dt.date(2026, 10, 14))
    with pytest.raises(Refusal) as refused:
        correction_decide(actor=people.deputy, request=request, approve=True)
    assert refused.value.code == "forbidden"


def test_r_mrk_6_nobody_decides_his_own_request(people, journal, answer, locked_mark):
    f.member(people.teacher, people.lyceum, Role.DEPUTY)
    request = _ask(people, journal, answer)
    with pytest.raises(Refusal) as refused:
        correction_decide(actor=people.teacher, request=request, approve=True)
    assert refused.value.code == "forbidden"


def test_r_att_2_request_for_a_missed_absence(people, journal):
    """The absence limit (2 days) is over: the teacher asks, the deputy approves."""
    with time_machine.travel(AFTER_ATTENDANCE_LIMIT, tick=False):
        request = correction_request_create(
            actor=people.teacher,
            kind="attendance",
            lesson=journal.maths_today,
            student=people.student_record,
            new_value="Н",
            reason="Забыл отметить отсутствие",
        )
        assert (request.old_value, request.new_value, request.work_type) == ("", "н", None)
        correction_decide(actor=people.deputy, request=request, approve=True)
    row = Attendance.objects.get()
    assert (row.kind, row.created_by) == (Attendance.Kind.ABSENT, people.deputy)
    change = JournalChange.objects.get()
    assert (change.subject_kind, change.new, change.actor_id) == (
        "attendance",
        "н",
        people.deputy.pk,
    )
    assert "Забыл отметить отсутствие" in change.reason


def test_r_att_2_an_editable_absence_is_open_and_an_unknown_letter_refused(people, journal):
    attendance_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        kind=Attendance.Kind.ABSENT,
        expected="",
    )
    kwargs = dict(
        actor=people.teacher,
        kind="attendance",
        lesson=journal.maths_today,
        student=people.student_record,
        reason="Опоздал, а не отсутствовал",
    )
    with time_machine.travel(AFTER_ATTENDANCE_LIMIT, tick=False):
        with pytest.raises(Refusal) as refused:
            correction_request_create(**kwargs, new_value="оп")
        assert refused.value.code == "open"
    with time_machine.travel(LOCKED, tick=False):
        with pytest.raises(Refusal) as refused:
            correction_request_create(**kwargs, new_value="x")
        assert refused.value.code == "invalid"
        request = correction_request_create(**kwargs, new_value="оп")
        assert (request.old_value, request.new_value) == ("н", "оп")
        correction_decide(actor=people.deputy, request=request, approve=True)
    assert Attendance.objects.get().kind == Attendance.Kind.LATE


def test_r_mrk_6_approval_refused_when_the_cell_changed_meanwhile(
    people, journal, answer, locked_mark
):
    request = _ask(people, journal, answer)
    settings = people.lyceum.settings
    settings.edit_window_days = SchoolSettings.EditWindow.NEVER_LOCKED
    settings.save()
    lesson = journal.maths_today
    lesson.school.settings.edit_window_days = SchoolSettings.EditWindow.NEVER_LOCKED
    mark_set(
        actor=people.teacher,
        lesson=lesson,
        student=people.student_record,
        work_type=answer,
        value="3",
        expected=None,
    )
    with pytest.raises(Refusal) as refused:
        correction_decide(actor=people.deputy, request=request, approve=True)
    assert refused.value.code == "changed"
    assert "«3»" in refused.value.message
    assert Mark.objects.get().value == "3"
    assert CorrectionRequest.objects.get().status == "pending"
