"""Timetable pages: the week of a class, teacher, room or student (R-TT-1), the weekly
timetable editor (R-TT-1, R-TT-4), replacements and cancellations with their report
(R-TT-3)."""

import datetime as dt
from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import school_view
from accounts.models import LEADERSHIP_ROLES, STAFF_ROLES, Role, Student
from accounts.permissions import can_read_student, readable_children

from . import selectors
from . import timetable_selectors as tts
from .forms_timetable import (
    EntryChangeForm,
    EntryForm,
    LessonChangeForm,
    RangeReplaceForm,
    school_rooms,
    school_teachers,
)
from .models import GradeLevel, Lesson, Room, SchoolClass, TimetableEntry, Weekday
from .services.lessons import (
    lesson_cancel,
    lesson_replace,
    lesson_restore,
    lessons_replace_range,
)
from .services.timetable import TIMETABLE_ROLES, entry_add, entry_end, entry_replace

# ------------------------------------------------------------------ helpers


def _week(request) -> dt.date:
    """The Monday of the week asked for in ?week=, or of the school's today."""
    try:
        day = dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = request.school.today()
    return tts.week_start(day)


def _require_staff(request) -> None:
    if not request.access.has_any(STAFF_ROLES):
        raise PermissionDenied


def _student_for_user(request, pk) -> Student:
    """The student himself, his parent, a trusted person he was granted to (R-ROLE-5), or
    staff; anyone else gets 404, so that guessing another child's id tells nothing
    (R-ROLE-2)."""
    student = get_object_or_404(Student, school=request.school, pk=pk)
    if request.access.has_any(STAFF_ROLES):
        return student
    if can_read_student(request.user, student, request.school.today()):
        return student
    raise Http404


def _week_page(request, *, title, lessons, monday, show, subtitle=None, extra=None):
    days = 6 if any(lesson.date.weekday() == 5 for lesson in lessons) else 5
    week = tts.week_grid(lessons, monday, days)
    return render(
        request,
        "schedule/timetable_week.html",
        {
            "title": title,
            "subtitle": subtitle,
            "week": week,
            "monday": monday,
            "previous": monday - dt.timedelta(days=7),
            "next": monday + dt.timedelta(days=7),
            "today": request.school.today(),
            "show": show,
            "can_change": request.access.has_any(TIMETABLE_ROLES),
            **(extra or {}),
        },
    )


# ------------------------------------------------------------------ the week views


@require_GET
@school_view()
def timetable_home(request):
    """Where each user finds timetables: staff pick a class, teacher or room; a student
    goes to his week; a parent picks a child."""
    school, today = request.school, request.school.today()
    if not request.access.has_any(STAFF_ROLES):
        # himself, his children and the children a parent trusted him with (R-ROLE-5)
        children = [
            student
            for student in readable_children(request.user, today, include_self=True)
            if student.school_id == school.pk
        ]
        if len(children) == 1:
            return redirect("timetable_student", school.slug, children[0].pk)
        return render(request, "schedule/timetable_home.html", {"children": children})
    year = selectors.current_year(school, today)
    classes = SchoolClass.objects.filter(school=school, year=year).order_by("grade", "letter")
    return render(
        request,
        "schedule/timetable_home.html",
        {
            "classes": classes,
            "teachers": school_teachers(school, today),
            "rooms": school_rooms(school),
            "is_teacher": request.access.has_any({Role.TEACHER, Role.SUBSTITUTE}),
            "can_change": request.access.has_any(TIMETABLE_ROLES),
        },
    )


@require_GET
@school_view()
def timetable_class(request, pk):
    _require_staff(request)
    school_class = get_object_or_404(SchoolClass, school=request.school, pk=pk)
    monday = _week(request)
    lessons = list(tts.class_lessons(school_class, monday, monday + dt.timedelta(days=6)))
    return _week_page(
        request,
        title=_("Timetable of %(class)s") % {"class": school_class},
        lessons=lessons,
        monday=monday,
        show={"teacher", "room", "group"},
        extra={"edit_class": school_class},
    )


@require_GET
@school_view()
def timetable_teacher(request, pk):
    """A teacher's week with the lessons he substitutes (R-TT-3). Teachers see each
    other's: they arrange replacements and meetings by it."""
    _require_staff(request)
    teacher = get_object_or_404(school_teachers(request.school, request.school.today()), pk=pk)
    monday = _week(request)
    lessons = list(
        tts.teacher_lessons(request.school, teacher, monday, monday + dt.timedelta(days=6))
    )
    return _week_page(
        request,
        title=_("Timetable of %(teacher)s") % {"teacher": teacher.full_name},
        lessons=lessons,
        monday=monday,
        show={"class", "room", "group"},
        extra={"for_teacher": teacher},
    )


@require_GET
@school_view()
def timetable_room(request, pk):
    _require_staff(request)
    room = get_object_or_404(Room.objects.select_related("building"), school=request.school, pk=pk)
    monday = _week(request)
    lessons = list(tts.room_lessons(room, monday, monday + dt.timedelta(days=6)))
    return _week_page(
        request,
        title=_("Timetable of room %(room)s") % {"room": room},
        subtitle=room.building.name,
        lessons=lessons,
        monday=monday,
        show={"class", "teacher", "group"},
    )


@require_GET
@school_view()
def timetable_student(request, pk):
    """A student's own week: his class's lessons with his own subgroups only (R-STR-5)."""
    student = _student_for_user(request, pk)
    monday = _week(request)
    lessons = list(tts.student_lessons(student, monday, monday + dt.timedelta(days=6)))
    return _week_page(
        request,
        title=_("Timetable of %(student)s") % {"student": student.short_name},
        lessons=lessons,
        monday=monday,
        show={"teacher", "room"},
    )


# ------------------------------------------------------------------ the weekly editor


def _class_for_timetable(request, pk) -> SchoolClass:
    if not request.access.has_any(TIMETABLE_ROLES):
        raise PermissionDenied
    return get_object_or_404(
        SchoolClass.objects.select_related("school", "year", "bell_schedule"),
        school=request.school,
        pk=pk,
    )


def _report_change(request, change, done: str) -> None:
    messages.success(request, done)
    if change.kept:
        listed = "; ".join(f"{lesson.date:%d.%m.%Y} {lesson.subject}" for lesson in change.kept)
        messages.warning(
            request,
            ngettext(
                "%(count)s lesson holding work was kept as it was: %(lessons)s.",
                "%(count)s lessons holding work were kept as they were: %(lessons)s.",
                len(change.kept),
            )
            % {"count": len(change.kept), "lessons": listed},
        )


@require_http_methods(["GET", "POST"])
@school_view()
def timetable_edit(request, pk):
    """The weekly timetable of a class: a grid of days × lesson numbers in force on a date,
    where the administration adds a lesson, changes or removes one from a date."""
    school_class = _class_for_timetable(request, pk)
    school, today = request.school, request.school.today()
    try:
        on = dt.date.fromisoformat(request.GET.get("on", ""))
    except ValueError:
        on = max(today, school_class.year.starts_on)
    form = EntryForm(
        initial={
            "weekday": request.GET.get("weekday"),
            "number": request.GET.get("number"),
            "starts_on": on,
        },
        school_class=school_class,
        today=today,
    )
    errors, status = [], 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add":
                form = EntryForm(request.POST, school_class=school_class, today=today)
                if form.is_valid():
                    change = entry_add(
                        actor=request.user, school_class=school_class, **form.cleaned_data
                    )
                    _report_change(
                        request,
                        change,
                        ngettext(
                            "The lesson is added; %(count)s dated lesson created.",
                            "The lesson is added; %(count)s dated lessons created.",
                            change.created,
                        )
                        % {"count": change.created},
                    )
                    return redirect(_edit_url(school, school_class, form.cleaned_data["starts_on"]))
            elif action in ("change", "end"):
                entry = get_object_or_404(
                    TimetableEntry.objects.select_related(
                        "school", "school_class", "group", "subject", "teacher", "room"
                    ),
                    school=school,
                    school_class=school_class,
                    pk=request.POST.get("entry"),
                )
                change_form = EntryChangeForm(request.POST, school=school, today=today)
                if not change_form.is_valid():
                    raise ValidationError(
                        [e for field in change_form.errors.values() for e in field]
                    )
                data = change_form.cleaned_data
                if action == "end":
                    change = entry_end(actor=request.user, entry=entry, from_date=data["from_date"])
                    done = _("The lesson is removed from %(date)s.")
                else:
                    fields = {k: data[k] for k in ("teacher", "room") if data[k]}
                    if not fields:
                        raise ValidationError(_("Choose a new teacher or room."))
                    change = entry_replace(
                        actor=request.user, entry=entry, from_date=data["from_date"], **fields
                    )
                    done = _("The lesson is changed from %(date)s.")
                _report_change(request, change, done % {"date": f"{data['from_date']:%d.%m.%Y}"})
                return redirect(_edit_url(school, school_class, data["from_date"]))
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as e:
            errors = e.messages
        status = 400
    entries = list(tts.class_entries_on(school_class, on))
    bells = (
        list(school_class.bell_schedule.bells.order_by("number"))
        if school_class.bell_schedule
        else []
    )
    study_days = (
        GradeLevel.objects.filter(year=school_class.year_id, grade=school_class.grade)
        .values_list("study_days", flat=True)
        .first()
    ) or 5
    cells = defaultdict(list)
    for entry in entries:
        cells[(entry.number, entry.weekday)].append(entry)
    days = [Weekday(d) for d in range(1, study_days + 1)]
    rows = [
        {"bell": bell, "cells": [(day, cells.get((bell.number, day.value), [])) for day in days]}
        for bell in bells
    ]
    return render(
        request,
        "schedule/timetable_edit.html",
        {
            "school_class": school_class,
            "on": on,
            "days": days,
            "rows": rows,
            "form": form,
            "errors": errors,
            "change_form": EntryChangeForm(school=school, today=today, initial={"from_date": on}),
        },
        status=status,
    )


def _edit_url(school, school_class, on: dt.date) -> str:
    return reverse("timetable_edit", args=[school.slug, school_class.pk]) + f"?on={on:%Y-%m-%d}"


# ------------------------------------------------------------------ replacements (R-TT-3)


def _lesson_for_change(request, pk) -> Lesson:
    if not request.access.has_any(TIMETABLE_ROLES):
        raise PermissionDenied
    return get_object_or_404(
        Lesson.objects.select_related(
            "school", "group__school_class", "subject", "teacher", "substitute", "room", "entry"
        ),
        school=request.school,
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
@school_view()
def lesson_change(request, pk):
    """Replace the teacher of one dated lesson, move it to another room, cancel it or
    restore it as the weekly timetable made it."""
    lesson = _lesson_for_change(request, pk)
    school = request.school
    busy = set(
        Lesson.objects.filter(
            school=school,
            date=lesson.date,
            starts_at__lt=lesson.ends_at,
            ends_at__gt=lesson.starts_at,
            is_cancelled=False,
        )
        .exclude(pk=lesson.pk)
        .values_list("substitute", "teacher")
        .iterator()
    )
    busy_ids = {sub or teacher for sub, teacher in busy}
    form = LessonChangeForm(
        request.POST or None,
        school=school,
        on=lesson.date,
        busy_ids=busy_ids,
        initial={"reason": lesson.change_reason},
    )
    error, status = None, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        action = request.POST.get("action")
        try:
            if action == "replace":
                lesson_replace(
                    actor=request.user,
                    lesson=lesson,
                    substitute=data["substitute"],
                    room=data["room"],
                    reason=data["reason"],
                )
                messages.success(request, _("The replacement is saved."))
            elif action == "cancel":
                lesson_cancel(actor=request.user, lesson=lesson, reason=data["reason"])
                messages.success(request, _("The lesson is cancelled."))
            elif action == "restore":
                lesson_restore(actor=request.user, lesson=lesson)
                messages.success(request, _("The lesson is restored as in the timetable."))
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as e:
            error = " ".join(e.messages)
        else:
            week = f"?week={lesson.date:%Y-%m-%d}"
            return redirect(
                reverse("timetable_class", args=[school.slug, lesson.school_class_id]) + week
            )
    if request.method == "POST":
        status = 400
    return render(
        request,
        "schedule/lesson_change.html",
        {"lesson": lesson, "form": form, "error": error},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@school_view(*TIMETABLE_ROLES)
def replacement_range(request):
    """A teacher is away for some days: all his lessons go to one substitute, or none."""
    school, today = request.school, request.school.today()
    form = RangeReplaceForm(request.POST or None, school=school, today=today)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            done = lessons_replace_range(actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            errors = e.messages
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s lesson is given to the substitute.",
                    "%(count)s lessons are given to the substitute.",
                    len(done),
                )
                % {"count": len(done)},
            )
            return redirect(
                reverse("timetable_teacher", args=[school.slug, form.cleaned_data["substitute"].pk])
                + f"?week={form.cleaned_data['date_from']:%Y-%m-%d}"
            )
    return render(
        request,
        "schedule/replacement_range.html",
        {"form": form, "errors": errors},
        status=400 if request.method == "POST" else 200,
    )


def _month(request, today: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        return today.replace(day=1)


@require_GET
@school_view(*(LEADERSHIP_ROLES | {Role.SECRETARY}))
def replacements_report(request):
    """Replacements of a month: each with its equivalence (same subject or another), and
    per substitute and per absent teacher the totals, for the payroll (R-TT-3)."""
    school = request.school
    month = _month(request, school.today())
    next_month = (month + dt.timedelta(days=32)).replace(day=1)
    lessons = list(
        Lesson.objects.filter(school=school, date__gte=month, date__lt=next_month)
        .filter(Q(substitute__isnull=False) | Q(is_cancelled=True))
        .select_related("group__school_class", "subject", "teacher", "substitute", "changed_by")
        .order_by("date", "starts_at")
    )
    replaced = [lesson for lesson in lessons if lesson.substitute_id]
    by_substitute: dict[int, dict] = {}
    by_absent: dict[int, dict] = {}
    for lesson in replaced:
        row = by_substitute.setdefault(
            lesson.substitute_id, {"teacher": lesson.substitute, "same": 0, "other": 0}
        )
        row["same" if lesson.substitute_same_subject else "other"] += 1
        absent = by_absent.setdefault(lesson.teacher_id, {"teacher": lesson.teacher, "count": 0})
        absent["count"] += 1
    for row in by_substitute.values():
        row["total"] = row["same"] + row["other"]

    def by_name(rows):
        return sorted(
            rows.values(), key=lambda r: (r["teacher"].last_name, r["teacher"].first_name)
        )

    return render(
        request,
        "schedule/replacements_report.html",
        {
            "month": month,
            "previous": (month - dt.timedelta(days=1)).replace(day=1),
            "next": next_month,
            "replaced": replaced,
            "cancelled": [lesson for lesson in lessons if lesson.is_cancelled],
            "by_substitute": by_name(by_substitute),
            "by_absent": by_name(by_absent),
        },
    )


P = "s/<slug:school_slug>/"
urlpatterns = [
    path(P + "timetable/", timetable_home, name="timetable"),
    path(P + "timetable/class/<int:pk>/", timetable_class, name="timetable_class"),
    path(P + "timetable/class/<int:pk>/edit/", timetable_edit, name="timetable_edit"),
    path(P + "timetable/teacher/<int:pk>/", timetable_teacher, name="timetable_teacher"),
    path(P + "timetable/room/<int:pk>/", timetable_room, name="timetable_room"),
    path(P + "timetable/student/<int:pk>/", timetable_student, name="timetable_student"),
    path(P + "lessons/<int:pk>/change/", lesson_change, name="lesson_change"),
    path(P + "replacements/", replacements_report, name="replacements_report"),
    path(P + "replacements/new/", replacement_range, name="replacement_range"),
]
