"""E-mail delivery of notifications (R-NOT-5): the row is written first; these functions
send the e-mail of a pending row, exactly once, and keep retrying until it goes.

- **Claim.** A worker claims a row with a conditional UPDATE (still pending, due, and the
  attempt count it read): only one of two workers holding the same id can win it. The claim
  counts the attempt and moves `email_not_before` a lease ahead, so a row whose worker
  died mid-send becomes due again when the lease is over and the sweep retries it.
- **Send** through settings.EMAIL_DELIVERY_BACKEND directly (the worker is already off the
  request: going through config.mail.CeleryEmailBackend would queue a second task).
- **Outcome.** Sent: `sent` and the time. Failed: the error is kept and the row waits
  1, 5, 25, 125 minutes; after MAX_ATTEMPTS attempts it is `failed`. A user without an
  e-mail address: `none`, nothing to send.
- **Sweep** (beat, every 5 minutes): pending rows due for more than a minute, whose task
  was lost (the broker or the worker was down at the commit) or that waited for quiet hours
  or a retry. Works without Celery: it is a plain function the beat task calls."""

import datetime as dt
import logging
import mimetypes
import os
import time
from collections.abc import Iterable
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# the wait after attempt n (1-based) failed
BACKOFF = tuple(dt.timedelta(minutes=m) for m in (1, 5, 25, 125))
# a claimed row is due again after this if its worker never reported back
LEASE = dt.timedelta(minutes=10)
# the on-commit task has this long to deliver a new row before the sweep takes it
SWEEP_AFTER = dt.timedelta(minutes=1)
SWEEP_BATCH = 200
SWEEP_BUDGET_SECONDS = 240  # under the 5-minute beat interval
LOST_LAST_ATTEMPT = "the worker stopped during the last attempt"

PENDING = Notification.Email.PENDING


def _due(now: dt.datetime) -> Q:
    return Q(email=PENDING) & (Q(email_not_before__isnull=True) | Q(email_not_before__lte=now))


def site_url() -> str:
    """The address the e-mail's links start with (settings.SITE_URL)."""
    return settings.SITE_URL.rstrip("/")


def email_message(row: Notification, connection=None) -> EmailMessage:
    """The e-mail of one notification, in the site's language."""
    school = row.school
    base = site_url()
    link = (
        row.url if row.url.startswith("/") else reverse("notifications_index", args=[school.slug])
    )
    with translation.override(settings.LANGUAGE_CODE):
        prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
        subject = prefix + " ".join(row.title.split())
        lines = [
            row.title,
            f"{school.name}, {school.local(row.created_at):%d.%m.%Y %H:%M}",
            "",
        ]
        if row.body:
            lines += [row.body, ""]
        lines += [
            _("Open: %(link)s") % {"link": base + link},
            "",
            "—",
            _(
                "You get this e-mail because e-mail is on for this kind of notification. "
                "Change it here: %(link)s"
            )
            % {"link": base + reverse("notifications_settings", args=[school.slug])},
        ]
    message = EmailMessage(
        subject=subject,
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.user.email],
        connection=connection,
    )
    if row.sender_id:
        # sent in a person's name (R-NOT-1: the class teacher's): his name on the envelope,
        # the site's address (we may not send as his domain), answers to him
        address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        name = row.sender.full_name.replace('"', "")
        message.from_email = f'"{name}" <{address}>'  # Django encodes the name when sending
        if row.sender.email:
            message.reply_to = [row.sender.email]
    if row.attachment:
        with row.attachment.open("rb") as handle:
            message.attach(
                os.path.basename(row.attachment.name), handle.read(), _mimetype(row.attachment.name)
            )
    return message


def _mimetype(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _claim(row: Notification) -> bool:
    """Win the row for this worker: one UPDATE that matches only while nobody else has
    claimed it since it was read (claiming counts the attempt)."""
    now = timezone.now()
    won = (
        Notification.objects.filter(_due(now), pk=row.pk, email_attempts=row.email_attempts)
        .filter(email_attempts__lt=MAX_ATTEMPTS)
        .update(email_attempts=F("email_attempts") + 1, email_not_before=now + LEASE)
    )
    if won:
        row.email_attempts += 1
    return bool(won)


def _failed(row: Notification, error: Exception) -> None:
    text = f"{type(error).__name__}: {error}"[:500]
    mine = Notification.objects.filter(pk=row.pk, email=PENDING, email_attempts=row.email_attempts)
    if row.email_attempts >= MAX_ATTEMPTS:
        mine.update(email=Notification.Email.FAILED, email_error=text, email_not_before=None)
        log.error("notifications: e-mail of %s failed for good: %s", row.pk, text)
        return
    wait = BACKOFF[min(row.email_attempts, len(BACKOFF)) - 1]
    mine.update(email_error=text, email_not_before=timezone.now() + wait)
    log.warning(
        "notifications: e-mail of %s failed (attempt %s): %s", row.pk, row.email_attempts, text
    )


def email_deliver_due(ids: Iterable[int]) -> int:
    """Send the e-mail of each due pending notification among `ids`, once. Returns how many
    were sent. Rows not due (quiet hours, waiting for a retry, claimed by another worker,
    already sent) are left alone."""
    ids = list(ids)
    if not ids:
        return 0
    rows = list(
        Notification.objects.filter(
            _due(timezone.now()), pk__in=ids, email_attempts__lt=MAX_ATTEMPTS
        )
        .select_related("user", "school", "sender")
        .order_by("pk")
    )
    nowhere = [r.pk for r in rows if not r.user.email]
    if nowhere:
        Notification.objects.filter(pk__in=nowhere, email=PENDING).update(
            email=Notification.Email.NONE, email_not_before=None
        )
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND)
    opened = False
    sent = 0
    try:
        for row in rows:
            if not row.user.email or not _claim(row):
                continue
            try:
                if not opened:
                    connection.open()
                    opened = True
                email_message(row, connection).send()
            except Exception as error:  # any failure of the mail server or the backend
                _failed(row, error)
                continue
            Notification.objects.filter(pk=row.pk, email=PENDING).update(
                email=Notification.Email.SENT,
                email_sent_at=timezone.now(),
                email_error="",
                email_not_before=None,
            )
            sent += 1
    finally:
        if opened:
            try:
                connection.close()
            except Exception:
                log.warning("notifications: closing the mail connection failed", exc_info=True)
    return sent


def email_sweep(*, batch: int = SWEEP_BATCH, budget_seconds: float = SWEEP_BUDGET_SECONDS) -> int:
    """Deliver the pending e-mails that are due and older than a minute, batch after batch
    until none is left or the time budget is spent; give up on rows whose last attempt was
    lost. Returns how many were sent."""
    started = time.monotonic()
    now = timezone.now()
    Notification.objects.filter(_due(now), email_attempts__gte=MAX_ATTEMPTS).update(
        email=Notification.Email.FAILED, email_error=LOST_LAST_ATTEMPT, email_not_before=None
    )
    sent, after = 0, 0
    while time.monotonic() - started < budget_seconds:
        ids = list(
            Notification.objects.filter(
                _due(timezone.now()), created_at__lte=now - SWEEP_AFTER, pk__gt=after
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        after = ids[-1]
        sent += email_deliver_due(ids)
    return sent
