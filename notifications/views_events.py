"""The school events calendar (R-NOT-4).

- events_index (?month=YYYY-MM): a month of published events the user may see, by day, in
  the school's local time; the current month by default;
- events_propose: any staff member proposes an event (the administration's own is
  published at once);
- events_pending: the administration's queue with the approve / reject forms and its
  latest decisions; every staff member sees his own proposals and their status;
- events_decide (POST): approve or reject a proposal, with a note.

Students, parents and trusted persons read the calendar only (403 elsewhere); an event of
another school, or none, is 404."""

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import school_view
from accounts.models import LEADERSHIP_ROLES, STAFF_ROLES, School
from journal.rules import Refusal
from schedule.models import SchoolClass

from . import news_selectors as selectors
from .models import SchoolEvent
from .services.events import NOTE_MAX, event_decide, event_propose
from .services.news import TITLE_MAX

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class EventForm(forms.Form):
    """Times are read in the school's local time: validate inside
    `timezone.override(school.tz)`."""

    title = forms.CharField(max_length=TITLE_MAX, label=gettext_lazy("Title"))
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )
    ends_at = forms.DateTimeField(
        required=False,
        label=gettext_lazy("Ends at"),
        help_text=gettext_lazy("Optional."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )
    place = forms.CharField(max_length=200, required=False, label=gettext_lazy("Place"))
    description = forms.CharField(
        required=False,
        label=gettext_lazy("Description"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
    )
    classes = forms.ModelMultipleChoiceField(
        queryset=SchoolClass.objects.none(),
        required=False,
        label=gettext_lazy("Classes"),
        help_text=gettext_lazy("Leave all unticked for an event of the whole school."),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": gettext_lazy("Choose classes of this school."),
            "invalid_pk_value": gettext_lazy("Choose classes of this school."),
        },
    )

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["classes"].queryset = selectors.event_classes_choices(school, school.today())

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_at"), data.get("ends_at")
        if start and end and end < start:
            self.add_error("ends_at", _("The event ends before it starts."))
        return data


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))]
    )
    note = forms.CharField(
        max_length=NOTE_MAX,
        required=False,
        label=gettext_lazy("Note"),
        help_text=gettext_lazy("Required for a rejection."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("Write why the event is rejected."))
        return data


# ------------------------------------------------------------------ the month


@dataclass
class EventRow:
    event: SchoolEvent
    starts: dt.datetime  # local
    ends: dt.datetime | None  # local
    same_day: bool


def _month(raw: str | None, today: dt.date) -> dt.date:
    """The first day of the month of `raw` (YYYY-MM, within a century of today), or of
    today's month."""
    try:
        month = dt.datetime.strptime(raw or "", "%Y-%m").date()
    except ValueError:
        return today.replace(day=1)
    if abs(month.year - today.year) > 100:
        return today.replace(day=1)
    return month


def _by_day(school: School, events, month: dt.date) -> list[tuple[dt.date, list[EventRow]]]:
    """Events under their local start day; one that began last month under the 1st."""
    days: dict[dt.date, list[EventRow]] = {}
    for event in events:
        starts = school.local(event.starts_at)
        ends = school.local(event.ends_at) if event.ends_at else None
        row = EventRow(event, starts, ends, ends is None or ends.date() == starts.date())
        days.setdefault(max(starts.date(), month), []).append(row)
    return sorted(days.items())


@require_GET
@school_view()
def events_index(request):
    school, access = request.school, request.access
    today = school.today()
    month = _month(request.GET.get("month"), today)
    events = selectors.month_events(access, request.user, month, today)
    awaiting = None
    if access.has_any(LEADERSHIP_ROLES):
        awaiting = selectors.events_awaiting(school).count()
    return render(
        request,
        "notifications/events_index.html",
        {
            "month": month,
            "previous": (month - dt.timedelta(days=1)).replace(day=1),
            "next": (month + dt.timedelta(days=31)).replace(day=1),
            "this_month": today.replace(day=1),
            "days": _by_day(school, events, month),
            "can_propose": access.has_any(STAFF_ROLES),
            "awaiting": awaiting,
        },
    )


# ------------------------------------------------------------------ proposing


@require_http_methods(["GET", "POST"])
@school_view(*STAFF_ROLES)
def events_propose(request):
    school = request.school
    status = 200
    if request.method == "POST":
        form = EventForm(request.POST, school=school)
        with timezone.override(school.tz):
            valid = form.is_valid()
        if valid:
            data = form.cleaned_data
            try:
                event = event_propose(
                    actor=request.user,
                    school=school,
                    title=data["title"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    description=data["description"],
                    place=data["place"],
                    classes=data["classes"],
                )
            except Refusal as refusal:
                if refusal.code == "forbidden":
                    raise PermissionDenied from refusal
                form.add_error(None, refusal.message)
            else:
                if event.status == SchoolEvent.Status.APPROVED:
                    messages.success(request, _("The event is published in the calendar."))
                    month = school.local(event.starts_at).strftime("%Y-%m")
                    return redirect(f"{reverse('events_index', args=[school.slug])}?month={month}")
                messages.success(
                    request, _("The event is proposed; it is published once approved.")
                )
                return redirect("events_pending", school.slug)
        status = 400
    else:
        form = EventForm(school=school)
    return render(
        request,
        "notifications/events_propose.html",
        {"form": form, "publishes_at_once": request.access.has_any(LEADERSHIP_ROLES)},
        status=status,
    )


# ------------------------------------------------------------------ deciding


def _pending_page(request, bound: tuple[int, DecisionForm] | None = None, status=200):
    school, user = request.school, request.user
    leads = request.access.has_any(LEADERSHIP_ROLES)
    queue, decided = [], []
    if leads:
        queue = list(selectors.events_awaiting(school))
        for event in queue:
            event.form = bound[1] if bound and bound[0] == event.pk else DecisionForm()
        decided = list(selectors.events_decided(school))
    mine = list(selectors.events_proposed_by(school, user))
    return render(
        request,
        "notifications/events_pending.html",
        {"leads": leads, "queue": queue, "decided": decided, "mine": mine},
        status=status,
    )


@require_GET
@school_view(*STAFF_ROLES)
def events_pending(request):
    return _pending_page(request)


@require_POST
@school_view(*LEADERSHIP_ROLES)
def events_decide(request, pk):
    event = get_object_or_404(SchoolEvent, school=request.school, pk=pk)
    event.school = request.school
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _pending_page(request, (event.pk, form), status=400)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        event_decide(
            actor=request.user, event=event, approve=approve, note=form.cleaned_data["note"]
        )
    except Refusal as refusal:
        if refusal.code == "forbidden":
            raise PermissionDenied from refusal
        if refusal.code == "decided":
            messages.error(request, refusal.message)
            return redirect("events_pending", request.school.slug)
        form.add_error(None, refusal.message)
        return _pending_page(request, (event.pk, form), status=400)
    if approve:
        messages.success(request, _("«%(title)s» is published.") % {"title": event.title})
    else:
        messages.success(request, _("«%(title)s» is rejected.") % {"title": event.title})
    return redirect("events_pending", request.school.slug)


urlpatterns = [
    path("events/", events_index, name="events_index"),
    path("events/new/", events_propose, name="events_propose"),
    path("events/pending/", events_pending, name="events_pending"),
    path("events/<int:pk>/decide/", events_decide, name="events_decide"),
]
