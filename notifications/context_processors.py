from django.db.models import Count, IntegerField, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.functional import SimpleLazyObject

from .models import Notification, ThreadMember


def unread_counts(user, school) -> dict[str, int]:
    """Unread notifications and unread messages of the user in the school, in one query."""
    from accounts.models import School

    notices = (
        Notification.objects.filter(user=user, school=school, read_at__isnull=True)
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    messages = (
        ThreadMember.objects.filter(user=user, school=school)
        .values("user")
        .annotate(n=Sum("unread"))
        .values("n")
    )
    row = (
        School.objects.filter(pk=school.pk)
        .annotate(
            notices=Coalesce(Subquery(notices, output_field=IntegerField()), 0),
            messages=Coalesce(Subquery(messages, output_field=IntegerField()), 0),
        )
        .values("notices", "messages")
        .first()
    )
    return row or {"notices": 0, "messages": 0}


def unread(request):
    """`unread.notices` and `unread.messages` for the header; the query runs only when a
    page shows them."""
    school = getattr(request, "school", None)
    user = getattr(request, "user", None)
    if school is None or user is None or not user.is_authenticated:
        return {}
    return {"unread": SimpleLazyObject(lambda: unread_counts(user, school))}
