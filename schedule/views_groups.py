"""The groups of a class (R-STR-5): its subgroups per subject with their teachers and
sizes, the split of the class into them by pick lists with later moves made by an order
from a date, and the individual curricula of its students (R-STR-7).

Who may: the class teacher of the class, a teacher with a teaching load in the class (for
the split: in that subject), and the school's leadership (admin, director, deputy). Only
the leadership adds and ends individual curricula; the class teacher reads them."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import school_view
from accounts.models import LEADERSHIP_ROLES

from . import selectors
from .forms_groups import (
    CurriculumEndForm,
    GroupSplitForm,
    IndividualCurriculumForm,
    OnDateForm,
    SubgroupsCreateForm,
)
from .models import (
    Group,
    IndividualCurriculum,
    SchoolClass,
    Subject,
    TeachingLoad,
)
from .services.groups import (
    group_split_apply,
    individual_curriculum_add,
    individual_curriculum_end,
    subgroups_create,
)

# ---------------------------------------------------------------- who may


def is_leadership(access) -> bool:
    return access.has_any(LEADERSHIP_ROLES)


def is_class_teacher_of(user, school_class: SchoolClass) -> bool:
    return school_class.class_teacher_id == user.pk


def teaches_in_class(user, school_class: SchoolClass, subject=None) -> bool:
    loads = TeachingLoad.objects.filter(
        school=school_class.school_id, teacher=user, group__school_class=school_class
    )
    if subject is not None:
        loads = loads.filter(subject=subject)
    return loads.exists()


def can_see_class_groups(user, access, school_class: SchoolClass) -> bool:
    return (
        is_leadership(access)
        or is_class_teacher_of(user, school_class)
        or teaches_in_class(user, school_class)
    )


def can_split_class(user, access, school_class: SchoolClass, subject) -> bool:
    """R-STR-5: the class teacher with the subject teacher splits the class."""
    return (
        is_leadership(access)
        or is_class_teacher_of(user, school_class)
        or teaches_in_class(user, school_class, subject)
    )


def can_see_curricula(user, access, school_class: SchoolClass) -> bool:
    return is_leadership(access) or is_class_teacher_of(user, school_class)


def can_edit_curricula(access) -> bool:
    return is_leadership(access)


def get_class_for_groups(request, pk) -> SchoolClass:
    """The class of the school in the URL (404 for another school's), if the user may see
    its groups (403 otherwise)."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("class_teacher", "year"), school=request.school, pk=pk
    )
    if not can_see_class_groups(request.user, request.access, school_class):
        raise PermissionDenied
    return school_class


def page_date(request) -> dt.date:
    return OnDateForm.date(request.GET, request.school.today())


def groups_url(school_class: SchoolClass, on: dt.date, anchor: str = "") -> str:
    url = reverse("class_groups", args=[school_class.school.slug, school_class.pk])
    return f"{url}?on={on:%Y-%m-%d}{anchor}"


# ---------------------------------------------------------------- the class groups page


def _subgroups_form_args(request, school_class, subgroups, teachers):
    if is_leadership(request.access) or is_class_teacher_of(request.user, school_class):
        subjects = list(Subject.objects.filter(school=request.school).order_by("name"))
    else:
        subjects = list(
            Subject.objects.filter(
                school=request.school,
                teaching_loads__teacher=request.user,
                teaching_loads__group__school_class=school_class,
            )
            .distinct()
            .order_by("name")
        )
    existing: dict[int, list[str]] = {}
    for group in subgroups:
        existing.setdefault(group.subject_id, []).append(group.name)
    return {"subjects": subjects, "teachers": teachers, "existing_names": existing}


def _curriculum_form(request, school_class, students, data=None):
    return IndividualCurriculumForm(
        data,
        school_class=school_class,
        students=students,
        courses=selectors.course_choices(request.school, school_class.year),
        today=request.school.today(),
    )


def _groups_page(
    request,
    school_class,
    on,
    *,
    subgroups=None,
    subgroups_form=None,
    curriculum_form=None,
    error=None,
    status=200,
):
    """The page: subjects with their subgroups, teachers and sizes on `on`, the form of
    new subgroups, and the individual curricula (queries listed in the query-count test)."""
    user, access = request.user, request.access
    if subgroups is None:
        subgroups = selectors.class_subgroups_on(school_class, on)
    students = list(selectors.class_students_on(school_class, on))
    subjects: dict[int, dict] = {}
    for group in subgroups:
        entry = subjects.setdefault(
            group.subject_id, {"subject": group.subject, "groups": [], "placed": 0}
        )
        entry["groups"].append(group)
        entry["placed"] += group.member_count
    for entry in subjects.values():
        entry["not_placed"] = max(len(students) - entry["placed"], 0)
    if subgroups_form is None:
        teachers = list(selectors.school_teachers(request.school, request.school.today()))
        subgroups_form = SubgroupsCreateForm(
            **_subgroups_form_args(request, school_class, subgroups, teachers)
        )
    context = {
        "school_class": school_class,
        "on": on,
        "today": request.school.today(),
        "subjects": list(subjects.values()),
        "student_count": len(students),
        "subgroups_form": subgroups_form,
        "error": error,
        "can_see_curricula": can_see_curricula(user, access, school_class),
        "can_edit_curricula": can_edit_curricula(access),
    }
    if context["can_see_curricula"]:
        context["curricula"] = list(selectors.class_individual_curricula(school_class, on))
    if context["can_edit_curricula"]:
        context["curriculum_form"] = curriculum_form or _curriculum_form(
            request, school_class, students
        )
    return render(request, "schedule/groups.html", context, status=status)


@require_http_methods(["GET", "POST"])
@school_view()
def class_groups(request, pk):
    """The subgroups of a class per subject with their teachers and sizes on a date, and
    (POST) new subgroups of a subject with their teachers (R-STR-5)."""
    school_class = get_class_for_groups(request, pk)
    on = page_date(request)
    if request.method == "GET":
        return _groups_page(request, school_class, on)
    subgroups = selectors.class_subgroups_on(school_class, on)
    teachers = list(selectors.school_teachers(request.school, request.school.today()))
    form = SubgroupsCreateForm(
        request.POST, **_subgroups_form_args(request, school_class, subgroups, teachers)
    )
    if form.is_valid():
        subject = form.cleaned_data["subject"]
        try:
            created = subgroups_create(
                school=request.school,
                school_class=school_class,
                subject=subject,
                groups=form.cleaned_data["groups"],
            )
        except ValidationError as e:
            form.add_error(None, e.messages)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d group for %(subject)s is created. Now place the students.",
                    "%(count)d groups for %(subject)s are created. Now place the students.",
                    len(created),
                )
                % {"count": len(created), "subject": subject.name},
            )
            return redirect(
                reverse(
                    "class_group_split", args=[request.school.slug, school_class.pk, subject.pk]
                )
                + f"?on={on:%Y-%m-%d}"
            )
    return _groups_page(
        request, school_class, on, subgroups=subgroups, subgroups_form=form, status=400
    )


# ---------------------------------------------------------------- individual curricula


def _get_class_for_curricula(request, pk) -> SchoolClass:
    school_class = get_class_for_groups(request, pk)
    if not can_edit_curricula(request.access):
        raise PermissionDenied
    return school_class


@require_POST
@school_view()
def class_curriculum_add(request, pk):
    """R-STR-7: exempt a student of the class from a course or attach him to one."""
    school_class = _get_class_for_curricula(request, pk)
    on = page_date(request)
    students = list(selectors.class_students_on(school_class, on))
    form = _curriculum_form(request, school_class, students, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        group, subject = data["course"]
        try:
            curriculum = individual_curriculum_add(
                school=request.school,
                student=data["student"],
                kind=data["kind"],
                group=group,
                subject=subject,
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                basis=data["basis"],
            )
        except ValidationError as e:
            form.add_error(None, e.messages)
        else:
            messages.success(
                request,
                _("Individual curriculum recorded: %(curriculum)s.") % {"curriculum": curriculum},
            )
            return redirect(groups_url(school_class, on, "#curricula"))
    return _groups_page(request, school_class, on, curriculum_form=form, status=400)


@require_POST
@school_view()
def class_curriculum_end(request, pk, curriculum_pk):
    """R-STR-7: from a date the student studies the course by the common curriculum."""
    school_class = _get_class_for_curricula(request, pk)
    on = page_date(request)
    in_class = Q(group__school_class=school_class) | Q(
        student__enrolments__school_class=school_class
    )
    curriculum = (
        IndividualCurriculum.objects.filter(school=request.school, pk=curriculum_pk)
        .filter(in_class)
        .select_related("student", "subject")
        .first()
    )
    if curriculum is None:
        raise Http404
    form = CurriculumEndForm(request.POST)
    error = None
    if form.is_valid():
        try:
            individual_curriculum_end(
                curriculum=curriculum, ends_from=form.cleaned_data["ends_from"]
            )
        except ValidationError as e:
            error = " ".join(e.messages)
        else:
            messages.success(
                request,
                _("The individual curriculum of %(student)s ends from %(date)s.")
                % {
                    "student": curriculum.student.full_name,
                    "date": form.cleaned_data["ends_from"].strftime("%d.%m.%Y"),
                },
            )
            return redirect(groups_url(school_class, on, "#curricula"))
    else:
        error = _("Enter the date the individual curriculum ends from.")
    return _groups_page(
        request,
        school_class,
        on,
        error=f"{curriculum.student.full_name}: {error}",
        status=400,
    )


# ---------------------------------------------------------------- the split


@require_http_methods(["GET", "POST"])
@school_view()
def class_group_split(request, pk, subject_pk):
    """Pick lists of the class's students on a date, a radio per subgroup of the subject:
    the first placement needs no order, a later move needs one and takes effect from the
    date (R-STR-5). Saved all or none."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("class_teacher", "year"),
        school=request.school,
        pk=pk,
    )
    subject = get_object_or_404(Subject, school=request.school, pk=subject_pk)
    if not can_split_class(request.user, request.access, school_class, subject):
        raise PermissionDenied
    groups = list(Group.objects.filter(school_class=school_class, subject=subject).order_by("name"))
    if not groups:
        raise Http404  # the class is not split for this subject
    if request.method == "POST":
        on = OnDateForm.date({"on": request.POST.get("on", "")}, request.school.today())
    else:
        on = page_date(request)
    students = list(selectors.class_students_on(school_class, on))
    current, ever_placed = selectors.subject_memberships_on(school_class, subject, on)
    form_args = {
        "students": students,
        "groups": groups,
        "current": current,
        "ever_placed": ever_placed,
    }
    error = None
    if request.method == "POST":
        form = GroupSplitForm(request.POST, **form_args)
        if form.is_valid():
            data = form.cleaned_data
            if not data["moves"]:
                messages.info(request, _("Nothing to save: no student changes group."))
                return redirect(_split_url(school_class, subject, data["on"]))
            try:
                order = group_split_apply(
                    school=request.school,
                    school_class=school_class,
                    subject=subject,
                    moves=data["moves"],
                    on=data["on"],
                    order_number=data["order_number"],
                    order_date=data["order_date"],
                )
            except ValidationError as e:
                error = " ".join(e.messages)
            else:
                text = ngettext(
                    "The group of %(count)d student is changed from %(date)s.",
                    "The groups of %(count)d students are changed from %(date)s.",
                    len(data["moves"]),
                ) % {"count": len(data["moves"]), "date": data["on"].strftime("%d.%m.%Y")}
                if order is not None:
                    text = f"{text} " + _("Basis: %(order)s.") % {"order": order}
                messages.success(request, text)
                return redirect(_split_url(school_class, subject, data["on"]))
    else:
        form = GroupSplitForm(initial={"on": on}, **form_args)
    counts = {g.pk: 0 for g in groups}
    for group_id in current.values():
        if group_id in counts:
            counts[group_id] += 1
    return render(
        request,
        "schedule/groups_split.html",
        {
            "school_class": school_class,
            "subject": subject,
            "groups": [(g, counts[g.pk]) for g in groups],
            "not_placed_count": len(students) - sum(counts.values()),
            "on": on,
            "form": form,
            "error": error,
        },
        status=200 if request.method == "GET" else 400,
    )


def _split_url(school_class, subject, on) -> str:
    url = reverse("class_group_split", args=[school_class.school.slug, school_class.pk, subject.pk])
    return f"{url}?on={on:%Y-%m-%d}"


urlpatterns = [
    path(
        "s/<slug:school_slug>/classes/<int:pk>/groups/",
        class_groups,
        name="class_groups",
    ),
    path(
        "s/<slug:school_slug>/classes/<int:pk>/groups/<int:subject_pk>/",
        class_group_split,
        name="class_group_split",
    ),
    path(
        "s/<slug:school_slug>/classes/<int:pk>/groups/curricula/",
        class_curriculum_add,
        name="class_curriculum_add",
    ),
    path(
        "s/<slug:school_slug>/classes/<int:pk>/groups/curricula/<int:curriculum_pk>/end/",
        class_curriculum_end,
        name="class_curriculum_end",
    ),
]
