"""E-mail leaves the request through Celery, so a slow mail server never slows a page
(R-NFR-1). The worker delivers with settings.EMAIL_DELIVERY_BACKEND."""

from django.core.mail.backends.base import BaseEmailBackend


class CeleryEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        from config.tasks import email_deliver

        for message in email_messages:
            email_deliver.delay(
                subject=message.subject,
                body=message.body,
                from_email=message.from_email,
                to=list(message.to),
                alternatives=[list(a) for a in getattr(message, "alternatives", [])],
            )
        return len(email_messages)
