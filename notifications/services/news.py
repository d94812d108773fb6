"""A class's news feed (R-NOT-4): the class teacher of the class (while a teacher of the
school) publishes, changes and removes its items; the director, deputies and the school
administrator may too. Publishing notifies the class's students and their parents (kind
"news"), in the transaction that writes the post, with one bulk write of the notices."""

import datetime as dt

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import LEADERSHIP_ROLES, Membership, ParentLink, Role, User
from journal.rules import Refusal
from schedule.models import Enrolment, SchoolClass

from ..models import Kind, NewsPost
from .notices import notify

TITLE_MAX = 200
SUMMARY_CHARS = 300


def actor_roles(user, school_id: int, today: dt.date) -> set[str]:
    """The user's roles in the school today. One query."""
    return set(
        Membership.objects.filter(user=user, school=school_id)
        .active_on(today)
        .values_list("role", flat=True)
    )


def may_write_news(user, school_class: SchoolClass, today: dt.date) -> bool:
    """The class teacher of the class while a teacher of the school, or the leadership.
    One query."""
    roles = actor_roles(user, school_class.school_id, today)
    if roles & LEADERSHIP_ROLES:
        return True
    return Role.TEACHER in roles and school_class.class_teacher_id == user.pk


def class_families(school_id: int, class_ids, today: dt.date) -> list[int]:
    """The accounts of the classes' students enrolled today and of their parents. One
    query."""
    enrolled = Enrolment.objects.filter(school=school_id, school_class__in=list(class_ids))
    enrolled = enrolled.active_on(today)
    student = Exists(enrolled.filter(student__user=OuterRef("pk")))
    parent = Exists(
        ParentLink.objects.filter(
            school=school_id,
            parent__user=OuterRef("pk"),
            student__in=enrolled.values("student"),
        )
    )
    return list(User.objects.filter(Q(student) | Q(parent)).values_list("pk", flat=True))


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise Refusal(_("Write the title."))
    if len(title) > TITLE_MAX:
        raise Refusal(_("The title is too long: at most %(n)d characters.") % {"n": TITLE_MAX})
    if not body:
        raise Refusal(_("Write the text of the news."))
    return title, body


def _check_writer(actor, school_class: SchoolClass) -> None:
    if not may_write_news(actor, school_class, school_class.school.today()):
        raise Refusal(
            _("Only the class teacher and the school's administration keep the class's news."),
            "forbidden",
        )


def _summary(body: str) -> str:
    if len(body) <= SUMMARY_CHARS:
        return body
    return body[: SUMMARY_CHARS - 1].rstrip() + "…"


@transaction.atomic
def news_post_publish(*, actor, school_class: SchoolClass, title: str, body: str) -> NewsPost:
    """Publish an item in the class's feed and notify the class's students and parents."""
    title, body = _clean(title, body)
    _check_writer(actor, school_class)
    school = school_class.school
    post = NewsPost.objects.create(
        school=school,
        school_class=school_class,
        author=actor,
        title=title,
        body=body,
        published_at=timezone.now(),
    )
    with translation.override(django_settings.LANGUAGE_CODE):
        notice_title = _("News of class %(class)s: %(title)s") % {
            "class": school_class,
            "title": title,
        }
    notify(
        school=school,
        users=class_families(school.pk, [school_class.pk], school.today()),
        kind=Kind.NEWS,
        title=notice_title,
        body=_summary(body),
        url=reverse("news_class", args=[school.slug, school_class.pk]),
    )
    return post


@transaction.atomic
def news_post_edit(*, actor, post: NewsPost, title: str, body: str) -> NewsPost:
    """Change an item's title and text; the readers are not notified again."""
    title, body = _clean(title, body)
    _check_writer(actor, post.school_class)
    post.title, post.body, post.updated_at = title, body, timezone.now()
    post.save(update_fields=["title", "body", "updated_at"])
    return post


@transaction.atomic
def news_post_delete(*, actor, post: NewsPost) -> None:
    _check_writer(actor, post.school_class)
    post.delete()
