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


@shared_task(ignore_result=True)
def deadlines_dispatch():
    """Beat, every few minutes: find the deadlines passed today in each school's local time
    and queue their jobs (notifications.deadlines.engine)."""
    from .deadlines.engine import dispatch

    dispatch()


# acks_late: a worker that dies mid-job leaves the message to be delivered again; the run's
# row lock and its finished mark make the second delivery a no-op once the first has committed
@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def deadline_run(run_id: int):
    """One deadline job for one school and day, run once."""
    from .deadlines.engine import run_execute

    run_execute(run_id)
