from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JournalConfig(AppConfig):
    name = "journal"
    verbose_name = _("Class journal")

    def ready(self):
        from schedule import lesson_content

        from . import content

        lesson_content.register(content.lessons_with_journal_content)
