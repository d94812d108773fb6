"""The school events calendar (R-NOT-4), agreed with the administration.

- Any staff member proposes an event: title, description, place, start and (optional) end,
  for the whole school (no classes) or for some classes of the school.
- The administration (director, deputy head, school administrator) approves or rejects a
  proposal, with a note (required for a rejection); an approved event is published in the
  calendar. A proposal is decided once: a second decision is refused.
- An event proposed by a member of the administration is published at once.
- Publication notifies, for a class event, the classes' students and parents; a decision
  notifies the proposer (kind "news"). The notices are written in the deciding transaction.
"""

import datetime as dt

from django.conf import settings as django_settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import LEADERSHIP_ROLES, STAFF_ROLES, School
from journal.rules import Refusal

from ..models import Kind, SchoolEvent
from .news import TITLE_MAX, actor_roles, class_families
from .notices import notify

NOTE_MAX = 300


def _when(school: School, event: SchoolEvent) -> str:
    start = school.local(event.starts_at)
    return start.strftime("%d.%m.%Y %H:%M")


def _month_url(school: School, event: SchoolEvent) -> str:
    start = school.local(event.starts_at)
    return f"{reverse('events_index', args=[school.slug])}?month={start:%Y-%m}"


def _notify_families(event: SchoolEvent, classes) -> None:
    """The students and parents of the event's classes (nobody for a whole-school event:
    it is in everyone's calendar). One query for the recipients, then notify()."""
    if not classes:
        return
    school = event.school
    users = class_families(school.pk, [c.pk for c in classes], school.today())
    with translation.override(django_settings.LANGUAGE_CODE):
        title = _("Event %(when)s: %(title)s") % {
            "when": _when(school, event),
            "title": event.title,
        }
    notify(
        school=school,
        users=users,
        kind=Kind.NEWS,
        title=title,
        body=event.place,
        url=_month_url(school, event),
    )


@transaction.atomic
def event_propose(
    *,
    actor,
    school: School,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    description: str = "",
    place: str = "",
    classes=(),
) -> SchoolEvent:
    """Propose an event, or publish it at once when the actor is of the administration."""
    title = (title or "").strip()
    if not title:
        raise Refusal(_("Write the title."))
    if len(title) > TITLE_MAX:
        raise Refusal(_("The title is too long: at most %(n)d characters.") % {"n": TITLE_MAX})
    if starts_at is None:
        raise Refusal(_("Enter when the event starts."))
    if ends_at is not None and ends_at < starts_at:
        raise Refusal(_("The event ends before it starts."))
    classes = list(classes)
    for school_class in classes:
        if school_class.school_id != school.pk:
            raise Refusal(
                _("Class %(class)s is not of this school.") % {"class": school_class}, "foreign"
            )
    roles = actor_roles(actor, school.pk, school.today())
    if not roles & STAFF_ROLES:
        raise Refusal(_("Events are proposed by the school's staff."), "forbidden")
    now = timezone.now()
    publish = bool(roles & LEADERSHIP_ROLES)
    event = SchoolEvent.objects.create(
        school=school,
        title=title,
        description=(description or "").strip(),
        place=(place or "").strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        status=SchoolEvent.Status.APPROVED if publish else SchoolEvent.Status.PROPOSED,
        proposed_by=actor,
        proposed_at=now,
        decided_by=actor if publish else None,
        decided_at=now if publish else None,
    )
    if classes:
        event.classes.set(classes)
    if publish:
        _notify_families(event, classes)
    return event


@transaction.atomic
def event_decide(*, actor, event: SchoolEvent, approve: bool, note: str = "") -> SchoolEvent:
    """Approve (publish) or reject a proposal, once."""
    school = event.school
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Refusal(_("The note is too long: at most %(n)d characters.") % {"n": NOTE_MAX})
    if not approve and not note:
        raise Refusal(_("Write why the event is rejected."))
    if not actor_roles(actor, school.pk, school.today()) & LEADERSHIP_ROLES:
        raise Refusal(_("Events are approved by the school's administration."), "forbidden")
    now = timezone.now()
    status = SchoolEvent.Status.APPROVED if approve else SchoolEvent.Status.REJECTED
    # a conditional update: of two decisions made at once, only the first counts
    changed = SchoolEvent.objects.filter(pk=event.pk, status=SchoolEvent.Status.PROPOSED).update(
        status=status, decided_by=actor, decided_at=now, decision_note=note
    )
    if not changed:
        raise Refusal(_("This event has been decided already."), "decided")
    event.status, event.decided_by, event.decided_at, event.decision_note = (
        status,
        actor,
        now,
        note,
    )
    with translation.override(django_settings.LANGUAGE_CODE):
        if approve:
            title = _("Your event is published: %(title)s") % {"title": event.title}
        else:
            title = _("Your event is rejected: %(title)s") % {"title": event.title}
    notify(
        school=school,
        users=[event.proposed_by_id],
        kind=Kind.NEWS,
        title=title,
        body=note,
        url=reverse("events_pending", args=[school.slug]),
    )
    if approve:
        _notify_families(event, list(event.classes.all()))
    return event
