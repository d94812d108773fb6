"""Thin Celery wrappers around notifications.delivery (R-NOT-5)."""

from celery import shared_task


@shared_task(ignore_result=True)
def notifications_email(notification_ids: list[int]):
    """Queued by notify() after the commit: send these rows' e-mails now."""
    from .delivery import email_deliver_due

    email_deliver_due(notification_ids)


@shared_task(ignore_result=True)
def notifications_email_sweep():
    """Beat, every 5 minutes: e-mails whose task was lost, that waited for quiet hours or
    for a retry."""
    from .delivery import email_sweep

    email_sweep()
