"""Messages on a phone (R-NOT-4, R-NFR-4), in headless Chromium at 360 px without any
script of ours: a parent writes to the class teacher with a file; the class teacher sees
the conversation unread, opens it, downloads the file and replies. No page scrolls
sideways."""

import pytest

from notifications.models import MessageAttachment, Thread, ThreadMember

from ..browser.test_timetable_edit import log_in
from .test_messages_views import url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_r_not_4_a_parent_writes_to_the_class_teacher_on_a_phone(
    live_server, page, people, messaging, tmp_path
):
    page.set_viewport_size(PHONE)
    school = people.lyceum
    log_in(page, live_server, "parent")
    page.goto(live_server.url + url("messages_index", school))
    assert "Переписки пока нет." in page.content()
    page.click("[data-testid=new-message]")
    assert fits(page)
    page.select_option("#id_recipient", f"{people.class_teacher.pk}:{people.student_record.pk}")
    page.fill("#id_subject", "Справка о болезни после пропуска на прошлой неделе")
    page.fill("#id_body", "Добрый день! Справку принесём в понедельник. " * 10)
    note = tmp_path / "справка.pdf"
    note.write_bytes(b"%PDF-1.4 note")
    page.set_input_files("#id_files", str(note))
    page.click("[data-testid=new-form] button[type=submit]")
    page.wait_for_selector("[data-testid=reply-form]")
    assert "Сообщение отправлено." in page.content()
    assert fits(page)
    thread = Thread.objects.get()

    page.context.clear_cookies()
    log_in(page, live_server, "classteacher")
    page.goto(live_server.url + url("messages_index", school))
    row = page.locator("[data-testid=thread]")
    assert row.locator("[data-testid=unread]").inner_text() == "1"
    assert "Родителева" in row.inner_text()
    assert fits(page)
    row.locator("a").click()
    page.wait_for_selector("[data-testid=reply-form]")
    assert fits(page)
    with page.expect_download() as download:
        page.click("[data-testid=attachment]")
    assert download.value.suggested_filename == "справка.pdf"
    page.fill("#id_body", "Спасибо, жду.")
    page.click("[data-testid=reply-form] button[type=submit]")
    page.wait_for_selector("text=Спасибо, жду.")
    assert ThreadMember.objects.get(thread=thread, user=people.class_teacher).unread == 0
    assert ThreadMember.objects.get(thread=thread, user=people.parent).unread == 1
    assert MessageAttachment.objects.count() == 1
