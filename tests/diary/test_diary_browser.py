"""A parent reads the diary on a phone (R-NFR-4, R-ROLE-2): logs in, chooses his child,
goes to a week, opens a mark's comment by tapping it (no JavaScript of ours: <details>),
switches to his other child; nothing is wider than a 360 px screen."""

import datetime as dt

import pytest

from .conftest import attendance_make, lesson_on, mark_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = dt.date(2026, 10, 5)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_r_nfr_4_a_parent_reads_the_week_on_a_phone_and_switches_child(
    live_server, page, people, journal
):
    mark_make(people, lesson_on(people, MONDAY), people.student_record, "5", comment="Умница!")
    attendance_make(people, journal.english_1_today, people.student_record, "late")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/s/lyceum/diary/")
    page.fill("#id_login", "parent")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")

    # two children: he chooses
    page.wait_for_selector("[data-testid=children]")
    page.click("text=Родителев Степан")
    page.wait_for_selector("[data-testid=week-dates]")
    assert no_sideways_scroll(page)

    # the week of 5 October by the date field
    page.fill("input[name=date]", "2026-10-07")
    page.click(".jump button[type=submit]")
    page.wait_for_selector("[data-date='2026-10-05']")
    assert page.inner_text("[data-testid=week-dates]") == "05.10 — 11.10.2026"
    monday = page.locator("[data-date='2026-10-05']")
    comment = monday.locator("[data-testid=mark-comment]")
    assert not comment.is_visible()
    monday.locator("details.mark summary").click()
    assert comment.is_visible() and comment.inner_text() == "Умница!"
    assert "опоздал" in page.inner_text("[data-date='2026-10-06']")
    assert no_sideways_scroll(page)

    # the other child, the same week
    page.click("[data-testid=child-switcher] >> text=Родителева Софья")
    page.wait_for_url(f"{live_server.url}/s/lyceum/diary/{people.sibling_record.pk}/?week=*")
    assert "Родителева Софья" in page.inner_text("[data-testid=student-name]")
    assert "Умница!" not in page.content()

    for tab in ("Оценки", "Посещаемость"):
        page.click(f".diary-tabs >> text={tab}")
        page.wait_for_selector("[data-testid=period-picker]")
        assert no_sideways_scroll(page), tab
