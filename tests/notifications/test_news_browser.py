"""News and events on a phone (R-NOT-4, R-NFR-4), in headless Chromium at 360 px: the class
teacher publishes an item and the parent reads it; a teacher proposes an event, the deputy
approves it, the parent finds it in the calendar. No page scrolls sideways."""

import datetime as dt

import pytest

from notifications.models import NewsPost, SchoolEvent

from ..browser.test_timetable_edit import log_in
from . import conftest_news
from .conftest_news import News, url

news = conftest_news.news  # the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_out(page):
    page.context.clear_cookies()


def test_the_class_teacher_publishes_and_the_parent_reads_on_a_phone(
    live_server, page, people, news: News
):
    page.set_viewport_size(PHONE)
    school = people.lyceum
    log_in(page, live_server, "classteacher")
    page.goto(live_server.url + url("news_class", school, people.class_5a.pk))
    assert fits(page)
    page.fill("#id_title", "Родительское собрание в четверг, 18:00, кабинет 201")
    page.fill("#id_body", "Повестка: итоги первой четверти. " * 20)
    page.click("[data-testid=news-form] button[type=submit]")
    page.wait_for_selector("[data-testid=news-item]")
    assert "Новость опубликована." in page.content()
    assert fits(page)
    assert NewsPost.objects.filter(school_class=people.class_5a).count() == 1

    log_out(page)
    log_in(page, live_server, "parent")
    page.goto(live_server.url + url("news_index", school))
    item = page.locator("[data-testid=news-item] h3")
    assert item.inner_text() == "Родительское собрание в четверг, 18:00, кабинет 201"
    assert fits(page)


def test_an_event_is_proposed_approved_and_found_in_the_calendar_on_a_phone(
    live_server, page, people, news: News
):
    page.set_viewport_size(PHONE)
    school = people.lyceum
    day = school.today() + dt.timedelta(days=2)
    log_in(page, live_server, "teacher")
    page.goto(live_server.url + url("events_propose", school))
    assert fits(page)
    page.fill("#id_title", "Осенний кросс")
    page.fill("#id_starts_at", f"{day:%Y-%m-%d}T15:00")
    page.fill("#id_ends_at", f"{day:%Y-%m-%d}T14:00")  # before the start
    page.check(f"input[name=classes][value='{people.class_5a.pk}']")
    page.click("[data-testid=event-form] button[type=submit]")
    assert "Событие заканчивается раньше, чем начинается." in page.content()
    assert fits(page)
    page.fill("#id_ends_at", f"{day:%Y-%m-%d}T17:00")
    page.click("[data-testid=event-form] button[type=submit]")
    page.wait_for_selector("[data-testid=my-event]")
    assert fits(page)
    event = SchoolEvent.objects.get()

    log_out(page)
    log_in(page, live_server, "deputy")
    page.goto(live_server.url + url("events_pending", school))
    assert fits(page)
    page.click(f"#event-{event.pk} button[value=approve]")
    page.wait_for_selector("[data-testid=queue-empty]")
    event.refresh_from_db()
    assert event.status == SchoolEvent.Status.APPROVED

    log_out(page)
    log_in(page, live_server, "parent")
    page.goto(f"{live_server.url}{url('events_index', school)}?month={day:%Y-%m}")
    assert page.locator("[data-testid=event] h3").all_inner_texts() == ["Осенний кросс"]
    assert "15:00–17:00" in page.content()
    assert fits(page)
