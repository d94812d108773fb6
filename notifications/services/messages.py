"""Conversations (R-NOT-4): starting a thread with someone the user has a real relation
with (notifications.relations), replying, reading, and a staff member's message to the
parents of a whole class, one thread per family.

Every write is one transaction: the thread, its members, the message, its attachments,
the unread counters and the notifications (R-NOT-5) of the other members. A stored file
whose row is not written is removed again."""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import LEADERSHIP_ROLES, Membership, ParentLink, Role, School, Student
from config.files import upload_name
from journal.rules import Refusal
from schedule.models import Enrolment, SchoolClass, TeachingLoad

from ..models import Kind, Message, MessageAttachment, Notification, Thread, ThreadMember
from ..relations import relation_students
from .notices import notify

ATTACHMENTS_MAX = 5
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
SUBJECT_MAX = 200
BODY_MAX = 10_000


def files_check(files: Sequence) -> list:
    """At most five files of at most 10 MB each, none empty."""
    files = [f for f in files if f is not None]
    if len(files) > ATTACHMENTS_MAX:
        raise Refusal(
            _("A message has at most %(count)s files.") % {"count": ATTACHMENTS_MAX}, "invalid"
        )
    for upload in files:
        if upload.size > ATTACHMENT_MAX_BYTES:
            raise Refusal(
                _("The file is larger than %(size)s MB; attach a smaller one or give a link.")
                % {"size": ATTACHMENT_MAX_BYTES // (1024 * 1024)},
                "size",
            )
        if upload.size == 0:
            raise Refusal(_("The file is empty."), "invalid")
    return files


def _text_check(body: str, subject: str | None = None) -> tuple[str, str | None]:
    body = (body or "").strip()
    if not body:
        raise Refusal(_("Write the message."), "invalid")
    if len(body) > BODY_MAX:
        raise Refusal(
            _("The message is longer than %(count)s characters.") % {"count": BODY_MAX},
            "invalid",
        )
    if subject is not None:
        subject = " ".join(subject.split())
        if not subject:
            raise Refusal(_("Write the subject."), "invalid")
        if len(subject) > SUBJECT_MAX:
            raise Refusal(
                _("The subject is longer than %(count)s characters.") % {"count": SUBJECT_MAX},
                "invalid",
            )
    return body, subject


class _Stored:
    """Files saved to the storage during a transaction, removed again if it fails."""

    def __init__(self):
        self.names: list[str] = []

    def save(self, school_id: int, message_id: int, upload) -> str:
        upload.seek(0)
        name = default_storage.save(
            f"messages/{school_id}/{message_id}/{upload_name(upload.name)}", File(upload)
        )
        self.names.append(name)
        return name

    def discard(self) -> None:
        for name in self.names:
            default_storage.delete(name)


def _attachments(messages: list[Message], files: list, stored: _Stored) -> None:
    """The files stored once, under the first message, and an attachment row for each
    message (a broadcast's threads share one stored copy)."""
    if not files:
        return
    first = messages[0]
    names = [stored.save(first.school_id, first.pk, upload) for upload in files]
    MessageAttachment.objects.bulk_create(
        [
            MessageAttachment(
                school_id=message.school_id,
                message=message,
                file=name,
                name=upload_name(upload.name),
                size=upload.size,
            )
            for message in messages
            for name, upload in zip(names, files, strict=True)
        ]
    )


def thread_url(thread: Thread) -> str:
    return reverse("messages_thread", args=[thread.school.slug, thread.pk])


def _notify(thread: Thread, author, body: str, user_ids: Iterable[int]) -> None:
    notify(
        school=thread.school,
        users=user_ids,
        kind=Kind.MESSAGE,
        title=_("Message from %(author)s: %(subject)s")
        % {"author": author.short_name, "subject": thread.subject},
        body=body[:500],
        url=thread_url(thread),
    )


def _post(thread: Thread, author, body: str, files: list, now: dt.datetime, stored):
    message = Message.objects.create(
        school_id=thread.school_id, thread=thread, author=author, body=body, created_at=now
    )
    _attachments([message], files, stored)
    return message


def _atomic_with_files(write):
    """Run `write(stored)` in a transaction; files stored by a failed one are removed."""
    stored = _Stored()
    try:
        with transaction.atomic():
            return write(stored)
    except BaseException:
        stored.discard()
        raise


def thread_start(
    *,
    actor,
    school: School,
    recipients: Sequence,
    subject: str,
    body: str,
    student: Student | None = None,
    files: Sequence = (),
) -> Thread:
    """A new conversation of the actor with people he has a real relation with
    (notifications.relations), about `student` when given: the child must be one the
    relation with every recipient goes through. The recipients get a notification."""
    body, subject = _text_check(body, subject)
    files = files_check(files)
    today = school.today()
    recipients = list({getattr(r, "pk", r): r for r in recipients}.values())
    if not recipients:
        raise Refusal(_("Choose whom to write to."), "invalid")
    if student is not None and student.school_id != school.pk:
        raise Refusal(_("You cannot write to this person."), "forbidden")
    for recipient in recipients:
        through = relation_students(actor, recipient, school, today)
        if not through:
            raise Refusal(_("You cannot write to this person."), "forbidden")
        if student is not None and student.pk not in through:
            raise Refusal(
                _("This conversation cannot be about %(student)s.")
                % {"student": student.short_name},
                "forbidden",
            )
        if student is None and None not in through and len(recipients) > 1:
            # several parents or students in one thread only when they are one family
            raise Refusal(_("Choose the child the conversation is about."), "invalid")
    recipient_ids = [getattr(r, "pk", r) for r in recipients]

    def write(stored):
        now = timezone.now()
        thread = Thread.objects.create(
            school=school,
            subject=subject,
            student=student,
            created_by=actor,
            created_at=now,
            last_message_at=now,
        )
        ThreadMember.objects.bulk_create(
            [ThreadMember(school=school, thread=thread, user=actor, last_read_at=now)]
            + [
                ThreadMember(school=school, thread=thread, user_id=uid, unread=1)
                for uid in recipient_ids
            ]
        )
        _post(thread, actor, body, files, now, stored)
        _notify(thread, actor, body, recipient_ids)
        return thread

    return _atomic_with_files(write)


def message_send(*, actor, thread: Thread, body: str, files: Sequence = ()) -> Message:
    """A reply by a member of the thread: the other members' unread counters grow by one and
    they are notified; the author has read the thread."""
    body, _subject = _text_check(body)
    files = files_check(files)

    def write(stored):
        now = timezone.now()
        mine = ThreadMember.objects.filter(thread=thread, user=actor).update(
            unread=0, last_read_at=now
        )
        if not mine:
            raise Refusal(_("You are not in this conversation."), "forbidden")
        message = _post(thread, actor, body, files, now, stored)
        others = ThreadMember.objects.filter(thread=thread).exclude(user=actor)
        other_ids = list(others.values_list("user_id", flat=True))
        others.update(unread=F("unread") + 1)
        Thread.objects.filter(pk=thread.pk).update(last_message_at=now)
        thread.last_message_at = now
        _notify(thread, actor, body, other_ids)
        return message

    return _atomic_with_files(write)


def thread_read(*, user, thread: Thread) -> None:
    """The user has read the thread: his counter goes to 0, and the notifications of its
    messages are read too (they point to the thread). Two queries."""
    now = timezone.now()
    ThreadMember.objects.filter(thread=thread, user=user).update(unread=0, last_read_at=now)
    Notification.objects.filter(
        user=user,
        school=thread.school_id,
        kind=Kind.MESSAGE,
        url=thread_url(thread),
        read_at__isnull=True,
    ).update(read_at=now)


# ------------------------------------------------------------------ a whole class's parents


def can_message_class(user, roles, school_class: SchoolClass) -> bool:
    """The class teacher of the class, a teacher of one of its groups, or the
    administration (one query at most)."""
    if set(roles) & LEADERSHIP_ROLES:
        return True
    if school_class.class_teacher_id == user.pk:
        return True
    if not set(roles) & {Role.TEACHER, Role.SUBSTITUTE}:
        return False
    return TeachingLoad.objects.filter(
        school=school_class.school_id, teacher=user, group__school_class=school_class
    ).exists()


def class_families(school_class: SchoolClass, on: dt.date) -> tuple[list[dict], list[Student]]:
    """The families of the class on `on`: each is the parents with an account in force (a
    membership other than a trusted person's) of one or more children of the class
    (siblings share a family), with the children. And the students no parent of whom can
    be written to. Three queries."""
    enrolments = list(
        Enrolment.objects.filter(school_class=school_class)
        .filter(starts_on__lte=on)
        .exclude(ends_on__lt=on)
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "student_id")
    )
    students = {e.student_id: e.student for e in enrolments}
    links = list(
        ParentLink.objects.filter(student__in=list(students), parent__user__isnull=False)
        .select_related("parent__user")
        .order_by("parent__last_name", "parent__first_name", "pk")
    )
    in_force = set(
        Membership.objects.filter(
            school=school_class.school_id, user__in={link.parent.user_id for link in links}
        )
        .filter(starts_on__lte=on)
        .exclude(ends_on__lt=on)
        .exclude(role=Role.TRUSTED)
        .values_list("user_id", flat=True)
    )
    parents_of: dict[int, dict] = {}
    for link in links:
        if link.parent.user_id in in_force:
            parents_of.setdefault(link.student_id, {})[link.parent.user_id] = link.parent.user
    # join the children sharing a parent into one family (union-find over students)
    family_of: dict[int, int] = {}

    def root(sid):
        while family_of.get(sid, sid) != sid:
            sid = family_of[sid]
        return sid

    by_parent: dict[int, int] = {}
    for sid, parents in parents_of.items():
        family_of.setdefault(sid, sid)
        for uid in parents:
            if uid in by_parent:
                family_of[root(sid)] = root(by_parent[uid])
            else:
                by_parent[uid] = sid
    families: dict[int, dict] = {}
    for sid in students:
        if sid not in parents_of:
            continue
        family = families.setdefault(root(sid), {"children": [], "parents": {}})
        family["children"].append(students[sid])
        family["parents"].update(parents_of[sid])
    unreachable = [students[sid] for sid in students if sid not in parents_of]
    return list(families.values()), unreachable


def class_parents_message(
    *,
    actor,
    school_class: SchoolClass,
    subject: str,
    body: str,
    files: Sequence = (),
    roles: Iterable[str] | None = None,
) -> list[Thread]:
    """The actor (the class teacher, a teacher of the class or the administration) writes
    to the parents of a whole class: one thread per family, so that parents never see each
    other; all or nothing. The attached files are stored once for all the threads."""
    body, subject = _text_check(body, subject)
    files = files_check(files)
    school = school_class.school
    today = school.today()
    if roles is None:
        roles = set(
            Membership.objects.filter(school=school, user=actor)
            .filter(starts_on__lte=today)
            .exclude(ends_on__lt=today)
            .values_list("role", flat=True)
        )
    if not can_message_class(actor, roles, school_class):
        raise Refusal(_("You cannot write to the parents of this class."), "forbidden")
    families, _unreachable = class_families(school_class, today)
    # a teacher who is himself a parent in the class does not write to himself
    families = [f for f in families if set(f["parents"]) - {actor.pk}]
    if not families:
        raise Refusal(_("No parent of this class has an account yet."), "invalid")

    def write(stored):
        now = timezone.now()
        threads = Thread.objects.bulk_create(
            [
                Thread(
                    school=school,
                    subject=subject,
                    student=family["children"][0],
                    created_by=actor,
                    created_at=now,
                    last_message_at=now,
                )
                for family in families
            ]
        )
        members = []
        for thread, family in zip(threads, families, strict=True):
            members.append(ThreadMember(school=school, thread=thread, user=actor, last_read_at=now))
            members += [
                ThreadMember(school=school, thread=thread, user_id=uid, unread=1)
                for uid in family["parents"]
                if uid != actor.pk
            ]
        ThreadMember.objects.bulk_create(members)
        messages = Message.objects.bulk_create(
            [
                Message(school=school, thread=t, author=actor, body=body, created_at=now)
                for t in threads
            ]
        )
        _attachments(messages, files, stored)
        for thread, family in zip(threads, families, strict=True):
            thread.school = school
            _notify(thread, actor, body, [uid for uid in family["parents"] if uid != actor.pk])
        return threads

    return _atomic_with_files(write)
