from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("communication")

    def ready(self):
        from accounts.access import access_annotate

        from . import receivers  # noqa: F401  (connects to the journal's signals)
        from .context_processors import unread_annotations
        from .deadlines import (  # noqa: F401  (the jobs register themselves)
            jobs_attendance,
            jobs_failing,
            jobs_lessons,
            jobs_periods,
        )

        access_annotate(unread_annotations)
