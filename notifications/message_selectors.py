"""Reads of the conversations (R-NOT-4), each a fixed number of queries."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Substr
from django.http import Http404

from accounts.models import LEADERSHIP_ROLES, School
from schedule.models import SchoolClass

from .models import Message, ThreadMember

PREVIEW_CHARS = 120


def _members():
    return Prefetch(
        "thread__members",
        queryset=ThreadMember.objects.select_related("user").order_by(
            "user__last_name", "user__first_name", "user_id"
        ),
        to_attr="member_list",
    )


def user_threads(user, school: School):
    """The user's conversations in the school, newest first: each row is his membership
    (its `unread` counter) with the thread, the child it is about, the start of the last
    message (`last_body`) and every member (`thread.member_list`). Paginated, a page costs
    two queries: the memberships with their threads and the members."""
    last = Message.objects.filter(thread=OuterRef("thread")).order_by("-created_at", "-pk")
    return (
        ThreadMember.objects.filter(user=user, school=school)
        .select_related("thread__student")
        .annotate(last_body=Substr(Subquery(last.values("body")[:1]), 1, PREVIEW_CHARS))
        .prefetch_related(_members())
        .order_by("-thread__last_message_at", "-thread_id")
    )


def others(member: ThreadMember) -> list:
    """The thread's other members (the user's side is not "the other party")."""
    return [m.user for m in member.thread.member_list if m.user_id != member.user_id]


@dataclass
class ThreadPage:
    member: ThreadMember
    thread: object
    others: list
    messages: list


def thread_for_member(user, school: School, thread_id: int) -> ThreadMember:
    """The user's membership of the thread in this school, with the thread; 404 for a
    thread he is not in, of whatever school (one query)."""
    member = (
        ThreadMember.objects.filter(user=user, school=school, thread_id=thread_id)
        .select_related("thread__student")
        .first()
    )
    if member is None:
        raise Http404
    member.thread.school = school
    return member


def thread_page(member: ThreadMember) -> ThreadPage:
    """The thread's members and messages, oldest first, each with its author and
    attachments (three queries, whatever the number of messages)."""
    thread = member.thread
    members = list(
        ThreadMember.objects.filter(thread=thread)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user_id")
    )
    messages = list(
        Message.objects.filter(thread=thread)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    return ThreadPage(
        member=member,
        thread=thread,
        others=[m.user for m in members if m.user_id != member.user_id],
        messages=messages,
    )


def classes_to_message(user, roles, school: School, on: dt.date):
    """The classes of the current year whose parents the user may write to at once: all of
    them for the administration, those he leads or teaches otherwise (one query)."""
    classes = SchoolClass.objects.filter(
        school=school, year__starts_on__lte=on, year__ends_on__gte=on
    )
    if not set(roles) & LEADERSHIP_ROLES:
        classes = classes.filter(
            Q(class_teacher=user) | Q(groups__teaching_loads__teacher=user)
        ).distinct()
    return classes.order_by("grade", "letter")
