"""The notification centre and the notification settings (R-NOT-5), for anyone with a role in
the school. A user sees only his own notifications of this school: another user's id, or
his own from another school, is 404."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import school_view

from .forms import NotificationSettingsForm
from .models import Notification
from .services.notices import notification_settings, notification_settings_save

PAGE_SIZE = 30


def _mine(request):
    return Notification.objects.filter(user=request.user, school=request.school)


@require_GET
@school_view()
def notifications_index(request):
    """Newest first, the unread highlighted, 30 a page."""
    rows = _mine(request).order_by("-created_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/notices.html", {"page": page, "rows": list(page)})


@require_GET
@school_view()
def notifications_open(request, pk: int):
    """Mark the notification read and go to what it is about."""
    notification = get_object_or_404(_mine(request).only("pk", "url", "read_at"), pk=pk)
    if notification.read_at is None:
        _mine(request).filter(pk=pk, read_at__isnull=True).update(read_at=timezone.now())
    url = notification.url
    if url.startswith("/") and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}
    ):
        return redirect(url)
    return redirect("notifications_index", request.school.slug)


@require_POST
@school_view()
def notifications_read_all(request):
    count = _mine(request).filter(read_at__isnull=True).update(read_at=timezone.now())
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications_index", request.school.slug)


@require_http_methods(["GET", "POST"])
@school_view()
def notifications_settings_page(request):
    """A channel per kind and the quiet hours; saved all together or not at all."""
    channels, quiet = notification_settings(request.user)
    form = NotificationSettingsForm(
        request.POST if request.method == "POST" else None, channels=channels, quiet=quiet
    )
    if request.method == "POST" and form.is_valid():
        notification_settings_save(
            user=request.user, channels=form.channels(), quiet=form.quiet_hours()
        )
        messages.success(request, _("Notification settings saved."))
        return redirect(reverse("notifications_settings", args=[request.school.slug]))
    return render(
        request,
        "notifications/settings.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("notifications/", notifications_index, name="notifications_index"),
    path("notifications/<int:pk>/open/", notifications_open, name="notifications_open"),
    path("notifications/read-all/", notifications_read_all, name="notifications_read_all"),
    path("notifications/settings/", notifications_settings_page, name="notifications_settings"),
]
