import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("otmetka")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["config", "accounts", "notifications"])

# The one beat schedule of the project; each entry names the rule it serves.
app.conf.beat_schedule = {
    # R-ROLE-6: idle sessions expire; drop the expired rows nightly so the table stays small.
    "sessions-clear-expired": {
        "task": "accounts.tasks.sessions_clear_expired",
        "schedule": crontab(hour=3, minute=15),
    },
    # R-NOT-5: a notification is a row first; e-mails whose task was lost (broker or worker
    # down at the commit), that waited for quiet hours or for a retry go out within 5 minutes.
    "notifications-email-sweep": {
        "task": "notifications.tasks.notifications_email_sweep",
        "schedule": crontab(minute="*/5"),
    },
}
