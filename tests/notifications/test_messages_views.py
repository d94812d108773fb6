"""The message pages (R-NOT-4): the list, a new conversation, a conversation, attachments
and a message to a class's parents; who gets 403/404/405; fixed query counts (R-NFR-4
pages work on a phone without JavaScript: plain forms, multipart uploads)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from notifications.models import Kind, MessageAttachment, Notification, Thread, ThreadMember
from notifications.services.messages import message_send, thread_start

from .. import factories as f


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def url(name, school, *args) -> str:
    return reverse(name, args=[school.slug, *args])


def html(response) -> str:
    return response.content.decode()


def start(people, actor=None, recipients=None, school=None, **kwargs):
    kwargs.setdefault("subject", "Контрольная")
    kwargs.setdefault("body", "Когда можно переписать?")
    return thread_start(
        actor=actor or people.parent,
        school=school or people.lyceum,
        recipients=recipients or [people.class_teacher],
        **kwargs,
    )


def upload(name="план.pdf", content=b"%PDF-1 plan"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture
def foreign_thread(people):
    """A conversation in the gymnasium, the outsider's school."""
    colleague = f.UserFactory(username="msg_gym_teacher", last_name="Гимназистова")
    f.member(colleague, people.gymnasium, Role.TEACHER)
    return start(
        people,
        actor=people.outsider,
        recipients=[colleague],
        school=people.gymnasium,
        files=[upload("чужое.pdf")],
    )


# ------------------------------------------------------------------ the list


def test_r_not_4_the_list_shows_threads_newest_first_with_unread_counts(client, people, messaging):
    older = start(people, subject="Старая тема")
    newer = start(people, recipients=[people.teacher], subject="Новая тема")
    message_send(actor=people.teacher, thread=newer, body="Ответ учителя")
    message_send(actor=people.teacher, thread=newer, body="И ещё")
    client.force_login(people.parent)
    response = client.get(url("messages_index", people.lyceum))
    assert response.status_code == 200
    page = html(response)
    assert page.index("Новая тема") < page.index("Старая тема")
    rows = response.context["rows"]
    assert [m.thread_id for m, _others in rows] == [newer.pk, older.pk]
    assert [m.unread for m, _others in rows] == [2, 0]
    assert [[u.pk for u in others] for _m, others in rows] == [
        [people.teacher.pk],
        [people.class_teacher.pk],
    ]
    assert "Учителев" in page and "Классова" in page
    assert "И ещё" in page  # the last message's start
    assert page.count('data-testid="unread"') == 1
    assert url("messages_new", people.lyceum) in page


def test_r_not_4_the_list_is_paginated(client, people, messaging):
    for n in range(23):
        start(people, subject=f"Тема {n:02d}")
    client.force_login(people.class_teacher)
    first = client.get(url("messages_index", people.lyceum))
    assert html(first).count('data-testid="thread"') == 20
    assert "Тема 22" in html(first) and "Тема 02" not in html(first)
    second = client.get(url("messages_index", people.lyceum) + "?page=2")
    assert html(second).count('data-testid="thread"') == 3
    assert "Тема 00" in html(second)


def test_r_not_4_the_list_costs_a_fixed_number_of_queries(
    client, people, messaging, django_assert_num_queries
):
    """The session's user, the memberships (school_view), the count, the page of threads
    with their last message, the members of those threads; the session's save on the first
    visit only."""
    start(people)
    client.force_login(people.class_teacher)
    client.get(url("messages_index", people.lyceum))  # the session learns the school
    with CaptureQueriesContext(connection) as few:
        client.get(url("messages_index", people.lyceum))
    for n in range(6):
        thread = start(people, subject=f"Тема {n}", files=[upload()])
        message_send(actor=people.class_teacher, thread=thread, body="Ответ")
    with django_assert_num_queries(len(few)):
        response = client.get(url("messages_index", people.lyceum))
    assert html(response).count('data-testid="thread"') == 7
    assert len(few) <= 7


def test_r_not_4_staff_see_the_classes_they_may_write_to(client, people, messaging):
    client.force_login(people.class_teacher)
    page = html(client.get(url("messages_index", people.lyceum)))
    assert url("messages_class", people.lyceum, people.class_5a.pk) in page
    assert url("messages_class", people.lyceum, people.class_5b.pk) not in page
    client.force_login(people.director)
    page = html(client.get(url("messages_index", people.lyceum)))
    assert url("messages_class", people.lyceum, people.class_5b.pk) in page
    client.force_login(people.parent)
    assert 'data-testid="class-messages"' not in html(
        client.get(url("messages_index", people.lyceum))
    )


# ------------------------------------------------------------------ access, every view


def all_urls(people, thread, attachment):
    school = people.lyceum
    return [
        url("messages_index", school),
        url("messages_new", school),
        url("messages_thread", school, thread.pk),
        url("messages_attachment", school, attachment.pk),
        url("messages_class", school, people.class_5a.pk),
    ]


def test_r_not_4_anonymous_users_are_sent_to_the_login(client, people, messaging):
    thread = start(people, files=[upload()])
    attachment = MessageAttachment.objects.get()
    for address in all_urls(people, thread, attachment):
        response = client.get(address)
        assert response.status_code == 302 and "login" in response["Location"], address


def test_r_role_5_a_trusted_person_gets_403_everywhere(client, people, messaging):
    thread = start(people, files=[upload()])
    attachment = MessageAttachment.objects.get()
    client.force_login(messaging.trusted)
    for address in all_urls(people, thread, attachment):
        assert client.get(address).status_code == 403, address


def test_r_not_4_an_outsider_gets_404_everywhere(client, people, messaging):
    thread = start(people, files=[upload()])
    attachment = MessageAttachment.objects.get()
    client.force_login(people.outsider)
    for address in all_urls(people, thread, attachment):
        assert client.get(address).status_code == 404, address


def test_r_not_4_wrong_methods_get_405(client, people, messaging):
    thread = start(people, files=[upload()])
    attachment = MessageAttachment.objects.get()
    client.force_login(people.parent)
    school = people.lyceum
    assert client.post(url("messages_index", school)).status_code == 405
    assert client.put(url("messages_new", school)).status_code == 405
    assert client.delete(url("messages_thread", school, thread.pk)).status_code == 405
    assert client.post(url("messages_attachment", school, attachment.pk)).status_code == 405
    client.force_login(people.class_teacher)
    assert client.put(url("messages_class", school, people.class_5a.pk)).status_code == 405


# ------------------------------------------------------------------ a new conversation


def test_r_not_4_the_new_form_offers_the_contacts_and_preselects_one(client, people, messaging):
    client.force_login(people.parent)
    address = url("messages_new", people.lyceum)
    response = client.get(f"{address}?to={people.teacher.pk}&student={people.student_record.pk}")
    assert response.status_code == 200
    page = html(response)
    assert '<optgroup label="Классный руководитель 5А">' in page
    assert '<optgroup label="Администрация">' in page
    key = f"{people.teacher.pk}:{people.student_record.pk}"
    assert f'value="{key}" selected' in page
    assert messaging.english_teacher.last_name not in page
    assert messaging.other_parent.last_name not in page
    # someone he may not write to is not preselected, and he is told so
    response = client.get(f"{address}?to={messaging.other_parent.pk}")
    picker = html(response).split('name="recipient"', 1)[1].split("</select>")[0]
    assert picker.count("selected") == 1 and '<option value="" selected>' in picker
    assert "Этому человеку вы написать не можете." in html(response)


def test_r_not_4_a_parent_writes_to_the_class_teacher(client, people, messaging):
    client.force_login(people.parent)
    key = f"{people.class_teacher.pk}:{people.student_record.pk}"
    response = client.post(
        url("messages_new", people.lyceum),
        {
            "recipient": key,
            "subject": "Справка",
            "body": "Принесём справку завтра.",
            "files": [upload("справка.pdf")],
        },
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("messages_thread", people.lyceum, thread.pk)
    assert thread.student == people.student_record
    assert ThreadMember.objects.get(thread=thread, user=people.class_teacher).unread == 1
    assert MessageAttachment.objects.get().name == "справка.pdf"
    assert Notification.objects.filter(user=people.class_teacher, kind=Kind.MESSAGE).exists()


def test_r_not_4_a_parent_cannot_post_to_another_parent(client, people, messaging):
    """R-NOT-4: a forged recipient is refused with a Russian message; nothing is written."""
    client.force_login(people.parent)
    for key in (
        f"{messaging.other_parent.pk}:{people.other_student_record.pk}",
        f"{messaging.english_teacher.pk}:{people.student_record.pk}",
        f"{people.class_teacher.pk}:{people.other_student_record.pk}",
    ):
        response = client.post(
            url("messages_new", people.lyceum),
            {"recipient": key, "subject": "Тема", "body": "Текст"},
        )
        assert response.status_code == 400
        assert "Этому человеку вы написать не можете." in html(response)
    assert not Thread.objects.exists()


def test_r_not_4_bad_input_is_said_on_the_page(client, people, messaging):
    client.force_login(people.parent)
    key = f"{people.class_teacher.pk}:{people.student_record.pk}"
    response = client.post(
        url("messages_new", people.lyceum),
        {
            "recipient": key,
            "subject": "Фото",
            "body": "Шесть фото",
            "files": [upload(f"{n}.jpg") for n in range(6)],
        },
    )
    assert response.status_code == 400
    assert "К сообщению можно приложить не больше 5 файлов." in html(response)
    response = client.post(
        url("messages_new", people.lyceum), {"recipient": key, "subject": "", "body": ""}
    )
    assert response.status_code == 400
    assert "Обязательное поле." in html(response)
    assert not Thread.objects.exists()


def test_r_not_4_someone_with_no_contacts_is_told_so(client, people, messaging):
    lonely = f.UserFactory(username="msg_lonely")
    f.member(lonely, people.lyceum, Role.PARENT)
    client.force_login(lonely)
    response = client.get(url("messages_new", people.lyceum))
    assert response.status_code == 200
    assert 'data-testid="no-contacts"' in html(response)


# ------------------------------------------------------------------ a conversation


def test_r_not_4_opening_a_thread_shows_it_and_reads_it(client, people, messaging):
    thread = start(people, files=[upload("план.pdf")])
    message_send(actor=people.parent, thread=thread, body="Второе сообщение")
    client.force_login(people.class_teacher)
    response = client.get(url("messages_thread", people.lyceum, thread.pk))
    assert response.status_code == 200
    page = html(response)
    assert page.count('data-testid="message"') == 2
    assert "Когда можно переписать?" in page and "Второе сообщение" in page
    assert "Родителева Раиса" in page
    assert "06.10.2026 10:00" in page  # the school's local time
    attachment = MessageAttachment.objects.get()
    assert url("messages_attachment", people.lyceum, attachment.pk) in page
    assert page.count('class="new"') == 2
    member = ThreadMember.objects.get(thread=thread, user=people.class_teacher)
    assert member.unread == 0 and member.last_read_at is not None
    assert not Notification.objects.filter(user=people.class_teacher, read_at__isnull=True).exists()


def test_r_not_4_a_reply_with_a_file(client, people, messaging):
    thread = start(people)
    client.force_login(people.class_teacher)
    address = url("messages_thread", people.lyceum, thread.pk)
    response = client.post(address, {"body": "Можно в четверг.", "files": [upload("ок.txt")]})
    assert response.status_code == 302 and response["Location"] == address
    assert ThreadMember.objects.get(thread=thread, user=people.parent).unread == 1
    assert thread.messages.count() == 2
    assert MessageAttachment.objects.get().name == "ок.txt"
    response = client.post(address, {"body": "  "})
    assert response.status_code == 400
    assert "Обязательное поле." in html(response) or "Напишите сообщение." in html(response)
    assert thread.messages.count() == 2


def test_r_not_4_a_thread_of_others_is_404(client, people, messaging, foreign_thread):
    """R-NOT-4: id-guessing: a thread of the same school the user is not in, a thread of
    another school, an id that does not exist."""
    thread = start(people)
    client.force_login(messaging.other_parent)
    for pk in (thread.pk, foreign_thread.pk, 999_999):
        assert client.get(url("messages_thread", people.lyceum, pk)).status_code == 404
        assert (
            client.post(url("messages_thread", people.lyceum, pk), {"body": "Привет"}).status_code
            == 404
        )
    # a member of the gymnasium thread does not reach it through the lyceum's address
    client.force_login(people.outsider)
    assert client.get(url("messages_thread", people.lyceum, foreign_thread.pk)).status_code == 404
    assert thread.messages.count() == 1


def test_r_not_4_the_thread_page_costs_a_fixed_number_of_queries(
    client, people, messaging, django_assert_num_queries
):
    """The session's user, the memberships (school_view), the membership of the thread,
    the read (counter, notifications), the members, the messages with their authors, the
    attachments."""
    thread = start(people)
    client.force_login(people.class_teacher)
    address = url("messages_thread", people.lyceum, thread.pk)
    client.get(address)
    with CaptureQueriesContext(connection) as few:
        client.get(address)
    for n in range(8):
        message_send(
            actor=people.parent if n % 2 else people.class_teacher,
            thread=thread,
            body=f"Сообщение {n}",
            files=[upload(f"{n}.pdf")],
        )
    with django_assert_num_queries(len(few)):
        response = client.get(address)
    assert html(response).count('data-testid="message"') == 9
    assert html(response).count('data-testid="attachment"') == 8
    assert len(few) <= 9


# ------------------------------------------------------------------ attachments


def test_r_not_4_a_member_downloads_an_attachment(client, people, messaging):
    start(people, files=[upload("план.pdf", b"%PDF plan body")])
    attachment = MessageAttachment.objects.get()
    for user in (people.parent, people.class_teacher):
        client.force_login(user)
        response = client.get(url("messages_attachment", people.lyceum, attachment.pk))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF plan body"
        assert "attachment" in response["Content-Disposition"]
        assert response["Cache-Control"] == "private, no-store"


def test_r_not_4_an_attachment_of_a_foreign_thread_is_404(
    client, people, messaging, foreign_thread
):
    start(people, files=[upload()])
    mine = MessageAttachment.objects.get(school=people.lyceum)
    foreign = MessageAttachment.objects.get(school=people.gymnasium)
    client.force_login(people.director)  # may write to anyone, but is not in the thread
    assert client.get(url("messages_attachment", people.lyceum, mine.pk)).status_code == 404
    assert client.get(url("messages_attachment", people.lyceum, foreign.pk)).status_code == 404
    client.force_login(people.outsider)  # a member of the foreign thread, in the wrong school
    assert client.get(url("messages_attachment", people.lyceum, foreign.pk)).status_code == 404
    assert client.get(url("messages_attachment", people.gymnasium, foreign.pk)).status_code == 200


# ------------------------------------------------------------------ a class's parents


def test_r_not_4_the_class_page_counts_the_families(client, people, messaging):
    f.student_make(people.lyceum, people.class_5a, "Безродителев", "Бронислав")
    client.force_login(people.class_teacher)
    response = client.get(url("messages_class", people.lyceum, people.class_5a.pk))
    assert response.status_code == 200
    assert len(response.context["families"]) == 2
    page = html(response)
    assert "Сообщение получат 2 семьи" in page
    assert "Безродителев Бронислав" in page


def test_r_not_4_the_class_teacher_sends_to_all_the_parents(client, people, messaging):
    client.force_login(people.class_teacher)
    response = client.post(
        url("messages_class", people.lyceum, people.class_5a.pk),
        {"subject": "Собрание", "body": "В четверг в 18:00.", "files": [upload("повестка.pdf")]},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url("messages_index", people.lyceum)
    assert "Сообщение отправлено 2 семьям." in html(response)
    assert Thread.objects.count() == 2
    for parent in (people.parent, messaging.father, messaging.other_parent):
        assert ThreadMember.objects.get(user=parent).unread == 1
    # the parent sees his thread, never the other family's
    client.force_login(people.parent)
    rows = client.get(url("messages_index", people.lyceum)).context["rows"]
    assert len(rows) == 1
    assert {u.pk for u in rows[0][1]} == {people.class_teacher.pk, messaging.father.pk}


def test_r_not_4_who_may_open_the_class_page(client, people, messaging, foreign_thread):
    """403 for staff with no part in the class and for parents and students; 404 for
    another school's class."""
    address = url("messages_class", people.lyceum, people.class_5a.pk)
    for user in (messaging.teacher_5b, messaging.psychologist, people.parent, people.student):
        client.force_login(user)
        assert client.get(address).status_code == 403, user
        assert client.post(address, {"subject": "Т", "body": "Т"}).status_code == 403
    for user in (people.teacher, messaging.english_teacher, people.deputy, people.admin):
        client.force_login(user)
        assert client.get(address).status_code == 200, user
    year = f.year_make(
        people.gymnasium,
        name="2027/2028",
        starts_on=dt.date(2027, 9, 1),
        ends_on=dt.date(2028, 5, 31),
    )
    gym_class = f.class_make(people.gymnasium, year, 7, "В")
    client.force_login(people.director)
    assert client.get(url("messages_class", people.lyceum, gym_class.pk)).status_code == 404
    assert not Thread.objects.filter(school=people.lyceum).exists()


def test_r_not_4_a_class_message_without_text_is_refused_on_the_page(client, people, messaging):
    client.force_login(people.class_teacher)
    response = client.post(
        url("messages_class", people.lyceum, people.class_5a.pk), {"subject": "", "body": ""}
    )
    assert response.status_code == 400
    assert "Обязательное поле." in html(response)
    assert not Thread.objects.exists()
