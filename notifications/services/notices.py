"""Writing notifications (R-NOT-5): a row per recipient first, in the caller's transaction;
the e-mail, for those who want one, is queued after the commit.

Cost: one query reads the recipients with their channel for the kind and their quiet hours
(however many users and however they are given), one writes the rows. A caller whose
recipients come from the database passes a queryset naming them (User rows or one column
of user ids): it becomes a subquery of that one read instead of a query of its own."""

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import School

from ..models import DEFAULT_CHANNELS, Channel, Notification, NotificationPreference, QuietHours

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Notice:
    """One notice for some users. `users`: users or their ids, or a queryset naming users."""

    users: Iterable | QuerySet
    title: str
    body: str = ""
    url: str = ""
    # sent in this user's name (his name on the e-mail, answers to him)
    sender: object = None
    # the path, in the default storage, of a file the e-mail carries
    attachment: str = ""


def _email_not_before(quiet: QuietHours | None, school: School, now: dt.datetime):
    """The first moment outside the user's quiet hours, in the school's local time; None
    when the e-mail may go now."""
    if quiet is None:
        return None
    local = school.local(now)
    if not quiet.covers(local.time()):
        return None
    end = local.replace(
        hour=quiet.ends_at.hour, minute=quiet.ends_at.minute, second=0, microsecond=0
    )
    if end <= local:
        end += dt.timedelta(days=1)
    return end


def email_queue(ids: list[int]) -> None:
    """Hand the ids to the worker. Runs after the commit: the rows are saved whatever
    happens here, so a broker that is down is logged, never raised into the request whose
    change is already committed; `email_sweep` (beat, every 5 minutes) delivers them later."""
    from ..tasks import notifications_email

    try:
        notifications_email.apply_async(
            (ids,),
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        )
    except Exception:
        log.warning(
            "notifications: e-mail of %d notification(s) not queued (broker unavailable); "
            "the sweep will deliver them",
            len(ids),
            exc_info=True,
        )


def notify(
    *,
    school: School,
    users: Iterable,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    sender=None,
    attachment: str = "",
) -> list[Notification]:
    """Notify each user (once, whatever duplicates `users` holds) by his channel for the
    kind. Returns the rows written."""
    return notify_many(
        school=school,
        kind=kind,
        notices=[Notice(users, title, body, url, sender, attachment)],
    )


def notify_many(*, school: School, kind: str, notices: Sequence[Notice]) -> list[Notification]:
    """Write several notices of one kind (a title per child, say) in two queries: the
    recipients with their preferences, then the rows. A user named twice in one notice gets
    it once; a user in two notices gets both."""
    explicit: dict[int, set[int]] = {}
    named: set[int] = set()
    wanted = Q()
    flags = {}
    for i, notice in enumerate(notices):
        if isinstance(notice.users, QuerySet):
            among = Q(pk__in=notice.users)
            wanted |= among
            flags[f"in_{i}"] = ExpressionWrapper(among, output_field=BooleanField())
        else:
            ids = {getattr(u, "pk", u) for u in notice.users if u is not None}
            explicit[i] = ids
            named |= ids
    if named:
        wanted |= Q(pk__in=named)
    if not wanted:
        return []
    channel = NotificationPreference.objects.filter(user=OuterRef("pk"), kind=kind).values(
        "channel"
    )[:1]
    recipients = {
        row["pk"]: row
        for row in get_user_model()
        .objects.filter(wanted)
        .annotate(
            channel=Subquery(channel),
            quiet_from=F("quiet_hours__starts_at"),
            quiet_until=F("quiet_hours__ends_at"),
            **flags,
        )
        .values("pk", "channel", "quiet_from", "quiet_until", *flags)
    }
    now = timezone.now()
    rows = []
    for i, notice in enumerate(notices):
        if i in explicit:
            user_ids = sorted(explicit[i] & recipients.keys())
        else:
            user_ids = sorted(pk for pk, row in recipients.items() if row[f"in_{i}"])
        for user_id in user_ids:
            row = recipients[user_id]
            channel = row["channel"] or DEFAULT_CHANNELS[kind]
            if channel == Channel.OFF:
                continue
            email = channel == Channel.EMAIL
            quiet = (
                QuietHours(starts_at=row["quiet_from"], ends_at=row["quiet_until"])
                if row["quiet_from"] is not None
                else None
            )
            rows.append(
                Notification(
                    school=school,
                    user_id=user_id,
                    kind=kind,
                    title=notice.title[:300],
                    body=notice.body,
                    url=notice.url[:500],
                    sender_id=getattr(notice.sender, "pk", notice.sender),
                    attachment=notice.attachment,
                    created_at=now,
                    email=Notification.Email.PENDING if email else Notification.Email.NONE,
                    email_not_before=_email_not_before(quiet, school, now) if email else None,
                )
            )
    if not rows:
        return []
    Notification.objects.bulk_create(rows)
    # rows in quiet hours wait for the sweep, which sends them once the hours are over
    due = [r.pk for r in rows if r.email == Notification.Email.PENDING and not r.email_not_before]
    if due:
        transaction.on_commit(lambda: email_queue(due))
    return rows


def notification_settings(user) -> tuple[dict[str, str], QuietHours | None]:
    """The user's chosen channels by kind and his quiet hours (two queries)."""
    channels = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))
    return channels, QuietHours.objects.filter(user=user).first()


@transaction.atomic
def notification_settings_save(
    *, user, channels: dict[str, str], quiet: tuple[dt.time, dt.time] | None
) -> None:
    """Save a channel for every kind and the quiet hours (None: none), all or nothing."""
    NotificationPreference.objects.bulk_create(
        [NotificationPreference(user=user, kind=k, channel=c) for k, c in channels.items()],
        update_conflicts=True,
        unique_fields=["user", "kind"],
        update_fields=["channel"],
    )
    if quiet is None:
        QuietHours.objects.filter(user=user).delete()
    else:
        QuietHours.objects.bulk_create(
            [QuietHours(user=user, starts_at=quiet[0], ends_at=quiet[1])],
            update_conflicts=True,
            unique_fields=["user"],
            update_fields=["starts_at", "ends_at"],
        )
