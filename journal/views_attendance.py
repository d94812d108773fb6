"""The class teacher's attendance pages (R-ATT-1..3): the class's week of absences and lates
with the reason of each day, set per day (htmx, or a plain form) or for a range of days;
last week's reconciliation by subject; and the way in, a list of the user's classes.

Access: the class teacher of the class, a deputy head and the director read and write;
other staff, students and parents get 403; another school's class is 404."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.access import school_view
from accounts.models import Role, Student
from schedule.models import Enrolment, SchoolClass
from schedule.selectors import current_year

from . import attendance_selectors as selectors
from .history import request_ip
from .models import AbsenceReason
from .notice_selectors import class_notices
from .rules import Refusal
from .services.absence import MANAGE_ALL_ROLES, absence_reason_set

ATTENDANCE_ROLES = (Role.TEACHER, *MANAGE_ALL_ROLES)


# ------------------------------------------------------------------ helpers


def _class_for_attendance(request, class_id) -> SchoolClass:
    """The class of the URL in the request's school (404 otherwise), if the user keeps its
    attendance: its class teacher, a deputy head or the director (403 otherwise)."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("class_teacher"), school=request.school, pk=class_id
    )
    access = request.access
    if access.has_any(MANAGE_ALL_ROLES):
        return school_class
    if Role.TEACHER in access.roles and school_class.class_teacher_id == request.user.pk:
        return school_class
    raise PermissionDenied


def _monday(raw: str, default: dt.date) -> dt.date:
    """The Monday of the week of `raw` (YYYY-MM-DD, any day of the week) or of `default`."""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        day = default
    return selectors.week_start(day)


def _week_context(request, monday: dt.date) -> dict:
    today = request.school.today()
    return {
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "previous": monday - dt.timedelta(days=7),
        "next": monday + dt.timedelta(days=7),
        "today": today,
        "this_week": selectors.week_start(today),
    }


# a day's cell: short names, "—" for none (choosing it removes the day's reason)
CELL_CHOICES = [
    ("", "—"),
    (AbsenceReason.Reason.ILLNESS, AbsenceReason.Reason.ILLNESS.label),
    (AbsenceReason.Reason.VALID, gettext_lazy("excused")),
    (AbsenceReason.Reason.INVALID, gettext_lazy("unexcused")),
]
# the range form: a reason first (a sick note is the common case), removal said in words
RANGE_CHOICES = [*AbsenceReason.Reason.choices, ("", gettext_lazy("— remove the reasons —"))]


class ReasonForm(forms.Form):
    """A reason for one day (`date`) or a range (`date_from`..`date_to`); an empty reason
    removes it."""

    student = forms.ModelChoiceField(
        queryset=Student.objects.none(),
        label=gettext_lazy("Student"),
        error_messages={"invalid_choice": gettext_lazy("Choose a student of the class.")},
    )
    date = forms.DateField(required=False, widget=forms.HiddenInput)
    date_from = forms.DateField(
        required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.ChoiceField(choices=RANGE_CHOICES, required=False, label=gettext_lazy("Reason"))
    note = forms.CharField(
        max_length=300,
        required=False,
        label=gettext_lazy("Note"),
        help_text=gettext_lazy("e.g. the sick note's number"),
    )

    def __init__(self, *args, school_class: SchoolClass, **kwargs):
        super().__init__(*args, **kwargs)
        enrolled = Enrolment.objects.filter(school_class=school_class).values("student")
        self.fields["student"].queryset = Student.objects.filter(
            school=school_class.school_id, pk__in=enrolled
        )

    def clean(self):
        data = super().clean()
        if data.get("date") is not None:
            data["date_from"] = data["date_to"] = data["date"]
        elif self.errors.keys() & {"date", "date_from", "date_to"}:
            pass  # said already
        elif not data.get("date_from"):
            self.add_error("date_from", _("Enter the first day."))
        elif not data.get("date_to"):
            data["date_to"] = data["date_from"]
        return data


def _saved_message(request, rows, data) -> None:
    student = data["student"].short_name
    if data["reason"]:
        messages.success(
            request,
            ngettext(
                "The reason for %(student)s is recorded for %(count)d school day.",
                "The reason for %(student)s is recorded for %(count)d school days.",
                len(rows),
            )
            % {"student": student, "count": len(rows)},
        )
    else:
        messages.success(
            request,
            _("The reasons of %(student)s from %(first)s to %(last)s are removed.")
            % {
                "student": student,
                "first": data["date_from"].strftime("%d.%m.%Y"),
                "last": data["date_to"].strftime("%d.%m.%Y"),
            },
        )


def _page_url(request, school_class, monday) -> str:
    url = reverse("journal_class_attendance", args=[request.school.slug, school_class.pk])
    return f"{url}?week={monday:%Y-%m-%d}"


# ------------------------------------------------------------------ the way in


@require_GET
@school_view(*ATTENDANCE_ROLES)
def attendance_classes(request):
    """A class teacher goes to his class's attendance (or chooses among his classes); a
    deputy head or the director chooses a class of the year."""
    school, access = request.school, request.access
    every_class = access.has_any(MANAGE_ALL_ROLES)
    year = current_year(school)
    classes = selectors.attendance_classes(school, request.user, year, every_class)
    if not every_class and len(classes) == 1:
        return redirect("journal_class_attendance", school.slug, classes[0].pk)
    if not every_class and not classes:
        raise PermissionDenied
    return render(
        request,
        "journal/attendance_classes.html",
        {"classes": classes, "year": year, "every_class": every_class},
    )


# ------------------------------------------------------------------ the class's week


def _attendance_page(request, school_class, monday, form=None, status=200):
    context = _week_context(request, monday)
    week = selectors.class_week(school_class, monday, context["today"])
    if form is None:
        form = ReasonForm(
            school_class=school_class,
            initial={"date_from": min(context["today"], week.sunday), "reason": "illness"},
        )
    return render(
        request,
        "journal/attendance_class.html",
        {
            **context,
            "school_class": school_class,
            "week": week,
            "form": form,
            "students": [row.student for row in week.rows],
            "reason_choices": CELL_CHOICES,
            # parents' advance notices of the week (R-ATT-4): the class teacher sets the
            # days' reasons from them
            "notices": list(class_notices(school_class, monday, week.sunday)),
        },
        status=status,
    )


@require_GET
@school_view(*ATTENDANCE_ROLES)
def class_attendance(request, class_id):
    """The class's students × the days of a week (the current one by default): each day's
    absences (н) and lates (оп) by lesson, as the subject teachers mark them (R-ATT-1,
    R-ATT-2), and the day's reason, which the class teacher sets here (R-ATT-3)."""
    school_class = _class_for_attendance(request, class_id)
    monday = _monday(request.GET.get("week", ""), request.school.today())
    return _attendance_page(request, school_class, monday)


@require_POST
@school_view(*ATTENDANCE_ROLES)
def absence_reason(request, class_id):
    """Save the reason of one day (the page's cell; htmx answers with the student's row) or
    of a range of days (the range form). Refusals and bad input are said on the page (or in
    the row), nothing is saved half."""
    school_class = _class_for_attendance(request, class_id)
    today = request.school.today()
    monday = _monday(request.POST.get("week", ""), today)
    form = ReasonForm(request.POST, school_class=school_class)
    error, status, rows = None, 200, []
    if form.is_valid():
        data = form.cleaned_data
        try:
            rows = absence_reason_set(
                actor=request.user,
                student=data["student"],
                date_from=data["date_from"],
                date_to=data["date_to"],
                reason=data["reason"],
                note=data["note"],
                ip=request_ip(request),
            )
        except Refusal as refusal:
            error, status = refusal.message, 403 if refusal.code == "forbidden" else 400
            form.add_error(None, refusal.message)
    else:
        status = 400
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)

    if request.htmx:
        student = form.cleaned_data.get("student")
        week_rows = (
            selectors.class_week(school_class, monday, today, student_id=student.pk).rows
            if student is not None
            else []
        )
        if not week_rows:
            # no row of the page to answer with: 204 keeps the page as it is after a save,
            # 422 lets the page's script say the value was not saved
            return HttpResponse(error or "", status=422 if error else 204)
        return render(
            request,
            "journal/_attendance_row.html",
            {
                "row": week_rows[0],
                "school_class": school_class,
                "monday": monday,
                "reason_choices": CELL_CHOICES,
                "error": error,
                "error_day": form.cleaned_data.get("date_from"),
                "saved": error is None,
            },
            status=status,
        )
    if error is not None:
        return _attendance_page(request, school_class, monday, form=form, status=status)
    _saved_message(request, rows, form.cleaned_data)
    return redirect(_page_url(request, school_class, monday))


# ------------------------------------------------------------------ the reconciliation


@require_GET
@school_view(*ATTENDANCE_ROLES)
def class_reconciliation(request, class_id):
    """Last week's absences and lates of the class by subject, with who marked each and
    when, and the days still without a reason (R-ATT-3: each Monday the class teacher
    reconciles last week with the subject teachers)."""
    school_class = _class_for_attendance(request, class_id)
    today = request.school.today()
    monday = _monday(request.GET.get("week", ""), today - dt.timedelta(days=7))
    return render(
        request,
        "journal/reconciliation.html",
        {
            **_week_context(request, monday),
            "school_class": school_class,
            "report": selectors.class_reconciliation(school_class, monday),
        },
    )


urlpatterns = [
    path("class/", attendance_classes, name="journal_attendance_classes"),
    path(
        "class/<int:class_id>/attendance/",
        class_attendance,
        name="journal_class_attendance",
    ),
    path(
        "class/<int:class_id>/attendance/reason/",
        absence_reason,
        name="journal_absence_reason",
    ),
    path(
        "class/<int:class_id>/reconciliation/",
        class_reconciliation,
        name="journal_class_reconciliation",
    ),
]
