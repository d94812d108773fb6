"""The weekly timetable, its clashes, date-forward changes and the dated lessons
(R-TT-1, R-TT-2, R-TT-4)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from schedule import lesson_content
from schedule.models import (
    Bell,
    BellSchedule,
    Group,
    GroupMembership,
    Lesson,
    TimetableEntry,
)
from schedule.services.timetable import entry_add, entry_end, entry_replace, year_lessons_generate
from tests import factories as f

SEP_1 = dt.date(2026, 9, 1)


def add(people, timetable, **fields):
    values = {
        "actor": people.deputy,
        "school_class": people.class_5a,
        "group": people.class_5a.groups.get(is_whole_class=True),
        "subject": people.maths,
        "teacher": people.teacher,
        "room": timetable.room_201,
        "weekday": 1,
        "number": 1,
        "starts_on": SEP_1,
    }
    values.update(fields)
    return entry_add(**values)


def messages(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def test_r_tt_2_lessons_are_generated_for_the_year_skipping_holidays(people, timetable):
    change = add(people, timetable)
    dates = list(
        Lesson.objects.filter(entry=change.entries[0])
        .order_by("date")
        .values_list("date", flat=True)
    )
    assert dates[0] == dt.date(2026, 9, 7)  # the first Monday of the year
    assert dates[-1] == dt.date(2027, 5, 31)
    assert all(d.isoweekday() == 1 for d in dates)
    assert dt.date(2026, 10, 26) not in dates  # autumn vacation
    assert dt.date(2026, 11, 2) not in dates
    assert dt.date(2026, 11, 9) in dates
    assert change.created == len(dates) == 37  # 39 Mondays, 2 in the vacation
    lesson = Lesson.objects.get(entry=change.entries[0], date=dt.date(2026, 9, 7))
    assert (lesson.starts_at, lesson.ends_at) == (dt.time(8, 0), dt.time(8, 45))
    assert lesson.teacher == people.teacher and lesson.room == timetable.room_201


def test_r_tt_2_a_public_holiday_and_a_grade_only_holiday_are_skipped(people, timetable):
    from schedule.models import Holiday

    Holiday.objects.create(
        school=people.lyceum,
        year=people.year,
        name="Дополнительные каникулы 1 класса",
        starts_on=dt.date(2026, 9, 14),
        ends_on=dt.date(2026, 9, 20),
        grades="1",
    )
    Holiday.objects.create(
        school=people.lyceum,
        year=people.year,
        name="Каникулы 5 класса",
        starts_on=dt.date(2026, 9, 21),
        ends_on=dt.date(2026, 9, 21),
        grades="5, 6",
    )
    change = add(people, timetable, weekday=3)  # Wednesdays: 4 November is a holiday
    dates = set(Lesson.objects.filter(entry=change.entries[0]).values_list("date", flat=True))
    assert dt.date(2026, 11, 4) not in dates
    assert dt.date(2026, 9, 16) in dates  # grade 1's holiday does not stop grade 5
    change = add(people, timetable, weekday=1, number=2)
    dates = set(Lesson.objects.filter(entry=change.entries[0]).values_list("date", flat=True))
    assert dt.date(2026, 9, 21) not in dates


def test_r_tt_1_teacher_clash_is_refused_with_a_message_naming_it(people, timetable):
    add(people, timetable)
    with pytest.raises(ValidationError) as e:
        add(
            people,
            timetable,
            school_class=people.class_5b,
            group=people.class_5b.groups.get(is_whole_class=True),
            room=timetable.room_202,
        )
    assert (
        "Учитель Учителев У. в это время уже ведёт урок «Математика» в 5А (Понедельник, 1-й урок)."
        in messages(e)
    )
    assert TimetableEntry.objects.count() == 1


def test_r_tt_1_room_clash(people, timetable):
    add(people, timetable)
    other = f.UserFactory(last_name="Другова", first_name="Дарья")
    f.member(other, people.lyceum, Role.TEACHER)
    with pytest.raises(ValidationError) as e:
        add(
            people,
            timetable,
            school_class=people.class_5b,
            group=people.class_5b.groups.get(is_whole_class=True),
            teacher=other,
        )
    assert "Кабинет 201 в это время занят: 5А, Математика (Учителев У.)." in messages(e)


def test_r_tt_1_group_clash_whole_class_against_subgroup(people, timetable):
    add(people, timetable)
    other = f.UserFactory(last_name="Другова", first_name="Дарья")
    f.member(other, people.lyceum, Role.TEACHER)
    with pytest.raises(ValidationError) as e:
        add(
            people,
            timetable,
            group=people.english_1,
            subject=people.english,
            teacher=other,
            room=timetable.room_202,
        )
    assert (
        "У 5А в это время уже стоит урок «Математика» (Учителев У., Понедельник, 1-й урок)."
        in messages(e)
    )


def test_r_tt_1_two_subgroups_of_a_class_in_parallel_are_fine(people, timetable):
    other = f.UserFactory(last_name="Другова", first_name="Дарья")
    f.member(other, people.lyceum, Role.TEACHER)
    add(people, timetable, group=people.english_1, subject=people.english)
    add(
        people,
        timetable,
        group=people.english_2,
        subject=people.english,
        teacher=other,
        room=timetable.room_202,
    )
    assert Lesson.objects.filter(date=dt.date(2026, 9, 7), number=1).count() == 2


def test_r_tt_1_a_student_in_two_parallel_subgroups_is_a_clash(people, timetable):
    """Subgroups of different subjects may meet at once only when no student is in both."""
    informatics = f.subject_make(people.lyceum, "Информатика")
    it_1 = Group.objects.create(
        school=people.lyceum, school_class=people.class_5a, name="1 группа", subject=informatics
    )
    GroupMembership.objects.create(
        school=people.lyceum, group=it_1, student=people.other_student_record, starts_on=SEP_1
    )
    other = f.UserFactory(last_name="Другова", first_name="Дарья")
    f.member(other, people.lyceum, Role.TEACHER)
    add(people, timetable, group=people.english_1, subject=people.english)
    # english_1 holds student_record only: informatics group 1 (other_student) may meet too
    add(people, timetable, group=it_1, subject=informatics, teacher=other, room=timetable.room_202)
    TimetableEntry.objects.filter(group=it_1).delete()
    Lesson.objects.filter(group=it_1).delete()
    GroupMembership.objects.create(
        school=people.lyceum, group=it_1, student=people.student_record, starts_on=SEP_1
    )
    with pytest.raises(ValidationError) as e:
        add(
            people,
            timetable,
            group=it_1,
            subject=informatics,
            teacher=other,
            room=timetable.room_202,
        )
    assert (
        "Родителев Степан состоит и в группе 5А 1 группа (Информатика), и в группе "
        "5А 1 группа (Английский язык), а они занимаются в одно время" in messages(e)
    )


def test_r_tt_1_clash_is_found_by_time_across_shifts_and_bell_schedules(people, timetable):
    """5Б follows a bell schedule whose 2nd lesson overlaps 5А's 1st: the teacher clashes."""
    late = BellSchedule.objects.create(school=people.lyceum, name="Сдвинутый", shift=1)
    Bell.objects.create(
        school=people.lyceum,
        schedule=late,
        number=2,
        starts_at=dt.time(8, 30),
        ends_at=dt.time(9, 15),
    )
    Bell.objects.create(
        school=people.lyceum,
        schedule=late,
        number=3,
        starts_at=dt.time(9, 25),
        ends_at=dt.time(10, 10),
    )
    people.class_5b.bell_schedule = late
    people.class_5b.save()
    add(people, timetable)
    whole_5b = people.class_5b.groups.get(is_whole_class=True)
    with pytest.raises(ValidationError):
        add(people, timetable, school_class=people.class_5b, group=whole_5b, number=2, room=None)
    add(people, timetable, school_class=people.class_5b, group=whole_5b, number=3, room=None)


def test_r_tt_1_entries_in_force_on_different_dates_do_not_clash(people, timetable):
    add(people, timetable, ends_on=dt.date(2026, 9, 30))
    add(
        people,
        timetable,
        school_class=people.class_5b,
        group=people.class_5b.groups.get(is_whole_class=True),
        starts_on=dt.date(2026, 10, 1),
    )
    assert TimetableEntry.objects.count() == 2


@pytest.mark.parametrize(
    "fields, text",
    [
        ({"weekday": 6}, "5 класс учится 5 дней в неделю"),
        ({"number": 9}, "В расписании звонков 5А нет 9-го урока"),
        ({"starts_on": dt.date(2027, 6, 10)}, "Дата должна быть в пределах учебного года"),
    ],
)
def test_r_tt_1_entry_validation(people, timetable, fields, text):
    with pytest.raises(ValidationError) as e:
        add(people, timetable, **fields)
    assert text in messages(e)


def test_r_tt_1_a_class_without_bells_and_a_foreign_teacher(people, timetable):
    people.class_5b.bell_schedule = None
    people.class_5b.save()
    whole_5b = people.class_5b.groups.get(is_whole_class=True)
    with pytest.raises(ValidationError) as e:
        add(people, timetable, school_class=people.class_5b, group=whole_5b)
    assert "У класса 5Б не задано расписание звонков" in messages(e)
    with pytest.raises(ValidationError) as e:
        add(people, timetable, teacher=people.outsider)
    assert "не работает учителем в этой школе" in messages(e)


def test_r_tt_1_only_the_administration_changes_the_timetable(people, timetable):
    for user in (people.teacher, people.class_teacher, people.parent, people.outsider):
        with pytest.raises(ValidationError):
            add(people, timetable, actor=user)
    for user in (people.admin, people.director, people.deputy):
        change = add(people, timetable, actor=user)
        entry_end(actor=user, entry=change.entries[0], from_date=SEP_1)
    assert not Lesson.objects.exists()


def test_r_tt_4_a_change_applies_from_its_date_forward_only(people, timetable):
    change = add(people, timetable)
    entry = change.entries[0]
    past = Lesson.objects.filter(entry=entry, date__lt=dt.date(2026, 10, 12))
    past_ids = set(past.values_list("pk", flat=True))
    other = f.UserFactory(last_name="Другова", first_name="Дарья")
    f.member(other, people.lyceum, Role.TEACHER)
    replaced = entry_replace(
        actor=people.deputy, entry=entry, from_date=dt.date(2026, 10, 12), teacher=other
    )
    entry.refresh_from_db()
    assert entry.ends_on == dt.date(2026, 10, 11)
    assert set(Lesson.objects.filter(entry=entry).values_list("pk", flat=True)) == past_ids
    assert set(Lesson.objects.filter(teacher=people.teacher).values_list("pk", flat=True)) == (
        past_ids
    )
    new = Lesson.objects.filter(entry=replaced.entries[0]).order_by("date")
    assert new[0].date == dt.date(2026, 10, 12) and new[0].teacher == other
    assert replaced.deleted == new.count() == replaced.created


def test_r_tt_4_lessons_with_work_are_kept_and_reported(people, timetable):
    """A change from a past date does not rewrite a lesson holding work: a control work,
    a replacement, or what the journal registers (topic, attendance, marks)."""
    change = add(people, timetable)
    entry = change.entries[0]
    with_work = Lesson.objects.get(entry=entry, date=dt.date(2026, 9, 14))
    with_work.control_work = "Контрольная работа №1"
    with_work.save()
    marked = Lesson.objects.get(entry=entry, date=dt.date(2026, 9, 21))

    def journal_marks(lessons):  # what the journal registers: here, one lesson with marks
        return lessons.filter(pk=marked.pk)

    lesson_content.register(journal_marks)
    try:
        result = entry_replace(
            actor=people.deputy,
            entry=entry,
            from_date=dt.date(2026, 9, 1),
            weekday=2,
        )
    finally:
        lesson_content._checks.remove(journal_marks)
    assert {lesson.pk for lesson in result.kept} == {with_work.pk, marked.pk}
    assert not TimetableEntry.objects.filter(pk=entry.pk).exists()  # never in force
    kept = Lesson.objects.get(pk=with_work.pk)
    assert kept.control_work == "Контрольная работа №1" and kept.entry is None
    assert Lesson.objects.filter(date=dt.date(2026, 9, 8), entry=result.entries[0]).exists()
    assert Lesson.objects.filter(date__week_day=2).count() == 2  # only the kept Mondays


def test_r_tt_4_a_new_entry_does_not_overwrite_a_kept_lesson_in_its_slot(people, timetable):
    change = add(people, timetable)
    kept = Lesson.objects.get(entry=change.entries[0], date=dt.date(2026, 9, 14))
    kept.control_work = "Диктант"
    kept.save()
    entry_end(actor=people.deputy, entry=change.entries[0], from_date=SEP_1)
    again = add(people, timetable, subject=people.maths)
    assert [lesson.pk for lesson in again.kept] == [kept.pk]
    assert Lesson.objects.filter(date=dt.date(2026, 9, 14), number=1).count() == 1


def test_r_tt_2_year_generation_is_idempotent(people, timetable):
    add(people, timetable)
    count = Lesson.objects.count()
    assert year_lessons_generate(year=people.year) == 0
    deleted, _by_model = Lesson.objects.filter(date__gte=dt.date(2027, 1, 1)).delete()
    assert deleted == 22
    assert year_lessons_generate(year=people.year) == deleted
    assert Lesson.objects.count() == count
