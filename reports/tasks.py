"""Thin Celery wrappers around reports.jobs."""

from celery import shared_task


# acks_late: a share lost with its worker is redelivered; the class's transaction and the
# unique weekly report make doing it twice harmless
@shared_task(ignore_result=True, acks_late=True)
def parent_reports_class(run_id: int, class_id: int):
    """Another worker's share of a school's Friday reports: one class."""
    from .jobs import parent_reports_share

    parent_reports_share(run_id, class_id)
