"""Thin Celery wrappers around notifications.delivery."""

from celery import shared_task


@shared_task
def notifications_email(notification_ids: list[int]):
    from .delivery import email_deliver_due

    email_deliver_due(notification_ids)
