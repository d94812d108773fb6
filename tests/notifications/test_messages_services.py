"""Conversations (R-NOT-4) and their notifications (R-NOT-5): starting a thread, replying,
reading, attachments, and a message to a whole class's parents."""

import os

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.access import school_access
from accounts.models import Parent
from journal.rules import Refusal
from notifications.models import (
    Kind,
    Message,
    MessageAttachment,
    Notification,
    Thread,
    ThreadMember,
)
from notifications.services import messages as service
from notifications.services.messages import (
    ATTACHMENT_MAX_BYTES,
    class_parents_message,
    message_send,
    thread_read,
    thread_start,
)

from .. import factories as f


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def upload(name="задание.pdf", size=10, content=None):
    return SimpleUploadedFile(name, content or b"x" * size, content_type="application/pdf")


def start(people, actor=None, recipients=None, **kwargs):
    kwargs.setdefault("subject", "Контрольная")
    kwargs.setdefault("body", "Добрый день! Когда можно переписать?")
    return thread_start(
        actor=actor or people.parent,
        school=people.lyceum,
        recipients=recipients or [people.class_teacher],
        **kwargs,
    )


def member(thread, user) -> ThreadMember:
    return ThreadMember.objects.get(thread=thread, user=user)


def stored_files(settings) -> list[str]:
    found = []
    for root, _dirs, files in os.walk(settings.MEDIA_ROOT):
        found += [os.path.join(root, name) for name in files]
    return found


# ------------------------------------------------------------------ starting a thread


def test_r_not_4_a_parent_starts_a_thread_with_the_class_teacher(people, messaging):
    """R-NOT-4, R-NOT-5: the thread, both members, the first message; the class teacher
    has one unread message and a notification pointing to the thread."""
    thread = start(people, student=people.student_record)
    assert thread.subject == "Контрольная"
    assert thread.student == people.student_record
    assert thread.created_by == people.parent
    assert set(thread.members.values_list("user", flat=True)) == {
        people.parent.pk,
        people.class_teacher.pk,
    }
    assert member(thread, people.parent).unread == 0
    assert member(thread, people.parent).last_read_at == timezone.now()
    assert member(thread, people.class_teacher).unread == 1
    (message,) = thread.messages.all()
    assert message.author == people.parent and message.body.startswith("Добрый день")
    (notice,) = Notification.objects.filter(kind=Kind.MESSAGE)
    assert notice.user == people.class_teacher
    assert notice.school == people.lyceum
    assert notice.url == reverse("messages_thread", args=["lyceum", thread.pk])
    assert "Контрольная" in notice.title and "Родителева" in notice.title


def test_r_not_4_a_parent_cannot_start_a_thread_with_another_parent(people, messaging):
    """R-NOT-4: no relation, no thread, nothing written."""
    for other in (messaging.other_parent, messaging.father, messaging.english_teacher):
        with pytest.raises(Refusal) as refused:
            start(people, recipients=[other])
        assert refused.value.code == "forbidden"
    assert not Thread.objects.exists()
    assert not Notification.objects.exists()


def test_r_role_5_a_trusted_person_cannot_start_a_thread(people, messaging):
    with pytest.raises(Refusal):
        start(people, actor=messaging.trusted)
    with pytest.raises(Refusal):
        start(people, actor=people.director, recipients=[messaging.trusted])
    assert not Thread.objects.exists()


def test_r_not_4_the_thread_is_about_a_child_of_the_relation(people, messaging):
    """R-NOT-4: the 5А maths teacher may write to the parent about the 5А child, not about
    the 5Б sibling he does not teach, nor about another family's child."""
    for student in (people.sibling_record, people.other_student_record):
        with pytest.raises(Refusal) as refused:
            start(people, actor=people.teacher, recipients=[people.parent], student=student)
        assert refused.value.code == "forbidden"
    thread = start(
        people, actor=people.teacher, recipients=[people.parent], student=people.student_record
    )
    assert thread.student == people.student_record


def test_r_not_4_several_parents_in_one_thread_only_as_one_family(people, messaging):
    """R-NOT-4: a teacher writes to both parents of a child; parents of two families never
    share a thread."""
    thread = start(
        people,
        actor=people.class_teacher,
        recipients=[people.parent, messaging.father],
        student=people.student_record,
    )
    assert thread.members.count() == 3
    with pytest.raises(Refusal):
        start(
            people,
            actor=people.class_teacher,
            recipients=[people.parent, messaging.other_parent],
            student=people.student_record,
        )
    with pytest.raises(Refusal):
        start(
            people, actor=people.class_teacher, recipients=[people.parent, messaging.other_parent]
        )
    assert Thread.objects.count() == 1


def test_r_not_4_empty_text_is_refused(people, messaging):
    with pytest.raises(Refusal) as refused:
        start(people, body="   ")
    assert refused.value.message == "Напишите сообщение."
    with pytest.raises(Refusal) as refused:
        start(people, subject="  ")
    assert refused.value.message == "Укажите тему."
    assert not Thread.objects.exists()


# ------------------------------------------------------------------ replies and reading


def test_r_not_4_a_reply_counts_unread_for_the_others_and_reading_clears_it(people, messaging):
    """R-NOT-4: ThreadMember.unread counts messages not read; the author has read his own
    thread; reading sets it to 0 and the time; the header's sum follows."""
    thread = start(
        people,
        actor=people.class_teacher,
        recipients=[people.parent, messaging.father],
        student=people.student_record,
    )
    message_send(actor=people.class_teacher, thread=thread, body="И ещё одно.")
    assert member(thread, people.parent).unread == 2
    assert member(thread, messaging.father).unread == 2
    assert school_access(people.parent, people.lyceum.slug).extra["unread_messages"] == 2

    message_send(actor=people.parent, thread=thread, body="Спасибо!")
    assert member(thread, people.parent).unread == 0
    assert member(thread, people.class_teacher).unread == 1
    assert member(thread, messaging.father).unread == 3
    thread.refresh_from_db()
    assert thread.last_message_at == timezone.now()
    assert thread.messages.count() == 3

    thread_read(user=messaging.father, thread=thread)
    mine = member(thread, messaging.father)
    assert mine.unread == 0 and mine.last_read_at == timezone.now()
    assert school_access(messaging.father, people.lyceum.slug).extra["unread_messages"] == 0
    # his message notifications are read with the thread; the others' are not
    assert not Notification.objects.filter(user=messaging.father, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=people.class_teacher, read_at__isnull=True).count() == 1


def test_r_not_5_each_message_notifies_the_other_members(people, messaging):
    thread = start(people, student=people.student_record)
    message_send(actor=people.class_teacher, thread=thread, body="Завтра после уроков.")
    message_send(actor=people.parent, thread=thread, body="Хорошо.")
    per_user = {
        user: Notification.objects.filter(user=user, kind=Kind.MESSAGE).count()
        for user in (people.parent, people.class_teacher)
    }
    assert per_user == {people.parent: 1, people.class_teacher: 2}
    last = Notification.objects.filter(user=people.class_teacher).latest("pk")
    assert last.body == "Хорошо."


def test_r_not_4_only_a_member_replies(people, messaging):
    thread = start(people)
    with pytest.raises(Refusal) as refused:
        message_send(actor=people.teacher, thread=thread, body="Я тоже тут.")
    assert refused.value.code == "forbidden"
    assert thread.messages.count() == 1
    assert member(thread, people.class_teacher).unread == 1


# ------------------------------------------------------------------ attachments


def test_r_not_4_attachments_are_stored_with_the_message(people, messaging, settings):
    thread = start(people, files=[upload("план.pdf", 100), upload("фото.jpg", 2000)])
    attachments = MessageAttachment.objects.filter(message__thread=thread).order_by("name")
    assert [(a.name, a.size) for a in attachments] == [("план.pdf", 100), ("фото.jpg", 2000)]
    for attached in attachments:
        assert default_storage.exists(attached.file.name)
    assert len(stored_files(settings)) == 2


def test_r_not_4_at_most_five_files_of_ten_megabytes(people, messaging, settings):
    """R-NOT-4: six files, a file over 10 MB or an empty one are refused with a Russian
    message; nothing is written or stored."""
    with pytest.raises(Refusal) as refused:
        start(people, files=[upload(f"{n}.pdf") for n in range(6)])
    assert refused.value.message == "К сообщению можно приложить не больше 5 файлов."
    with pytest.raises(Refusal) as refused:
        start(people, files=[upload("big.pdf", ATTACHMENT_MAX_BYTES + 1)])
    assert refused.value.code == "size"
    assert "10 МБ" in refused.value.message
    with pytest.raises(Refusal) as refused:
        start(people, files=[SimpleUploadedFile("empty.txt", b"")])
    assert refused.value.message == "Файл пуст."
    thread = start(people)
    with pytest.raises(Refusal):
        message_send(actor=people.class_teacher, thread=thread, body="Ок", files=[upload()] * 6)
    start(people, files=[upload(f"{n}.pdf") for n in range(5)])  # five are fine
    assert Message.objects.count() == 2
    assert MessageAttachment.objects.count() == 5
    assert len(stored_files(settings)) == 5


def test_r_not_4_a_failed_send_leaves_no_row_and_no_file(people, messaging, settings, monkeypatch):
    """R-NOT-4: the thread, its message and its files are written together or not at all."""

    def fail(**kwargs):
        raise RuntimeError("notification store is down")

    monkeypatch.setattr(service, "notify", fail)
    with pytest.raises(RuntimeError):
        start(people, files=[upload()])
    assert not Thread.objects.exists()
    assert not MessageAttachment.objects.exists()
    assert stored_files(settings) == []


# ------------------------------------------------------------------ a whole class's parents


def test_r_not_4_the_class_teacher_writes_to_each_family_apart(people, messaging, settings):
    """R-NOT-4: one thread per family of 5А: the student's mother and father together,
    the other student's parent alone; parents of two families never share a thread. Each
    parent is notified; the files are stored once."""
    threads = class_parents_message(
        actor=people.class_teacher,
        school_class=people.class_5a,
        subject="Родительское собрание",
        body="Собрание в четверг в 18:00.",
        files=[upload("повестка.pdf", 300)],
    )
    assert len(threads) == 2
    members = {
        frozenset(ThreadMember.objects.filter(thread=t).values_list("user", flat=True))
        for t in threads
    }
    assert members == {
        frozenset({people.class_teacher.pk, people.parent.pk, messaging.father.pk}),
        frozenset({people.class_teacher.pk, messaging.other_parent.pk}),
    }
    by_student = {t.student_id for t in threads}
    assert by_student == {people.student_record.pk, people.other_student_record.pk}
    for user in (people.parent, messaging.father, messaging.other_parent):
        assert ThreadMember.objects.get(user=user).unread == 1
        assert Notification.objects.filter(user=user, kind=Kind.MESSAGE).count() == 1
    assert not Notification.objects.filter(user=people.class_teacher).exists()
    attachments = MessageAttachment.objects.filter(message__thread__in=threads)
    assert attachments.count() == 2
    assert len({a.file.name for a in attachments}) == 1
    assert len(stored_files(settings)) == 1
    # no trusted person, no student gets it
    assert not ThreadMember.objects.filter(user__in=[messaging.trusted, people.student]).exists()


def test_r_not_4_siblings_in_one_class_make_one_family(people, messaging):
    f.student_make(people.lyceum, people.class_5b, "Родителев", "Савва").parent_links.create(
        school=people.lyceum,
        parent=Parent.objects.get(user=people.parent),
        relation="mother",
    )
    threads = class_parents_message(
        actor=people.director,
        school_class=people.class_5b,
        subject="Экскурсия",
        body="В пятницу едем в музей.",
    )
    assert len(threads) == 2  # Раиса (two children in 5Б) and Берта
    assert ThreadMember.objects.filter(user=people.parent).count() == 1


def test_r_not_4_who_may_write_to_a_class(people, messaging):
    """R-NOT-4: the class teacher, a teacher of the class, the administration; not a
    teacher of another class, not other staff."""
    for actor in (people.class_teacher, people.teacher, messaging.english_teacher, people.deputy):
        assert class_parents_message(
            actor=actor, school_class=people.class_5a, subject="Тема", body="Текст"
        )
    for actor in (messaging.teacher_5b, messaging.psychologist, people.parent):
        with pytest.raises(Refusal) as refused:
            class_parents_message(
                actor=actor, school_class=people.class_5a, subject="Тема", body="Текст"
            )
        assert refused.value.code == "forbidden"


def test_r_not_4_a_class_broadcast_is_all_or_nothing(people, messaging, settings, monkeypatch):
    """R-NOT-4: a failure at the second family leaves no thread, message or file."""
    calls = []
    real = service.notify

    def notify_then_fail(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("down")
        return real(**kwargs)

    monkeypatch.setattr(service, "notify", notify_then_fail)
    with pytest.raises(RuntimeError):
        class_parents_message(
            actor=people.class_teacher,
            school_class=people.class_5a,
            subject="Собрание",
            body="В четверг.",
            files=[upload()],
        )
    assert len(calls) == 2
    assert not Thread.objects.exists()
    assert not Message.objects.exists()
    assert not Notification.objects.exists()
    assert stored_files(settings) == []


def test_r_not_4_a_class_without_reachable_parents_is_refused(people, messaging):
    empty = f.class_make(people.lyceum, people.year, 6, "Б", class_teacher=people.class_teacher)
    f.student_make(people.lyceum, empty, "Безродителев")
    with pytest.raises(Refusal) as refused:
        class_parents_message(
            actor=people.class_teacher, school_class=empty, subject="Тема", body="Текст"
        )
    assert refused.value.message == "Ни у кого из родителей этого класса пока нет учётной записи."
