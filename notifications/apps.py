from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("communication")

    def ready(self):
        from accounts.access import access_annotate

        from . import receivers  # noqa: F401  (connects to the journal's signals)
        from .context_processors import unread_annotations
        from .deadlines import jobs_attendance, jobs_lessons, jobs_periods  # noqa: F401

        access_annotate(unread_annotations)
