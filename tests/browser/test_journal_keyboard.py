"""A teacher fills the journal with the keyboard alone (issue 4's proof): two absences and
three marks, one of them refused with its reason in the cell; after a reload the saved
ones are there and the refused one is not (R-MRK-1, R-MRK-5, R-ATT-2)."""

import pytest
from django.urls import reverse

from accounts.models import SchoolSettings, WorkType
from journal.models import Attendance, Mark
from schedule.models import Lesson

from ..journal.conftest import journal  # noqa: F401  the fixture
from .test_timetable_edit import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def press_letter(page, letter: str) -> None:
    """A key of the Russian layout, as Chromium gets it from a real keyboard. Playwright's
    own press() knows only the US layout, and type() inserts text without a keydown."""
    cdp = page.context.new_cdp_session(page)
    for kind in ("keyDown", "keyUp"):
        cdp.send(
            "Input.dispatchKeyEvent",
            {"type": kind, "key": letter, "text": letter, "unmodifiedText": letter},
        )
    cdp.detach()


def test_teacher_marks_two_absences_and_three_marks_with_the_keyboard(
    live_server,
    page,
    people,
    journal,  # noqa: F811
):
    school = people.lyceum
    # the browser runs on the real clock: give the absences room whatever today's date is
    SchoolSettings.objects.filter(school=school).update(attendance_limit_days=14)
    today = school.today()
    whole_5a = people.class_5a.groups.get(is_whole_class=True)
    lessons = Lesson.objects.filter(group=whole_5a, subject=people.maths)
    older, recent = reversed(lessons.filter(date__lt=today).order_by("-date")[:2])
    future = lessons.filter(date__gt=today).order_by("date").first()
    period = next(q for q in journal.quarters if q.starts_on <= recent.date <= q.ends_on)
    # within the fixture's school year (2026/27) and away from a quarter's edges
    assert period.starts_on <= older.date and future.date <= period.ends_on
    answer = WorkType.objects.filter(school=school).order_by("position", "name").first()
    first, second = people.other_student_record, people.student_record  # Другов, Родителев

    def cell(lesson, student):
        return page.locator(f"#c-{lesson.pk}-{answer.pk}-1-{student.pk}")

    log_in(page, live_server, "teacher")
    url = reverse("journal_course", args=[school.slug, whole_5a.pk, people.maths.pk])
    page.goto(f"{live_server.url}{url}?period={period.pk}")
    page.wait_for_selector("table.journal td.cell.focused")

    # keyboard only: Tab into the grid, then arrows
    for _ in range(60):
        if page.evaluate("document.activeElement.matches('td.cell')"):
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('td.cell')")
    ids = page.eval_on_selector_all(
        "tbody tr:first-child td.cell", "cells => cells.map(c => c.dataset.lesson)"
    )
    at = page.evaluate("document.activeElement.dataset.lesson")

    def go_right_to(lesson):
        steps = ids.index(str(lesson.pk)) - ids.index(
            page.evaluate("document.activeElement.dataset.lesson")
        )
        for _ in range(steps):
            page.keyboard.press("ArrowRight")
        assert page.evaluate("document.activeElement.dataset.lesson") == str(lesson.pk)

    assert at == ids[0]
    go_right_to(older)
    press_letter(page, "н")  # Другов absent at the older lesson
    cell(older, first).locator(".att").wait_for()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("5")  # Родителев: 5
    cell(older, second).locator(".mark").wait_for()
    go_right_to(recent)
    page.keyboard.press("4")
    cell(recent, second).locator(".mark").wait_for()
    page.keyboard.press("ArrowUp")
    press_letter(page, "н")  # Другов absent at the recent lesson
    cell(recent, first).locator(".att").wait_for()
    page.keyboard.press("ArrowDown")
    go_right_to(future)
    page.keyboard.press("3")
    error = cell(future, second).locator("[data-testid=cell-error]")
    error.wait_for()
    assert "Урок ещё не начался" in error.inner_text()

    page.reload()
    page.wait_for_selector("table.journal")
    assert cell(older, first).locator(".att").inner_text() == "н"
    assert cell(recent, first).locator(".att").inner_text() == "н"
    assert cell(older, second).locator(".mark").inner_text() == "5"
    assert cell(recent, second).locator(".mark").inner_text() == "4"
    assert cell(future, second).locator(".mark").count() == 0
    assert Mark.objects.count() == 2 and Attendance.objects.count() == 2
