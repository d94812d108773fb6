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
    """The edit window (7 days) closes on 13 October, but marks may be entered until the
    14th (8 days), and a mark that could still be entered can still be fixed."""
    kwargs = dict(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
    )
    mark = mark_set(**kwargs, value="4", expected="")
    with time_machine.travel(dt.datetime(2026, 10, 14, 3, 0, tzinfo=dt.UTC), tick=False):
        mark = mark_set(**kwargs, value="5", expected=token(mark))
    later = dt.datetime(2026, 10, 15, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(later, tick=False), pytest.raises(Refusal) as refused:
        mark_set(**kwargs, value="4", expected=token(mark))
    assert refused.value.locked
    assert "14.10.2026" in refused.value.message
    assert Mark.objects.get().value == "5"


def test_r_mrk_5_current_marks_close_after_the_schools_limit(people, journal, answer):
    """Default: 8 days after the lesson, in the school's local time (Tomsk)."""
    kwargs = dict(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
        expected="",
    )
    # 14 October 23:59 in Tomsk is 16:59 UTC: still open
    with time_machine.travel(dt.datetime(2026, 10, 14, 16, 59, tzinfo=dt.UTC), tick=False):
        assert mark_set(**kwargs, value="4").value == "4"
    Mark.objects.all().delete()
    midnight = dt.datetime(2026, 10, 14, 17, 0, tzinfo=dt.UTC)
    with time_machine.travel(midnight, tick=False), pytest.raises(Refusal) as refused:
        mark_set(**kwargs, value="4")
    assert refused.value.locked


def test_r_mrk_5_an_essay_in_grade_10_may_be_checked_for_14_days(people, journal):
    from schedule.models import Lesson

    essay = WorkType.objects.get(school=people.lyceum, code="essay")
    type(people.class_5a).objects.filter(pk=people.class_5a.pk).update(grade=10)
    lesson = Lesson.objects.select_related("school__settings", "school_class", "subject", "group")
    lesson = lesson.get(pk=journal.maths_today.pk)
    kwargs = dict(actor=people.teacher, lesson=lesson, student=people.student_record)
    twelve_days_later = dt.datetime(2026, 10, 18, 3, 0, tzinfo=dt.UTC)
    with time_machine.travel(twelve_days_later, tick=False):
        assert mark_set(**kwargs, work_type=essay, value="5", expected="").value == "5"
        answer = WorkType.objects.get(school=people.lyceum, code="answer")
        with pytest.raises(Refusal):
            mark_set(**kwargs, work_type=answer, value="5", expected="")


def test_r_mrk_2_double_mark_has_two_cells(people, journal):
    dictation = WorkType.objects.get(school=people.lyceum, code="dictation")
    kwargs = dict(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=dictation,
        expected="",
    )
    mark_set(**kwargs, part=1, value="5")
    mark_set(**kwargs, part=2, value="3")
    assert sorted(Mark.objects.values_list("part", "value")) == [(1, "5"), (2, "3")]
    answer = WorkType.objects.get(school=people.lyceum, code="answer")
    with pytest.raises(Refusal):
        mark_set(**{**kwargs, "work_type": answer}, part=2, value="4")


def test_r_mrk_3_several_marks_in_one_lesson_with_comments(people, journal, answer):
    test = WorkType.objects.get(school=people.lyceum, code="test")
    base = dict(actor=people.teacher, lesson=journal.maths_today, student=people.student_record)
    mark_set(**base, work_type=answer, value="4", comment="устный ответ", expected="")
    mark_set(**base, work_type=test, value="5", comment="без ошибок", expected="")
    assert Mark.objects.filter(student=people.student_record).count() == 2


def test_r_mrk_4_grade_one_gets_no_marks_but_attendance(people, journal, answer):
    from journal.services.cells import attendance_set

    type(people.class_5a).objects.filter(pk=people.class_5a.pk).update(grade=1)
    journal.maths_today.school_class.grade = 1
    with pytest.raises(Refusal) as refused:
        mark_set(
            actor=people.teacher,
            lesson=journal.maths_today,
            student=people.student_record,
            work_type=answer,
            value="5",
            expected="",
        )
    assert refused.value.code == "grade_one"
    attendance_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        kind="absent",
        expected="",
    )


def test_r_mrk_1_pass_fail_scale(people, journal, answer):
    from accounts.models import SchoolSettings

    SchoolSettings.objects.filter(school=people.lyceum).update(mark_scale="pass")
    journal.maths_today.school.settings.mark_scale = "pass"
    kwargs = dict(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
        expected="",
    )
    with pytest.raises(Refusal):
        mark_set(**kwargs, value="5")
    mark = mark_set(**kwargs, value="зачёт")
    assert (mark.value, mark.points) == ("зч", None)


def test_r_mrk_6_entry_time_is_real_not_the_lessons(people, journal, answer):
    monday = lesson_on(people, dt.date(2026, 10, 5))
    mark = mark_set(
        actor=people.teacher,
        lesson=monday,
        student=people.student_record,
        work_type=answer,
        value="3",
        expected="",
    )
    assert mark.created_at == dt.datetime(2026, 10, 6, 3, 0, tzinfo=dt.UTC)
    assert JournalChange.objects.get().at == mark.created_at


def test_r_tt_4_timetable_change_keeps_lessons_with_marks(people, journal, answer):
    from schedule.services.timetable import entry_end

    monday = lesson_on(people, dt.date(2026, 10, 5))
    later = lesson_on(people, dt.date(2026, 10, 12))
    mark_set(
        actor=people.teacher,
        lesson=monday,
        student=people.student_record,
        work_type=answer,
        value="5",
        expected="",
    )
    from journal.models import LessonRecord

    LessonRecord.objects.create(school=people.lyceum, lesson=later, topic="Дроби")
    change = entry_end(actor=people.deputy, entry=monday.entry, from_date=dt.date(2026, 10, 5))
    kept = {lesson.pk for lesson in change.kept}
    assert {monday.pk, later.pk} <= kept
