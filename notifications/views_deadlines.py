"""The deputy's deadline status page (R-ATT-1, R-ATT-3, R-MRK-5, R-FIN-1): the deadlines of a
day in the school's local time and how their jobs ran, and per class and per teacher what
was done in time, late or not at all (notifications.deadlines.status).

For the deputy, the director and the school administrator (403 for other roles, 404 for a
school the user has no role in); GET only. `?date=YYYY-MM-DD` shows another day; today in
the school's zone by default, and on a date it cannot read."""

import datetime as dt

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.access import school_view
from accounts.models import Role

from .deadlines import status as deadline_status


def _day(request, today: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return today


@require_GET
@school_view(Role.DEPUTY, Role.DIRECTOR, Role.ADMIN)
def deadlines_status(request):
    school = request.school
    today = school.today()
    day = _day(request, today)
    status = deadline_status.day_status(school, day)
    return render(
        request,
        "notifications/deadlines_status.html",
        {
            "status": status,
            "today": today,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "is_today": day == today,
        },
    )


urlpatterns = [path("deadlines/", deadlines_status, name="deadlines_status")]
