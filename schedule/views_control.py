"""The control-work schedule (R-TT-5): teachers plan control works on dated lessons, staff
read a class's schedule, students and parents read the student's own; days on which a class
(or a student) has more control works than the school allows are marked."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import CLASS_TEACHER, school_view
from accounts.models import LEADERSHIP_ROLES, STAFF_ROLES, Role, Student
from accounts.permissions import can_read_student, readable_children

from . import control_selectors as control
from . import selectors
from .models import Lesson, SchoolClass
from .services.lessons import control_work_set

TEACHING_ROLES = {Role.TEACHER, Role.SUBSTITUTE}
PLAN_ROLES = LEADERSHIP_ROLES | TEACHING_ROLES


def _int_param(request, name: str) -> int | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise Http404 from None


def _window(request, school_class, year) -> control.Window:
    """The period asked for by `?period=`, among those of the class's grade (404 for any
    other), or the current one."""
    window = control.window_for(
        school_class, year, _int_param(request, "period"), request.school.today()
    )
    if window is None:
        raise Http404
    return window


def _limit(request) -> int:
    return request.school.settings.max_control_works_per_day


@require_GET
@school_view()
def control_works(request):
    """The way in: a teacher goes to his planning page, a student to his schedule, a parent
    of one child to the child's; others choose (leadership and staff: a class)."""
    school, access, user = request.school, request.access, request.user
    roles = access.roles - {CLASS_TEACHER}
    if roles <= TEACHING_ROLES:
        return redirect("control_work_plan", school.slug)
    today = school.today()
    own = school.students.filter(user=user).first() if Role.STUDENT in roles else None
    if roles == {Role.STUDENT} and own is not None:
        return redirect("student_control_works", school.slug, own.pk)
    readers = {Role.PARENT, Role.TRUSTED}
    children = (
        [s for s in readable_children(user, today) if s.school_id == school.pk]
        if roles & readers
        else []
    )
    if roles <= readers and len(children) == 1:
        return redirect("student_control_works", school.slug, children[0].pk)
    year = selectors.current_year(school, today)
    classes = control.year_classes(school, year) if access.is_staff and year else None
    return render(
        request,
        "schedule/control_works_index.html",
        {
            "own": own,
            "children": children,
            "classes": classes,
            "can_plan": access.has_any(PLAN_ROLES),
            "year": year,
        },
    )


def _chosen_course(request, courses):
    """`?course=` among the courses offered (404 for another), by default the user's own
    first course."""
    course_id = _int_param(request, "course")
    if course_id is not None:
        for course in courses:
            if course.pk == course_id:
                return course
        raise Http404
    own = [c for c in courses if c.teacher_id == request.user.pk]
    return (own or courses or [None])[0]


@require_GET
@school_view(*PLAN_ROLES)
def control_work_plan(request):
    """A teacher plans the control works of one of his courses over a reporting period; the
    administration may plan on any course."""
    school, access, user = request.school, request.access, request.user
    today = school.today()
    year = selectors.current_year(school, today)
    courses = []
    if year is not None:
        courses = list(control.plan_courses(school, user, year, every_course=access.is_leadership))
    course = _chosen_course(request, courses)
    window, rows = None, []
    if course is not None:
        window = _window(request, course.group.school_class, year)
        rows = control.course_plan(course, window.starts_on, window.ends_on, _limit(request))
    classes = list({c.group.school_class_id: c.group.school_class for c in courses}.values())
    return render(
        request,
        "schedule/control_work_plan.html",
        {
            "year": year,
            "courses": courses,
            "course": course,
            "window": window,
            "rows": rows,
            "classes": classes,
            "next": request.get_full_path(),
            "limit": _limit(request),
        },
    )


def _next_url(request) -> str:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("control_work_plan", args=[request.school.slug])


@require_POST
@school_view(*STAFF_ROLES)
def lesson_control_work(request, pk):
    """Save the control work of one dated lesson (an empty title removes it). Without
    JavaScript: back to the plan with a message; with htmx: the plan's row."""
    lesson = get_object_or_404(
        Lesson.objects.select_related(
            "school_class", "group__school_class", "subject", "substitute"
        ),
        school=request.school,
        pk=pk,
    )
    next_url = _next_url(request)
    row_context = {"next": next_url}
    try:
        warning = control_work_set(
            actor=request.user, lesson=lesson, title=request.POST.get("title", "")
        )
    except ValidationError as e:
        error = " ".join(e.messages)
        if request.htmx:
            row = control.lesson_plan_row(lesson, _limit(request))
            return render(
                request,
                "schedule/_control_work_row.html",
                {**row_context, "row": row, "error": error},
                status=403,
            )
        return render(
            request,
            "schedule/control_work_refused.html",
            {"lesson": lesson, "error": error, "next": next_url},
            status=403,
        )
    lesson.refresh_from_db(fields=["control_work"])
    if request.htmx:
        row = control.lesson_plan_row(lesson, _limit(request))
        return render(
            request,
            "schedule/_control_work_row.html",
            {**row_context, "row": row, "warning": warning, "saved": True},
        )
    where = {"date": date_format(lesson.date, "d.m.Y"), "number": lesson.number}
    if lesson.control_work:
        messages.success(
            request,
            _("The control work «%(title)s» is planned on %(date)s, lesson %(number)s.")
            % {**where, "title": lesson.control_work},
        )
    else:
        messages.success(
            request, _("No control work on %(date)s, lesson %(number)s any more.") % where
        )
    if warning:
        messages.warning(request, warning)
    return redirect(next_url)


@require_GET
@school_view(*STAFF_ROLES)
def class_control_works(request, pk):
    """The class's schedule of control works over a period, all its subgroups included,
    for the school's staff; printable."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("year", "class_teacher"), school=request.school, pk=pk
    )
    window = _window(request, school_class, school_class.year)
    return render(
        request,
        "schedule/control_works_class.html",
        {
            "school_class": school_class,
            "window": window,
            "days": control.class_schedule(
                school_class, window.starts_on, window.ends_on, _limit(request)
            ),
            "limit": _limit(request),
        },
    )


def _get_student_for_reader(request, pk) -> Student:
    """Staff read any student of the school; a student himself, his parents and his trusted
    persons (R-ROLE-5) only his own: another child's id is 404, as if it did not exist."""
    student = get_object_or_404(Student, school=request.school, pk=pk)
    if request.access.is_staff or can_read_student(request.user, student, request.school.today()):
        return student
    raise Http404


@require_GET
@school_view()
def student_control_works(request, student_pk):
    """The control works of the lessons the student attends (his subgroups only), with the
    days on which he has more of them than the school allows; printable."""
    if not request.access.has_any(STAFF_ROLES | {Role.STUDENT, Role.PARENT, Role.TRUSTED}):
        raise PermissionDenied
    student = _get_student_for_reader(request, student_pk)
    today = request.school.today()
    school_class = control.student_class_on(student, today)
    year = school_class.year if school_class else selectors.current_year(request.school, today)
    window = _window(request, school_class, year)
    return render(
        request,
        "schedule/control_works_student.html",
        {
            "student": student,
            "school_class": school_class,
            "window": window,
            "days": control.student_schedule(
                student, window.starts_on, window.ends_on, _limit(request)
            ),
            "limit": _limit(request),
        },
    )


urlpatterns = [
    path("s/<slug:school_slug>/control-works/", control_works, name="control_works"),
    path("s/<slug:school_slug>/control-works/plan/", control_work_plan, name="control_work_plan"),
    path(
        "s/<slug:school_slug>/lessons/<int:pk>/control-work/",
        lesson_control_work,
        name="lesson_control_work",
    ),
    path(
        "s/<slug:school_slug>/classes/<int:pk>/control-works/",
        class_control_works,
        name="class_control_works",
    ),
    path(
        "s/<slug:school_slug>/students/<int:student_pk>/control-works/",
        student_control_works,
        name="student_control_works",
    ),
]
