"""A parent reads the diary on a phone (R-NFR-4, R-ROLE-2, R-NOT-4): logs in, chooses his
child, goes to a week, opens a mark's comment by tapping it (no JavaScript of ours:
<details>), switches to his other child and back, writes to the class teacher from the
diary; the class teacher sees the message unread. Nothing is wider than a 360 px screen."""

import datetime as dt

import pytest

from notifications.models import Message

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

    # back to the first child, and a message to his class teacher from the diary
    page.click("[data-testid=child-switcher] >> text=Родителев Степан")
    page.wait_for_url(f"{live_server.url}/s/lyceum/diary/{people.student_record.pk}/**")
    page.click("[data-testid=write-class-teacher]")
    page.wait_for_selector("[data-testid=new-form]")
    assert no_sideways_scroll(page)
    chosen = page.eval_on_selector("#id_recipient", "s => s.options[s.selectedIndex].text")
    assert "Классова" in chosen
    page.fill("#id_subject", "Пропуск в пятницу")
    page.fill("#id_body", "Степан в пятницу будет у врача.")
    page.click("[data-testid=new-form] button[type=submit]")
    page.wait_for_selector("[data-testid=reply-form]")
    message = Message.objects.get()
    assert message.author == people.parent and message.thread.student == people.student_record

    # the class teacher, on his phone, sees it unread in the header and in the list
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/s/lyceum/")
    page.fill("#id_login", "classteacher")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=sections]")
    assert page.inner_text("[data-testid=unread-messages]") == "1"
    page.click("[data-testid=nav-messages]")
    row = page.locator("[data-testid=thread]")
    assert row.locator("[data-testid=unread]").inner_text() == "1"
    assert "Пропуск в пятницу" in row.inner_text()
    assert no_sideways_scroll(page)
