from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from .models import Notification, ThreadMember


def unread_annotations(user) -> dict:
    """Unread notifications and unread messages of the user in a school, read with the
    user's access (accounts.access.access_annotate), so the header costs no query."""
    notices = (
        Notification.objects.filter(user=user, school=OuterRef("school"), read_at__isnull=True)
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    messages = (
        ThreadMember.objects.filter(user=user, school=OuterRef("school"))
        .values("user")
        .annotate(n=Sum("unread"))
        .values("n")
    )
    return {
        "unread_notices": Coalesce(Subquery(notices, output_field=IntegerField()), 0),
        "unread_messages": Coalesce(Subquery(messages, output_field=IntegerField()), 0),
    }


def unread(request):
    """`unread.notices` and `unread.messages` for the header."""
    access = getattr(request, "access", None)
    if access is None:
        return {}
    return {
        "unread": {
            "notices": access.extra.get("unread_notices", 0),
            "messages": access.extra.get("unread_messages", 0),
        }
    }
