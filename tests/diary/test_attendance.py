"""Attendance in the diary (R-ATT-3, R-ATT-4, R-ROLE-2): lessons missed per subject and in
total over a period, with each day's reason set by the class teacher, latenesses, absences
a parent reported that the teacher has not confirmed yet; links to the timetable and the
control works. A fixed number of queries."""

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from journal.models import AbsenceReason

from .conftest import attendance_make, lesson_on, notice_make

MON = dt.date(2026, 10, 5)


def att_url(people, query=""):
    return reverse("diary_attendance", args=[people.lyceum.slug, people.student_record.pk]) + query


def reason_make(people, day, reason):
    return AbsenceReason.objects.create(
        school=people.lyceum,
        student=people.student_record,
        date=day,
        reason=reason,
        set_by=people.class_teacher,
        set_at=timezone.now(),
    )


def test_r_att_3_missed_lessons_per_subject_and_day_with_reasons(client, people, journal, diary):
    attendance_make(people, lesson_on(people, MON), people.student_record, "absent")
    reason_make(people, MON, AbsenceReason.Reason.ILLNESS)
    sept = dt.date(2026, 9, 29)
    attendance_make(people, lesson_on(people, sept), people.student_record, "absent")
    attendance_make(
        people, lesson_on(people, sept, people.english_1, people.english), people.student_record
    )
    attendance_make(people, journal.english_1_today, people.student_record, "late")
    notice = notice_make(people, people.student_record, dt.date(2026, 10, 9))
    attendance_make(
        people, lesson_on(people, dt.date(2026, 10, 9)), people.student_record, notice=notice
    )
    attendance_make(people, journal.english_2_today, people.other_student_record, "absent")
    client.force_login(diary.trusted)
    response = client.get(att_url(people))
    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.absent, summary.late, summary.pending) == (3, 1, 1)
    html = response.content.decode()
    assert '<strong data-testid="missed-total">3</strong>' in html
    assert '<strong data-testid="late-total">1</strong>' in html
    assert '<strong data-testid="pending-total">1</strong>' in html
    rows = {s.name: (s.absent, s.late, s.pending) for s in summary.subjects}
    assert rows == {"Английский язык": (1, 1, 0), "Математика": (2, 0, 1)}
    days = re.findall(r'data-testid="att-day">(.*?)</div>', html, re.S)
    assert len(days) == 4
    assert "29 сентября" in days[0] and "причина не указана" in days[0]
    assert "2. Математика; 3. Английский язык" in days[0]
    assert "5 октября" in days[1] and "болезнь" in days[1]
    assert "опоздал" in days[2] and "Причина" not in days[2]
    assert "заявлено родителем: 2. Математика" in days[3]
    assert "Другов" not in html


def test_r_att_3_lessons_held_so_far_count_begun_lessons_not_cancelled(
    client, people, journal, diary
):
    """By 6 October 10:00 in the first quarter: maths Monday to Friday from 1 September
    (25 lessons, today's at 08:55 included), English on Tuesdays (6, today's at 09:50
    included); a cancelled lesson does not count."""
    from schedule.models import Lesson

    Lesson.objects.filter(pk=lesson_on(people, MON).pk).update(
        is_cancelled=True, change_reason="карантин"
    )
    client.force_login(people.parent)
    summary = client.get(att_url(people)).context["summary"]
    assert {s.name: s.held for s in summary.subjects} == {
        "Английский язык": 6,
        "Математика": 25,
    }
    assert summary.held == 31
    assert "пропущено из 31 проведённого урока" in client.get(att_url(people)).content.decode()


def test_the_page_links_the_timetable_and_the_control_works(client, people, journal, diary):
    client.force_login(people.student)
    html = client.get(att_url(people, f"?period={journal.quarters[1].pk}")).content.decode()
    slug, pk = people.lyceum.slug, people.student_record.pk
    assert reverse("timetable_student", args=[slug, pk]) in html
    control = reverse("student_control_works", args=[slug, pk])
    assert f'href="{control}?period={journal.quarters[1].pk}"' in html
    assert "В этом периоде нет пропусков и опозданий." in html


def test_r_att_3_the_attendance_page_costs_a_fixed_number_of_queries(
    client, people, journal, diary, django_assert_max_num_queries
):
    """Queries: the user, his roles, the students he reads, the grade's periods, the
    lessons held per subject, his attendance with lessons and subjects, the days' reasons;
    the header's unread counts: at most 8."""
    attendance_make(people, lesson_on(people, MON), people.student_record, "absent")
    client.force_login(people.parent)
    client.get(att_url(people))
    with CaptureQueriesContext(connection) as few:
        client.get(att_url(people))
    for day in range(1, 30):
        when = dt.date(2026, 9, day)
        if when.weekday() < 5:
            attendance_make(people, lesson_on(people, when), people.student_record, "late")
            reason_make(people, when, AbsenceReason.Reason.VALID)
    with django_assert_max_num_queries(8):
        response = client.get(att_url(people))
    assert response.context["summary"].late == 21
    with CaptureQueriesContext(connection) as many:
        client.get(att_url(people))
    assert len(many) == len(few)
