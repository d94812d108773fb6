"""Lesson details: lesson_record_save, homework files, homework_due and lesson_columns
(R-LES-1..4, R-ROLE-3)."""

import datetime as dt
import os

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import WorkType
from journal.history import chain_verify
from journal.lesson_selectors import homework_due, lesson_columns
from journal.models import HomeworkFile, JournalChange, LessonRecord
from journal.rules import Refusal
from journal.services.cells import mark_set
from journal.services.lessons import (
    HOMEWORK_FILE_MAX_BYTES,
    homework_file_add,
    homework_file_remove,
    lesson_record_save,
    record_token,
    school_work_types,
)
from schedule.models import Lesson

from .conftest import lesson_on

MONDAY = dt.date(2026, 10, 5)
TUESDAY = dt.date(2026, 10, 6)  # today, 10:00: lesson 2 has started
WEDNESDAY = dt.date(2026, 10, 7)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def work_type(people, code):
    return WorkType.objects.get(school=people.lyceum, code=code)


def save(actor, lesson, **fields):
    values = dict(
        topic="",
        homework="",
        homework_pages="",
        homework_exercises="",
        work_type_ids=[],
    )
    values.update(fields)
    return lesson_record_save(actor=actor, lesson=lesson, **values)


# --- R-LES-1: the topic ------------------------------------------------------------------


def test_r_les_1_a_conducted_lesson_needs_a_topic(people, journal):
    with pytest.raises(Refusal) as refused:
        save(people.teacher, journal.maths_today, homework="№ 5")
    assert refused.value.code == "topic"
    assert "тему" in refused.value.message
    assert not LessonRecord.objects.exists()


def test_r_les_1_a_future_lesson_may_have_no_topic_yet(people, journal):
    record = save(people.teacher, lesson_on(people, WEDNESDAY), homework="Повторить § 3")
    assert (record.topic, record.homework) == ("", "Повторить § 3")


def test_r_les_1_todays_lesson_needs_its_topic_once_it_has_started(people, journal):
    lesson = journal.maths_today  # lesson 2 begins at 08:55 in Tomsk
    before = dt.datetime(2026, 10, 6, 8, 50, tzinfo=people.lyceum.tz)
    with time_machine.travel(before, tick=False):
        assert save(people.teacher, lesson, homework="№ 3").topic == ""
    with pytest.raises(Refusal):
        save(people.teacher, lesson, homework="№ 4")


def test_r_les_1_the_topic_is_saved_with_spaces_tidied_and_confirmed(people, journal):
    record = save(people.teacher, journal.maths_today, topic="  Сложение   дробей ")
    assert record.topic == "Сложение дробей"
    assert record.topic_confirmed
    assert record.updated_by == people.teacher


def test_r_les_1_a_cancelled_lesson_takes_no_details(people, journal):
    lesson = lesson_on(people, MONDAY)
    Lesson.objects.filter(pk=lesson.pk).update(is_cancelled=True, change_reason="болезнь")
    lesson.refresh_from_db()
    with pytest.raises(Refusal) as refused:
        save(people.teacher, lesson, topic="Дроби")
    assert refused.value.code == "cancelled"


def test_r_les_1_topic_and_homework_changes_go_to_the_history(people, journal):
    lesson = journal.maths_today
    save(people.teacher, lesson, topic="Дроби", homework="№ 1", homework_pages="12", ip="10.0.0.7")
    save(
        people.teacher,
        lesson,
        topic="Обыкновенные дроби",
        homework="№ 1",
        homework_pages="12",
        homework_exercises="3, 4",
    )
    changes = list(JournalChange.objects.order_by("seq"))
    assert [(c.subject_kind, c.action, c.old, c.new) for c in changes] == [
        ("topic", "create", "", "Дроби"),
        ("homework", "create", "", "№ 1; с. 12"),
        ("topic", "update", "Дроби", "Обыкновенные дроби"),
        ("homework", "update", "№ 1; с. 12", "№ 1; с. 12; упр. 3, 4"),
    ]
    assert changes[0].ip == "10.0.0.7"
    assert changes[0].lesson_id == lesson.pk
    assert "5А · Математика · 06.10.2026 №2" in changes[0].label
    assert chain_verify(people.lyceum.pk).intact


def test_r_les_1_saving_the_same_values_writes_no_history(people, journal):
    save(people.teacher, journal.maths_today, topic="Дроби")
    save(people.teacher, journal.maths_today, topic="Дроби")
    assert JournalChange.objects.count() == 1


def test_r_les_1_a_stale_form_gets_a_conflict(people, journal):
    first = save(people.teacher, journal.maths_today, topic="Дроби")
    token = record_token(first)
    save(people.teacher, journal.maths_today, topic="Дроби и доли", expected=token)
    with pytest.raises(Refusal) as refused:
        save(people.teacher, journal.maths_today, topic="Другое", expected=token)
    assert refused.value.code == "conflict"
    assert LessonRecord.objects.get().topic == "Дроби и доли"


def test_r_les_1_a_new_record_expects_none_to_exist(people, journal):
    save(people.teacher, journal.maths_today, topic="Дроби")
    with pytest.raises(Refusal) as refused:
        save(people.teacher, journal.maths_today, topic="Другое", expected="")
    assert refused.value.code == "conflict"


# --- R-LES-4, R-ROLE-3: who -----------------------------------------------------------------


def test_r_les_4_the_substitute_fills_the_lesson_he_replaces(people, journal):
    lesson = journal.maths_today
    Lesson.objects.filter(pk=lesson.pk).update(
        substitute=journal.english_teacher, change_reason="болезнь учителя"
    )
    lesson.refresh_from_db()
    record = save(journal.english_teacher, lesson, topic="Дроби")
    assert record.updated_by == journal.english_teacher
    # ... but not the course's other lessons
    with pytest.raises(Refusal) as refused:
        save(journal.english_teacher, lesson_on(people, MONDAY), topic="Дроби")
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize("who", ["class_teacher", "deputy", "director", "outsider"])
def test_r_role_3_only_the_course_teacher_writes_the_details(people, journal, who):
    with pytest.raises(Refusal) as refused:
        save(getattr(people, who), journal.maths_today, topic="Дроби")
    assert refused.value.code == "forbidden"


def test_r_role_3_another_teacher_of_the_class_cannot_write(people, journal):
    with pytest.raises(Refusal):
        save(journal.english_teacher, journal.english_1_today, topic="Present Simple")


# --- R-LES-3: mark columns ------------------------------------------------------------------


def test_r_les_3_no_columns_means_the_school_first_work_type(people, journal):
    record = save(people.teacher, journal.maths_today, topic="Дроби")
    first = school_work_types(people.lyceum.pk)[0]
    assert record.work_type_ids == [first.pk]
    assert first.code == "answer"


def test_r_les_3_columns_keep_their_order_without_repeats(people, journal):
    test, answer = work_type(people, "test"), work_type(people, "answer")
    record = save(
        people.teacher,
        journal.maths_today,
        topic="Дроби",
        work_type_ids=[test.pk, str(answer.pk), test.pk],
    )
    assert record.work_type_ids == [test.pk, answer.pk]
    assert [w.code for w in lesson_columns(record, school_work_types(people.lyceum.pk))] == [
        "test",
        "answer",
    ]


def test_r_les_3_another_school_work_type_is_refused(people, journal):
    foreign = WorkType.objects.filter(school=people.gymnasium).first()
    with pytest.raises(Refusal) as refused:
        save(people.teacher, journal.maths_today, topic="Дроби", work_type_ids=[foreign.pk])
    assert refused.value.message == "Неизвестный вид работы."


def test_r_les_3_a_column_holding_marks_cannot_be_removed(people, journal):
    test, answer = work_type(people, "test"), work_type(people, "answer")
    lesson = journal.maths_today
    save(people.teacher, lesson, topic="Дроби", work_type_ids=[answer.pk, test.pk])
    mark_set(
        actor=people.teacher,
        lesson=lesson,
        student=people.student_record,
        work_type=test,
        value="5",
        expected="",
    )
    with pytest.raises(Refusal) as refused:
        save(people.teacher, lesson, topic="Дроби", work_type_ids=[answer.pk])
    assert refused.value.code == "columns"
    assert "«Тест»" in refused.value.message and "оценки" in refused.value.message
    assert LessonRecord.objects.get().work_type_ids == [answer.pk, test.pk]
    # reordering keeps it: allowed
    record = save(people.teacher, lesson, topic="Дроби", work_type_ids=[test.pk, answer.pk])
    assert record.work_type_ids == [test.pk, answer.pk]


def test_r_les_3_marks_in_the_default_column_keep_it(people, journal):
    """A mark set before any record exists is in the default column: it stays."""
    answer, test = work_type(people, "answer"), work_type(people, "test")
    mark_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
        value="4",
        expected="",
    )
    with pytest.raises(Refusal):
        save(people.teacher, journal.maths_today, topic="Дроби", work_type_ids=[test.pk])


def test_r_les_3_lesson_columns_default_and_deleted_types(people, journal):
    types = school_work_types(people.lyceum.pk)
    assert lesson_columns(None, types) == [types[0]]
    record = LessonRecord(work_type_ids=[types[3].pk, 999999])
    assert lesson_columns(record, types) == [types[3]]
    assert lesson_columns(LessonRecord(work_type_ids=[]), types) == [types[0]]
    assert lesson_columns(None, []) == []


# --- R-LES-2: homework due at the next lesson ------------------------------------------------


def test_r_les_2_homework_is_due_at_the_next_lesson_of_the_course(people, journal):
    monday = lesson_on(people, MONDAY)
    save(people.teacher, monday, topic="Дроби", homework="№ 12", homework_pages="40")
    due = homework_due([journal.maths_today, lesson_on(people, WEDNESDAY), monday])
    assert set(due) == {journal.maths_today.pk}
    assert due[journal.maths_today.pk].homework == "№ 12"
    assert due[journal.maths_today.pk].lesson == monday


def test_r_les_2_homework_of_another_course_is_not_due(people, journal):
    # English group 1 on Tuesday: the previous English lesson of group 1, not maths
    save(people.teacher, lesson_on(people, MONDAY), topic="Дроби", homework="№ 12")
    assert homework_due([journal.english_1_today]) == {}
    last_week = lesson_on(people, dt.date(2026, 9, 29), people.english_1, people.english)
    save(people.teacher, last_week, topic="Present", homework="ex. 3")
    due = homework_due([journal.english_1_today, journal.english_2_today])
    assert set(due) == {journal.english_1_today.pk}


def test_r_les_2_a_cancelled_lesson_passes_the_homework_on(people, journal):
    friday = lesson_on(people, dt.date(2026, 10, 2))
    monday = lesson_on(people, MONDAY)
    save(people.teacher, friday, topic="Дроби", homework="№ 7")
    Lesson.objects.filter(pk=monday.pk).update(is_cancelled=True, change_reason="карантин")
    monday.refresh_from_db()
    due = homework_due([monday, journal.maths_today])
    assert list(due) == [journal.maths_today.pk]
    assert due[journal.maths_today.pk].homework == "№ 7"


def test_r_les_2_nothing_given_at_the_previous_lesson_is_nothing_due(people, journal):
    save(people.teacher, lesson_on(people, dt.date(2026, 10, 2)), topic="Дроби", homework="№ 7")
    save(people.teacher, lesson_on(people, MONDAY), topic="Дроби 2")
    assert homework_due([journal.maths_today]) == {}


def test_r_les_2_homework_due_costs_three_queries_for_any_number_of_lessons(
    people, journal, django_assert_num_queries
):
    lessons = list(Lesson.objects.filter(subject=people.maths).order_by("date")[:40])
    for lesson in lessons[:20]:
        if lesson.date < TUESDAY:
            save(people.teacher, lesson, topic="Тема", homework=f"№ {lesson.pk}")
    # previous lessons (one query with a subquery), their records, their files
    with django_assert_num_queries(3):
        due = homework_due(lessons)
    assert len(due) >= 20 - 1 - 5  # every lesson after a past one that gave homework
    for lesson_id, record in due.items():
        assert record.lesson.date < next(x.date for x in lessons if x.pk == lesson_id)


# --- R-LES-2: files ------------------------------------------------------------------------


def upload(name="задание.pdf", size=1000):
    return SimpleUploadedFile(name, b"x" * size, content_type="application/pdf")


def test_r_les_2_a_homework_file_is_stored_under_media_root(people, journal, settings):
    attached = homework_file_add(
        actor=people.teacher, lesson=journal.maths_today, upload=upload(), ip="10.0.0.1"
    )
    assert attached.name == "задание.pdf" and attached.size == 1000
    path = attached.file.path
    assert path.startswith(settings.MEDIA_ROOT)
    assert os.path.exists(path)
    change = JournalChange.objects.get()
    assert (change.subject_kind, change.action, change.new) == (
        "homework",
        "create",
        "файл задание.pdf",
    )


def test_r_les_2_a_file_over_10_mb_is_refused(people, journal):
    with pytest.raises(Refusal) as refused:
        homework_file_add(
            actor=people.teacher,
            lesson=journal.maths_today,
            upload=upload(size=HOMEWORK_FILE_MAX_BYTES + 1),
        )
    assert refused.value.code == "size"
    assert "10 МБ" in refused.value.message
    assert not HomeworkFile.objects.exists()


def test_r_les_2_only_the_teacher_attaches_files(people, journal):
    with pytest.raises(Refusal):
        homework_file_add(actor=people.class_teacher, lesson=journal.maths_today, upload=upload())


def test_r_les_2_a_removed_file_leaves_the_disk_after_commit(
    people, journal, django_capture_on_commit_callbacks
):
    attached = homework_file_add(actor=people.teacher, lesson=journal.maths_today, upload=upload())
    path = attached.file.path
    with django_capture_on_commit_callbacks(execute=True):
        homework_file_remove(actor=people.teacher, lesson=journal.maths_today, file_id=attached.pk)
    assert not HomeworkFile.objects.exists()
    assert not os.path.exists(path)
    assert JournalChange.objects.order_by("-seq").first().old == "файл задание.pdf"
    with pytest.raises(Refusal) as refused:
        homework_file_remove(actor=people.teacher, lesson=journal.maths_today, file_id=attached.pk)
    assert refused.value.code == "gone"


def test_r_les_2_a_homework_with_only_a_file_is_due(people, journal):
    homework_file_add(actor=people.teacher, lesson=lesson_on(people, MONDAY), upload=upload())
    due = homework_due([journal.maths_today])
    assert [f.name for f in due[journal.maths_today.pk].files.all()] == ["задание.pdf"]
