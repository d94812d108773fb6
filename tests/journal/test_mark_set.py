"""mark_set: who, when, what, conflicts and history (R-MRK-1..6, R-ROLE-3, R-LES-4)."""

import datetime as dt

import pytest
import time_machine

from accounts.models import WorkType
from journal.history import chain_verify
from journal.models import JournalChange, Mark
from journal.rules import Refusal
from journal.services.cells import Conflict, mark_set, token

from .conftest import lesson_on


@pytest.fixture
def answer(people):
    return WorkType.objects.get(school=people.lyceum, code="answer")


def test_r_mrk_1_teacher_sets_a_mark_and_history_records_it(people, journal, answer):
    mark = mark_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
        value="5",
        comment="у доски",
        expected="",
        ip="10.0.0.1",
    )
    assert (mark.value, mark.points, mark.comment) == ("5", 5, "у доски")
    change = JournalChange.objects.get()
    assert (change.action, change.old, change.new, change.ip) == (
        "create",
        "",
        "5 (у доски)",
        "10.0.0.1",
    )
    assert chain_verify(people.lyceum.pk).intact


def test_r_mrk_1_value_outside_the_scale_is_refused(people, journal, answer):
    with pytest.raises(Refusal) as refused:
        mark_set(
            actor=people.teacher,
            lesson=journal.maths_today,
            student=people.student_record,
            work_type=answer,
            value="6",
            expected="",
        )
    assert refused.value.code == "scale"
    assert not Mark.objects.exists()


def test_r_role_3_other_teacher_cannot_mark(people, journal, answer):
    with pytest.raises(Refusal) as refused:
        mark_set(
            actor=journal.english_teacher,
            lesson=journal.maths_today,
            student=people.student_record,
            work_type=answer,
            value="4",
            expected="",
        )
    assert refused.value.code == "forbidden"


def test_r_mrk_5_no_marks_on_a_future_lesson(people, journal, answer):
    tomorrow = lesson_on(people, dt.date(2026, 10, 7))
    with pytest.raises(Refusal) as refused:
        mark_set(
            actor=people.teacher,
            lesson=tomorrow,
            student=people.student_record,
            work_type=answer,
            value="4",
            expected="",
        )
    assert refused.value.code == "future"


def test_r_mrk_6_second_writer_gets_a_conflict(people, journal, answer):
    kwargs = dict(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
    )
    first = mark_set(**kwargs, value="4", expected="")
    with pytest.raises(Conflict) as conflict:
        mark_set(**kwargs, value="3", expected="")
    assert conflict.value.current == "4"
    assert Mark.objects.get().value == "4"
    second = mark_set(**kwargs, value="3", expected=token(first))
    assert second.value == "3" and second.version == 2


def test_r_mrk_6_locked_after_the_edit_window(people, journal, answer):
    kwargs = dict(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
    )
    mark = mark_set(**kwargs, value="4", expected="")
    later = dt.datetime(2026, 10, 14, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False), pytest.raises(Refusal) as refused:
        mark_set(**kwargs, value="5", expected=token(mark))
    assert refused.value.locked
    assert "13.10.2026" in refused.value.message
