"""The diary's week (R-LES-2, R-ROLE-2, R-ATT-4, R-NFR-4): each day's lessons with time,
room, subject, teacher, replacement and cancellation; the topic; the homework due (given at
the course's previous lesson held) with its files; the marks got with work type, weight and
the teacher's comment; absences, latenesses and absences a parent reported. A fixed number
of queries whatever the number of lessons and marks."""

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from journal.models import HomeworkFile, LessonRecord
from schedule.models import Lesson

from .conftest import attendance_make, lesson_on, mark_make, notice_make

MON, TUE, WED, THU, FRI = (dt.date(2026, 10, d) for d in range(5, 10))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def week_url(people, student=None, query=""):
    student = student or people.student_record
    return reverse("diary_week", args=[people.lyceum.slug, student.pk]) + query


def record_make(people, lesson, **fields):
    fields.setdefault("topic_confirmed", bool(fields.get("topic")))
    return LessonRecord.objects.create(school=people.lyceum, lesson=lesson, **fields)


def day_html(html: str, day: dt.date) -> str:
    match = re.search(rf'data-date="{day:%Y-%m-%d}">(.*?)</section>', html, re.S)
    assert match, day
    return match.group(1)


@pytest.fixture
def week(people, journal, diary):
    """The week of 5 October as the journal holds it."""
    monday = lesson_on(people, MON)
    record = record_make(
        people,
        monday,
        topic="Сложение дробей",
        homework="Выучить правило",
        homework_pages="40–41",
        homework_exercises="12, 13",
    )
    attached = HomeworkFile(school=people.lyceum, record=record, name="правило.pdf", size=2048)
    attached.file.save("rule.pdf", ContentFile(b"%PDF"), save=False)
    attached.save()
    mark_make(people, monday, people.student_record, "5", comment="Отличный ответ у доски")
    mark_make(people, monday, people.student_record, "4", code="test")
    mark_make(people, monday, people.other_student_record, "2", comment="Не выучил")
    attendance_make(people, journal.english_1_today, people.student_record, "late")
    attendance_make(people, journal.english_2_today, people.other_student_record, "absent")
    wednesday = lesson_on(people, WED)
    Lesson.objects.filter(pk=wednesday.pk).update(
        substitute=people.class_teacher, change_reason="болезнь учителя"
    )
    record_make(people, wednesday, topic="Вычитание дробей", homework="Задача 7")
    Lesson.objects.filter(pk=lesson_on(people, THU).pk).update(
        is_cancelled=True, change_reason="карантин"
    )
    notice = notice_make(people, people.student_record, FRI)
    attendance_make(people, lesson_on(people, FRI), people.student_record, notice=notice)
    return attached


def test_r_les_2_the_week_shows_lessons_topics_homework_marks_and_absences(
    client, people, journal, diary, week
):
    client.force_login(people.parent)
    response = client.get(week_url(people))
    assert response.status_code == 200
    html = response.content.decode()
    assert [d.date for d in response.context["days"]] == [MON, TUE, WED, THU, FRI]
    assert "05.10 — 11.10.2026" in html

    monday = day_html(html, MON)
    assert "08:55–09:40" in monday and "Математика" in monday and "201" in monday
    assert "Учителев У." in monday
    assert "Сложение дробей" in monday
    # the marks: value, work type, weight; the comment opens on tap (<details>)
    assert re.search(r"<details[^>]*>\s*<summary><span class=\"value p5\">5</span>", monday)
    assert "Ответ на уроке, вес 1<" in monday
    assert "Тест, вес 1,5" in monday
    assert "Отличный ответ у доски" in monday
    assert "Не выучил" not in html and "p2" not in monday  # the other child's mark
    assert "Выучить правило" not in monday  # given on Monday, due on Tuesday

    tuesday = day_html(html, TUE)
    assert "Выучить правило" in tuesday and "40–41" in tuesday and "12, 13" in tuesday
    file_url = reverse(
        "diary_homework_file", args=[people.lyceum.slug, people.student_record.pk, week.pk]
    )
    assert file_url in tuesday and "правило.pdf" in tuesday
    assert "Английский язык" in tuesday and "опоздал" in tuesday
    assert "305" not in html and "Англичанова" not in html  # group 2's English lesson
    assert "today" in tuesday or "сегодня" in tuesday

    wednesday = day_html(html, WED)
    assert "замена" in wednesday and "Классова К." in wednesday
    assert '<s class="muted">Учителев У.</s>' in wednesday

    thursday = day_html(html, THU)
    assert '<s class="subject">Математика</s>' in thursday and "отменён" in thursday
    assert "Задача 7" not in thursday  # nothing is due at a cancelled lesson

    friday = day_html(html, FRI)
    assert "Задача 7" in friday  # given on Wednesday, Thursday's lesson was cancelled
    assert "заявлено родителем" in friday
    assert "Другов" not in html


def test_r_les_2_the_homework_due_agrees_with_the_journals_rule(people, journal, diary, week):
    """The diary finds the homework due in one query less than journal.homework_due; both
    give the same lessons the same record."""
    from diary.selectors import diary_week
    from journal.lesson_selectors import homework_due
    from schedule.timetable_selectors import student_lessons

    student = people.student_record
    days = diary_week(student, MON)
    shown = {item.pk: item.homework.text for day in days for item in day.lessons if item.homework}
    lessons = list(student_lessons(student, MON, MON + dt.timedelta(days=5)))
    expected = {pk: record.homework for pk, record in homework_due(lessons).items()}
    assert shown == expected and len(shown) == 2


def test_the_homework_file_downloads_for_the_student(client, people, journal, diary, week):
    client.force_login(people.student)
    url = reverse(
        "diary_homework_file", args=[people.lyceum.slug, people.student_record.pk, week.pk]
    )
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF"
    assert response["Cache-Control"] == "private, no-store"


def test_previous_and_next_weeks_and_a_jump_to_a_date(client, people, journal):
    client.force_login(people.parent)
    html = client.get(week_url(people)).content.decode()
    assert 'href="?week=2026-09-28"' in html and 'href="?week=2026-10-12"' in html
    response = client.get(week_url(people, query="?week=2026-10-12"))
    assert response.context["monday"] == dt.date(2026, 10, 12)
    assert [d.date for d in response.context["days"]][0] == dt.date(2026, 10, 12)
    response = client.get(week_url(people, query="?date=2026-10-15"))
    assert response.context["monday"] == dt.date(2026, 10, 12)
    assert 'href="?"' in response.content.decode()  # back to this week


@pytest.mark.parametrize("raw", ["2026-13-45", "вчера", "0001-01-01"])
def test_a_date_not_understood_shows_a_russian_message_and_this_week(client, people, journal, raw):
    client.force_login(people.parent)
    response = client.get(week_url(people, query=f"?date={raw}"))
    assert response.status_code == 200
    assert response.context["monday"] == MON
    assert "не распознана" in response.content.decode()


def test_a_week_without_lessons_says_so(client, people, journal):
    """The autumn vacation: no lessons were generated."""
    client.force_login(people.parent)
    response = client.get(week_url(people, query="?week=2026-10-26"))
    assert response.status_code == 200
    assert response.content.decode().count("Нет уроков.") == 5


def test_r_role_2_the_switcher_lists_only_the_readers_children(client, people, journal, diary):
    client.force_login(people.parent)
    html = client.get(week_url(people, query="?week=2026-10-12")).content.decode()
    sibling = reverse("diary_week", args=[people.lyceum.slug, people.sibling_record.pk])
    assert f'href="{sibling}?week=2026-10-12"' in html  # the same week of the other child
    assert "Родителева Софья" in html
    for who in (people.student, diary.trusted):
        client.force_login(who)
        html = client.get(week_url(people)).content.decode()
        assert 'data-testid="child-switcher"' not in html
        assert "Софья" not in html


def _extra_lessons(people, journal, timetable_fixture, day_count=5):
    """Lessons 4 to 7 of 5А maths each day of the week, with a record giving homework,
    two marks with comments and a lateness each."""
    whole = people.class_5a.groups.get(is_whole_class=True)
    made = []
    for n in range(day_count):
        day = MON + dt.timedelta(days=n)
        for number in range(4, 8):
            starts = dt.time(8 + number, 0)
            lesson = Lesson.objects.create(
                school=people.lyceum,
                date=day,
                number=number,
                starts_at=starts,
                ends_at=dt.time(8 + number, 45),
                school_class=people.class_5a,
                group=whole,
                subject=people.maths,
                teacher=people.teacher,
                room=timetable_fixture.room_201,
            )
            record_make(people, lesson, topic=f"Тема {n}-{number}", homework=f"Задание {number}")
            mark_make(people, lesson, people.student_record, "4", comment="Хорошо")
            mark_make(people, lesson, people.student_record, "5", code="test", comment="Да")
            attendance_make(people, lesson, people.student_record, "late")
            made.append(lesson)
    return made


def test_r_nfr_4_the_week_costs_a_fixed_number_of_queries(
    client, people, journal, timetable, diary, week, django_assert_max_num_queries
):
    """Queries: the user; his roles in the school with the school and its settings
    (school_view); the students he reads, in every school, with their classes (access and
    switcher); the week's lessons with their records, his attendance and the id of each
    course's previous lesson; the homework given at those with its files; his marks with
    their work types — and one for the header's unread counts when base.html shows them:
    at most 8. The session lives in the cache. Two lessons cost what thirty cost."""
    # a week of two lessons: 12 October with only Monday's maths and Tuesday's English
    few_week = dt.date(2026, 10, 12)
    kept = [lesson_on(people, few_week).pk, journal.english_1_today.pk]
    Lesson.objects.filter(date__range=(few_week, few_week + dt.timedelta(days=5))).exclude(
        pk__in=kept
    ).exclude(group=people.english_1).delete()
    Lesson.objects.filter(
        group=people.english_1, date__range=(few_week, few_week + dt.timedelta(days=5))
    ).exclude(date=dt.date(2026, 10, 13)).delete()
    mark_make(people, lesson_on(people, few_week), people.student_record, "3", comment="Так")
    client.force_login(people.parent)
    url = week_url(people, query="?week=2026-10-12")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert sum(len(d.lessons) for d in response.context["days"]) == 2

    _extra_lessons(people, journal, timetable)
    with django_assert_max_num_queries(8):
        response = client.get(week_url(people))
    lessons = sum(len(d.lessons) for d in response.context["days"])
    marks = sum(len(i.marks) for d in response.context["days"] for i in d.lessons)
    assert lessons == 26 and marks == 42
    with CaptureQueriesContext(connection) as many:
        client.get(week_url(people))
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
