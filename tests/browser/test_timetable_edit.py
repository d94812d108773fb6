"""A deputy builds the weekly timetable in a real browser: a clash is refused with a
message naming it, she fixes the lesson, and the teacher then sees it (R-TT-1)."""

import datetime as dt

import pytest

from schedule.models import Lesson, TimetableEntry
from schedule.services.timetable import entry_add

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/s/lyceum/")


def test_deputy_adds_a_lesson_meets_a_clash_fixes_it_and_the_teacher_sees_it(
    live_server, browser, page, people, timetable
):
    # the teacher already gives 5Б its maths on Mondays, 1st lesson
    entry_add(
        actor=people.deputy,
        school_class=people.class_5b,
        group=people.class_5b.groups.get(is_whole_class=True),
        subject=people.maths,
        teacher=people.teacher,
        room=timetable.room_202,
        weekday=1,
        number=1,
        starts_on=dt.date(2026, 9, 1),
    )
    whole_5a = people.class_5a.groups.get(is_whole_class=True)

    log_in(page, live_server, "deputy")
    page.goto(f"{live_server.url}/s/lyceum/timetable/")
    page.click("a[title='Изменить недельное расписание'] >> nth=0")
    page.wait_for_selector("[data-testid=weekly-grid]")
    page.goto(page.url.split("?")[0] + "?on=2026-09-01")
    page.click("[aria-label='Добавить урок: Понедельник, 1-й урок']")
    assert page.input_value("#id_weekday") == "1"
    assert page.input_value("#id_number") == "1"
    page.select_option("#id_group", value=str(whole_5a.pk))
    page.select_option("#id_subject", label="Математика")
    page.select_option("#id_teacher", label="Учителев Устин")
    page.select_option("#id_room", label="201")
    assert page.input_value("#id_starts_on") == "2026-09-01"
    page.click("button[name=action][value=add]")

    errors = page.inner_text("[data-testid=errors]")
    assert "Учитель Учителев У. в это время уже ведёт урок «Математика» в 5Б" in errors
    assert not TimetableEntry.objects.filter(school_class=people.class_5a).exists()

    # the form kept what she chose: she moves the lesson to the 2nd period
    assert page.input_value("#id_teacher") == str(people.teacher.pk)
    page.fill("#id_number", "2")
    page.click("button[name=action][value=add]")
    page.wait_for_selector(".messages .success")
    assert "Урок добавлен" in page.inner_text(".messages")
    assert "Математика" in page.inner_text("[data-testid=weekly-grid]")
    assert Lesson.objects.filter(school_class=people.class_5a, number=2).count() == 37

    teacher_page = browser.new_context(locale="ru-RU").new_page()
    log_in(teacher_page, live_server, "teacher")
    teacher_page.goto(f"{live_server.url}/s/lyceum/timetable/")
    teacher_page.click("text=Моё расписание")
    teacher_page.goto(teacher_page.url + "?week=2026-09-14")
    first, second = (
        teacher_page.inner_text(f"[data-testid=week] tbody tr:nth-child({n})") for n in (1, 2)
    )
    assert "Математика · 5Б" in first and "08:00" in first
    assert "Математика · 5А" in second and "08:55" in second
    teacher_page.context.close()
