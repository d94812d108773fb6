import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("otmetka")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["config", "accounts", "notifications", "reports"])

# The deadlines dispatcher's tick. Every 5 minutes: a deadline is met within 5 minutes of its
# local time. The end-to-end test of the beat shortens it (DEADLINES_TICK_SECONDS).
DEADLINES_TICK_SECONDS = float(os.environ.get("DEADLINES_TICK_SECONDS", "300"))

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
    # R-TEN-2, R-ATT-1, R-ATT-3, R-ATT-5, R-MRK-5, R-LES-2, R-MRK-8, R-NOT-1..3, R-FIN-1: every
    # deadline of the regulation, in each school's local time (notifications.deadlines).
    "deadlines-dispatch": {
        "task": "notifications.tasks.deadlines_dispatch",
        "schedule": DEADLINES_TICK_SECONDS,
    },
}
