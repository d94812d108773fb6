"""Writing notifications (R-NOT-5): a row per recipient first, in the caller's transaction;
the e-mail, for those who want one, is queued after the commit."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from accounts.models import School

from ..models import DEFAULT_CHANNELS, Channel, Notification, NotificationPreference, QuietHours


def _email_not_before(quiet: QuietHours | None, school: School, now: dt.datetime):
    """The first moment outside the user's quiet hours, in the school's local time."""
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


def notify(
    *,
    school: School,
    users: Iterable,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
) -> list[Notification]:
    """Notify each user (once, whatever duplicates `users` holds) by his channel for the
    kind. Returns the rows written."""
    user_ids = {getattr(u, "pk", u) for u in users if u is not None}
    if not user_ids:
        return []
    now = timezone.now()
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind).values_list(
            "user_id", "channel"
        )
    )
    quiet = {q.user_id: q for q in QuietHours.objects.filter(user_id__in=user_ids)}
    rows = []
    for user_id in sorted(user_ids):
        channel = chosen.get(user_id, DEFAULT_CHANNELS[kind])
        if channel == Channel.OFF:
            continue
        email = channel == Channel.EMAIL
        rows.append(
            Notification(
                school=school,
                user_id=user_id,
                kind=kind,
                title=title[:300],
                body=body,
                url=url[:500],
                created_at=now,
                email=Notification.Email.PENDING if email else Notification.Email.NONE,
                email_not_before=_email_not_before(quiet.get(user_id), school, now)
                if email
                else None,
            )
        )
    Notification.objects.bulk_create(rows)
    pending = [r.pk for r in rows if r.email == Notification.Email.PENDING]
    if pending:
        from ..tasks import notifications_email

        transaction.on_commit(lambda: notifications_email.delay(pending))
    return rows
