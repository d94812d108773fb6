"""The lesson page (R-LES-1..4, R-PLAN-2): what the lesson is, the homework due at it (given
at the course's previous lesson), and its details: topic, homework with pages, exercises and
files, mark columns. The course's teacher and the lesson's substitute edit them; the class
teacher, the deputies and the director read them; anybody else gets 403.

The details form saves as a plain form (redirect back with a message) and, with htmx, in
place (the `_lesson_form.html` partial). Homework files are served through a view that
checks who reads, never through a public media URL.

The register (R-ATT-1): the page says whether attendance was marked at the lesson, when
and by whom, and the teacher's "attendance marked" button records it for a lesson where
everybody came (the `_attendance_check.html` partial, in place with htmx)."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import school_view
from accounts.models import Role
from config.files import private_file_response
from schedule.control_selectors import grade_periods
from schedule.models import Lesson

from .history import request_ip
from .lesson_selectors import homework_due, lesson_columns
from .models import AttendanceCheck, HomeworkFile, LessonRecord, Mark
from .permissions import can_edit_lesson, can_read_course, teaches_course
from .rules import Refusal
from .services.attendance_check import attendance_check_mark, attendance_check_of, register_taken
from .services.lessons import (
    HOMEWORK_FILE_MAX_BYTES,
    HOMEWORK_MAX,
    PAGES_MAX,
    TOPIC_MAX,
    homework_file_add,
    homework_file_remove,
    lesson_conducted,
    lesson_record_save,
    lesson_started,
    record_token,
    school_work_types,
)

# who may open a lesson at all; which lessons is decided per lesson below
LESSON_ROLES = (Role.TEACHER, Role.SUBSTITUTE, Role.DEPUTY, Role.DIRECTOR)


@dataclass
class LessonAccess:
    lesson: Lesson
    can_edit: bool


def _lesson_access(request, lesson_id: int) -> LessonAccess:
    """The lesson of the URL in this school (404 otherwise), and whether the user edits it
    (the course's teacher, the substitute: R-LES-4) or only reads it (the class teacher,
    deputies, the director: R-ROLE-3); 403 for anybody else. Two or three queries: the
    lesson is read with its register (the check and who took it, R-ATT-1)."""
    school, user = request.school, request.user
    lesson = get_object_or_404(
        Lesson.objects.select_related(
            "school_class",
            "group",
            "subject",
            "teacher",
            "substitute",
            "room",
            "attendance_check__taken_by",
        ).annotate(register_taken=register_taken()),
        school=school,
        pk=lesson_id,
    )
    lesson.school = school  # with its settings, read by the access decorator
    can_edit = can_edit_lesson(user, lesson, school.today())
    if not can_edit:
        teaches = teaches_course(user, school.pk, lesson.group_id, lesson.subject_id)
        if not can_read_course(request.access, user, lesson.school_class, teaches):
            raise PermissionDenied
    return LessonAccess(lesson, can_edit)


class LessonRecordForm(forms.Form):
    topic = forms.CharField(label=gettext_lazy("Topic"), max_length=TOPIC_MAX, required=False)
    homework = forms.CharField(
        label=gettext_lazy("Homework"),
        max_length=HOMEWORK_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    homework_pages = forms.CharField(
        label=gettext_lazy("Pages"), max_length=PAGES_MAX, required=False
    )
    homework_exercises = forms.CharField(
        label=gettext_lazy("Exercises"), max_length=PAGES_MAX, required=False
    )
    work_types = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Mark columns"), coerce=int, required=False
    )
    token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, work_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work_types"].choices = [(w.pk, w.name) for w in work_types]


def _initial(record: LessonRecord | None, columns) -> dict:
    return {
        "topic": record.topic if record else "",
        "homework": record.homework if record else "",
        "homework_pages": record.homework_pages if record else "",
        "homework_exercises": record.homework_exercises if record else "",
        "work_types": [w.pk for w in columns],
        "token": record_token(record),
    }


def _record(lesson: Lesson) -> LessonRecord | None:
    return (
        LessonRecord.objects.filter(lesson=lesson)
        .select_related("plan_item", "updated_by")
        .prefetch_related("files")
        .first()
    )


def _course_period(lesson: Lesson):
    periods = grade_periods(lesson.school_class)
    return next((p for p in periods if p.starts_on <= lesson.date <= p.ends_on), None)


def _neighbours(lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """The course's lessons before and after this one (two queries)."""
    course = Lesson.objects.filter(group=lesson.group_id, subject=lesson.subject_id).only(
        "pk", "date", "number", "is_cancelled"
    )
    day, number = lesson.date, lesson.number
    previous = (
        course.filter(Q(date__lt=day) | Q(date=day, number__lt=number))
        .order_by("-date", "-number")
        .first()
    )
    following = (
        course.filter(Q(date__gt=day) | Q(date=day, number__gt=number))
        .order_by("date", "number")
        .first()
    )
    return previous, following


def _details_context(request, access: LessonAccess, *, form=None, record=None, **extra) -> dict:
    """What `_lesson_form.html` needs: the record, the columns with their work types, the
    files, the form. Queries: the record with its files, the work types, the marked columns."""
    lesson = access.lesson
    if record is None:
        record = _record(lesson)
    work_types = school_work_types(lesson.school_id)
    columns = lesson_columns(record, work_types)
    chosen = [w.pk for w in columns]
    if form is not None and form.is_bound:
        posted = form.data.getlist("work_types")
        chosen = [int(v) for v in posted if v.isdigit()]
    marked = set(Mark.objects.filter(lesson=lesson).values_list("work_type", flat=True).distinct())
    # the lesson's columns first in their order, then the school's other work types
    ordered = columns + [w for w in work_types if w not in columns]
    if form is None:
        form = LessonRecordForm(initial=_initial(record, columns), work_types=work_types)
    return {
        "lesson": lesson,
        "record": record,
        "form": form,
        "can_edit": access.can_edit,
        "conducted": lesson_conducted(lesson),
        "started": lesson_started(lesson),
        "column_choices": [
            {"work_type": w, "checked": w.pk in chosen or w.pk in marked, "marked": w.pk in marked}
            for w in ordered
        ],
        "columns": columns,
        "files": list(record.files.all()) if record else [],
        "proposed": bool(record and record.topic and not record.topic_confirmed),
        "max_file_mb": HOMEWORK_FILE_MAX_BYTES // (1024 * 1024),
        **extra,
    }


def _register_context(access: LessonAccess, *, check: AttendanceCheck | None = None) -> dict:
    """What `_attendance_check.html` needs, read from the lesson already loaded (no query):
    whether the register was taken at the lesson, when (the school's local time; with the
    date when it was not the lesson's day) and by whom, and whether the user may mark it."""
    lesson = access.lesson
    check = check or attendance_check_of(lesson)
    taken_at = ""
    if check is not None:
        local = timezone.localtime(check.taken_at, lesson.school.tz)
        taken_at = f"{local:%H:%M}" if local.date() == lesson.date else f"{local:%d.%m.%Y %H:%M}"
    taken = check is not None or bool(getattr(lesson, "register_taken", False))
    started = lesson_started(lesson)
    return {
        "lesson": lesson,
        "register": {
            "taken": taken,
            "check": check,
            "taken_at": taken_at,
            "started": started,
            "can_mark": access.can_edit and started and not lesson.is_cancelled and not taken,
        },
    }


def _page(request, access: LessonAccess, *, status=200, register=None, **details):
    lesson = access.lesson
    context = _details_context(request, access, **details)
    context.update(_register_context(access))
    if register:
        context["register"].update(register)
    period = _course_period(lesson)
    previous, following = _neighbours(lesson)
    context.update(
        {
            "due": homework_due([lesson]).get(lesson.pk),
            "period": period,
            "previous": previous,
            "following": following,
        }
    )
    return render(request, "journal/lesson.html", context, status=status)


def _details(request, access: LessonAccess, *, status=200, **details):
    return render(
        request,
        "journal/_lesson_form.html",
        _details_context(request, access, **details),
        status=status,
    )


def _refused(request, access: LessonAccess, refusal: Refusal, **details):
    status = 403 if refusal.code == "forbidden" else 409 if refusal.code == "conflict" else 400
    if request.htmx:
        return _details(request, access, status=status, error=refusal.message, **details)
    return _page(request, access, status=status, error=refusal.message, **details)


@require_http_methods(["GET", "POST"])
@school_view(*LESSON_ROLES)
def journal_lesson(request, lesson_id: int):
    """GET: the lesson page. POST: save the lesson's details; the `confirm` button also
    confirms a topic proposed by the plan (R-PLAN-2)."""
    access = _lesson_access(request, lesson_id)
    if request.method == "GET":
        return _page(request, access)
    if not access.can_edit:
        raise PermissionDenied
    lesson = access.lesson
    form = LessonRecordForm(request.POST, work_types=school_work_types(lesson.school_id))
    if not form.is_valid():
        return _refused(
            request, access, Refusal(_("Check the fields marked."), "invalid"), form=form
        )
    data = form.cleaned_data
    try:
        lesson_record_save(
            actor=request.user,
            lesson=lesson,
            topic=data["topic"],
            homework=data["homework"],
            homework_pages=data["homework_pages"],
            homework_exercises=data["homework_exercises"],
            work_type_ids=data["work_types"],
            ip=request_ip(request),
            confirm_topic=bool(request.POST.get("confirm")),
            expected=data["token"],
        )
    except Refusal as refusal:
        record = _record(lesson)
        if refusal.code == "conflict":
            # the user's values stay in the form; its token becomes the current one, so
            # that saving again, after a look at the saved values, overwrites them
            form.data = form.data.copy()
            form.data["token"] = record_token(record)
        return _refused(request, access, refusal, form=form, record=record, current=record)
    return _saved(request, access, _("The lesson is saved."))


def _saved(request, access: LessonAccess, text: str):
    if request.htmx:
        return _details(request, access, saved=text)
    messages.success(request, text)
    return redirect("journal_lesson", request.school.slug, access.lesson.pk)


@require_POST
@school_view(Role.TEACHER, Role.SUBSTITUTE)
def journal_lesson_attendance_check(request, lesson_id: int):
    """The button «attendance marked, everybody else present» (R-ATT-1): the course's
    teacher or the lesson's substitute records that he took the register; a second press
    changes nothing. Answers with the register's partial (htmx) or a redirect back."""
    access = _lesson_access(request, lesson_id)
    if not access.can_edit:
        raise PermissionDenied
    try:
        check = attendance_check_mark(actor=request.user, lesson=access.lesson)
    except Refusal as refusal:
        status = 403 if refusal.code == "forbidden" else 400
        if request.htmx:
            context = _register_context(access)
            context["register"]["error"] = refusal.message
            return render(request, "journal/_attendance_check.html", context, status=status)
        return _page(request, access, status=status, register={"error": refusal.message})
    text = _("Attendance is marked.")
    if request.htmx:
        context = _register_context(access, check=check)
        context["register"]["saved"] = text
        return render(request, "journal/_attendance_check.html", context)
    messages.success(request, text)
    return redirect("journal_lesson", request.school.slug, access.lesson.pk)


@require_POST
@school_view(Role.TEACHER, Role.SUBSTITUTE)
def journal_lesson_file_add(request, lesson_id: int):
    """Attach a file to the lesson's homework (at most 10 MB)."""
    access = _lesson_access(request, lesson_id)
    if not access.can_edit:
        raise PermissionDenied
    try:
        attached = homework_file_add(
            actor=request.user,
            lesson=access.lesson,
            upload=request.FILES.get("file"),
            ip=request_ip(request),
        )
    except Refusal as refusal:
        return _refused(request, access, refusal, file_error=refusal.message)
    return _saved(request, access, _("The file «%(name)s» is attached.") % {"name": attached.name})


@require_POST
@school_view(Role.TEACHER, Role.SUBSTITUTE)
def journal_lesson_file_remove(request, lesson_id: int, file_id: int):
    access = _lesson_access(request, lesson_id)
    if not access.can_edit:
        raise PermissionDenied
    try:
        homework_file_remove(
            actor=request.user, lesson=access.lesson, file_id=file_id, ip=request_ip(request)
        )
    except Refusal as refusal:
        return _refused(request, access, refusal, file_error=refusal.message)
    return _saved(request, access, _("The file is removed."))


@require_GET
@school_view(*LESSON_ROLES)
def journal_lesson_file(request, lesson_id: int, file_id: int):
    """A homework file, for those who may read the lesson (the diary will add the class's
    students and parents); never a public media URL."""
    access = _lesson_access(request, lesson_id)
    attached = get_object_or_404(
        HomeworkFile, school=request.school, record__lesson=access.lesson, pk=file_id
    )
    return private_file_response(attached.file, attached.name)


urlpatterns = [
    path("lesson/<int:lesson_id>/", journal_lesson, name="journal_lesson"),
    path(
        "lesson/<int:lesson_id>/attendance-marked/",
        journal_lesson_attendance_check,
        name="journal_lesson_attendance_check",
    ),
    path("lesson/<int:lesson_id>/files/", journal_lesson_file_add, name="journal_lesson_file_add"),
    path(
        "lesson/<int:lesson_id>/files/<int:file_id>/",
        journal_lesson_file,
        name="journal_lesson_file",
    ),
    path(
        "lesson/<int:lesson_id>/files/<int:file_id>/remove/",
        journal_lesson_file_remove,
        name="journal_lesson_file_remove",
    ),
]
