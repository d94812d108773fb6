"""The reports' pages (R-NOT-1, R-NOT-2, R-ROLE-2).

- A child's weekly reports, for the readers of his diary (the student, his parents, his
  trusted persons): the list, reached from the diary, and each PDF. Another child, or a
  child of another school, is 404 (diary/access.py); staff are 403 (they have the journal).
- The printed reports of a month (R-NOT-2), for the class teacher (his classes) and the
  leadership (every class): by month with the students, the PDF, and "printed", which
  records who printed it and when.
- A report for any range of dates of one student of a class (R-NOT-2), for the class's
  teachers (its class teacher, the teachers who teach it) and the leadership: a GET form
  whose valid answer is the PDF.

Another school's object is 404, a wrong role 403, a wrong method 405."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.access import CLASS_TEACHER, school_view
from accounts.models import LEADERSHIP_ROLES, Role, Student
from config.files import private_file_response
from diary.access import DIARY_ROLES, current_class, get_student_for_reader, switcher_students
from schedule.models import Enrolment, SchoolClass, TeachingLoad
from schedule.selectors import current_year

from . import pdf
from .models import ParentReport, PrintBatch
from .selectors import class_reports

PRINT_ROLES = (CLASS_TEACHER, *LEADERSHIP_ROLES)
RANGE_ROLES = (Role.TEACHER, Role.SUBSTITUTE, *LEADERSHIP_ROLES)
LONGEST_RANGE = dt.timedelta(days=366)


# --------------------------------------------------------------------------- weekly


@require_GET
@school_view(*DIARY_ROLES)
def weekly_list(request, student_id: int):
    """The child's weekly reports (R-NOT-1), newest first. Queries: the user, his roles,
    the students he reads, the reports."""
    student = get_student_for_reader(request, student_id)
    reports = ParentReport.objects.filter(school=request.school, student=student).order_by(
        "-week_start"
    )
    return render(
        request,
        "reports/weekly_list.html",
        {
            "student": student,
            "school_class": current_class(student),
            "children": switcher_students(request),
            "tab": "reports_weekly",
            "today": request.school.today(),
            "reports": reports,
        },
    )


@require_GET
@school_view(*DIARY_ROLES)
def weekly_pdf(request, student_id: int, report_id: int):
    """One weekly report's PDF, for a reader of that child only."""
    student = get_student_for_reader(request, student_id)
    report = get_object_or_404(ParentReport, school=request.school, student=student, pk=report_id)
    name = _("Weekly report %(student)s %(date)s.pdf") % {
        "student": student.short_name,
        "date": report.week_start.strftime("%d.%m.%Y"),
    }
    return private_file_response(report.file, name)


# --------------------------------------------------------------------------- printed


def _batches_of(request):
    """The batches the user may see: every class's for the leadership, his classes' for a
    class teacher."""
    batches = PrintBatch.objects.filter(school=request.school)
    if not request.access.has_any(LEADERSHIP_ROLES):
        batches = batches.filter(school_class__class_teacher=request.user)
    return batches


def _batch_for(request, batch_id: int) -> PrintBatch:
    """404 for another school's batch, 403 for a class the user does not lead."""
    batch = get_object_or_404(
        PrintBatch.objects.select_related("school_class"), school=request.school, pk=batch_id
    )
    if request.access.has_any(LEADERSHIP_ROLES):
        return batch
    if batch.school_class.class_teacher_id == request.user.pk:
        return batch
    raise PermissionDenied


@require_GET
@school_view(*PRINT_ROLES)
def print_batches(request):
    """The printed reports of the last twelve months by month (R-NOT-2). Queries: the
    user, his roles, the batches with their classes and printers, their students."""
    since = request.school.today().replace(day=1) - dt.timedelta(days=366)
    students = Student.objects.order_by("last_name", "first_name", "middle_name", "pk")
    batches = (
        _batches_of(request)
        .filter(month__gte=since)
        .select_related("school_class", "printed_by")
        .prefetch_related(Prefetch("students", queryset=students))
        .order_by("-month", "school_class__grade", "school_class__letter")
    )
    return render(
        request,
        "reports/print_batches.html",
        {"batches": batches, "every_class": request.access.has_any(LEADERSHIP_ROLES)},
    )


@require_GET
@school_view(*PRINT_ROLES)
def print_batch_pdf(request, batch_id: int):
    batch = _batch_for(request, batch_id)
    name = _("Printed reports %(class)s %(month)s.pdf") % {
        "class": batch.school_class,
        "month": batch.month.strftime("%m.%Y"),
    }
    return private_file_response(batch.file, name)


@require_POST
@school_view(*PRINT_ROLES)
def print_batch_printed(request, batch_id: int):
    """Record that the batch is printed (the first time only: who and when)."""
    batch = _batch_for(request, batch_id)
    marked = PrintBatch.objects.filter(pk=batch.pk, printed_at__isnull=True).update(
        printed_at=timezone.now(), printed_by=request.user
    )
    if marked:
        messages.success(
            request,
            _("The reports of %(class)s for %(month)s are marked printed.")
            % {"class": batch.school_class, "month": batch.month.strftime("%m.%Y")},
        )
    return redirect(
        reverse("reports_print_batches", args=[request.school.slug]) + f"#batch-{batch.pk}"
    )


# --------------------------------------------------------------------------- any range


def _teaches(user, class_ref="pk") -> Exists:
    return Exists(
        TeachingLoad.objects.filter(group__school_class=OuterRef(class_ref), teacher=user)
    )


def _range_classes(request):
    """The classes of the current year the user may make range reports for."""
    year = current_year(request.school)
    classes = SchoolClass.objects.filter(school=request.school, year=year).select_related(
        "class_teacher"
    )
    if not request.access.has_any(LEADERSHIP_ROLES):
        classes = classes.filter(Q(class_teacher=request.user) | _teaches(request.user))
    return classes.order_by("grade", "letter")


def _class_for_range(request, class_id: int) -> SchoolClass:
    """404 for another school's class; 403 unless the user leads the school, is the class
    teacher of the class or teaches it."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("class_teacher").annotate(taught=_teaches(request.user)),
        school=request.school,
        pk=class_id,
    )
    access = request.access
    if access.has_any(LEADERSHIP_ROLES):
        return school_class
    if school_class.class_teacher_id == request.user.pk or school_class.taught:
        return school_class
    raise PermissionDenied


class RangeForm(forms.Form):
    student = forms.ModelChoiceField(
        queryset=Student.objects.none(),
        label=gettext_lazy("Student"),
        error_messages={"invalid_choice": gettext_lazy("Choose a student of the class.")},
    )
    first = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        label=gettext_lazy("Until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, school_class: SchoolClass, **kwargs):
        super().__init__(*args, **kwargs)
        self.school_class = school_class
        enrolled = Enrolment.objects.filter(school_class=school_class).values("student")
        self.fields["student"].queryset = Student.objects.filter(
            school=school_class.school_id, pk__in=enrolled
        ).order_by("last_name", "first_name", "middle_name", "pk")

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first is None or last is None:
            return data
        if last < first:
            self.add_error("last", _("The end date is before the start date."))
        elif last - first >= LONGEST_RANGE:
            self.add_error("last", _("The range is longer than a year: choose at most a year."))
        return data


@require_GET
@school_view(*RANGE_ROLES)
def range_classes(request):
    """The way in: the classes the user may make a report for."""
    classes = list(_range_classes(request))
    # the section menu leads every teacher here: one without a class this year is told so
    leads = any(c.class_teacher_id == request.user.pk for c in classes)
    return render(
        request,
        "reports/range_classes.html",
        {
            "classes": classes,
            "print_batches": leads or request.access.has_any(LEADERSHIP_ROLES),
        },
    )


@require_GET
@school_view(*RANGE_ROLES)
def range_report(request, class_id: int):
    """A report of one student of the class for any range of dates (R-NOT-2): the form,
    and the PDF when it is filled in right."""
    school_class = _class_for_range(request, class_id)
    school_class.school = request.school
    asked = any(name in request.GET for name in ("student", "first", "last"))
    today = request.school.today()
    form = RangeForm(
        request.GET if asked else None,
        school_class=school_class,
        initial={"first": today.replace(day=1), "last": today},
    )
    if asked and form.is_valid():
        data = form.cleaned_data
        reports = class_reports(
            school_class, data["first"], data["last"], students=[data["student"].pk]
        )
        if reports:
            made = pdf.period_pdf(
                reports,
                school=request.school,
                school_class=school_class,
                class_teacher=school_class.class_teacher,
                made_on=today,
            )
            response = HttpResponse(made, content_type="application/pdf")
            name = _("Report %(student)s %(first)s-%(last)s.pdf") % {
                "student": data["student"].short_name,
                "first": data["first"].strftime("%d.%m.%Y"),
                "last": data["last"].strftime("%d.%m.%Y"),
            }
            response["Content-Disposition"] = _disposition(name)
            response["Cache-Control"] = "private, no-store"
            return response
        form.add_error(
            None,
            _("%(student)s was not in class %(class)s on any of these dates.")
            % {"student": data["student"].short_name, "class": school_class},
        )
    return render(
        request,
        "reports/range_form.html",
        {"school_class": school_class, "form": form},
        status=400 if asked else 200,
    )


def _disposition(name: str) -> str:
    from django.utils.http import content_disposition_header

    return content_disposition_header(True, name)


urlpatterns = [
    path("reports/<int:student_id>/weekly/", weekly_list, name="reports_weekly"),
    path(
        "reports/<int:student_id>/weekly/<int:report_id>/",
        weekly_pdf,
        name="reports_weekly_pdf",
    ),
    path("reports/print/", print_batches, name="reports_print_batches"),
    path("reports/print/<int:batch_id>/", print_batch_pdf, name="reports_print_batch_pdf"),
    path(
        "reports/print/<int:batch_id>/printed/",
        print_batch_printed,
        name="reports_print_batch_printed",
    ),
    path("reports/range/", range_classes, name="reports_range_classes"),
    path("reports/range/<int:class_id>/", range_report, name="reports_range"),
]
