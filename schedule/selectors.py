"""Reads of the school structure, each a fixed number of queries."""

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import School, Student, active_on

from .models import AcademicYear, Enrolment, Group, GroupMembership, SchoolClass


def group_students_on(group: Group, on: dt.date) -> QuerySet[Student]:
    """Who was in the group on that date: one query (R-STR-4, R-STR-5).

    A whole-class group is made of the class's enrolments; a subgroup of its dated
    memberships, limited to students still enrolled in the class that day."""
    enrolled = Q(
        enrolments__school_class=group.school_class_id,
        enrolments__starts_on__lte=on,
    ) & (Q(enrolments__ends_on__isnull=True) | Q(enrolments__ends_on__gte=on))
    students = Student.objects.filter(school=group.school_id).filter(enrolled)
    if not group.is_whole_class:
        students = students.filter(
            Q(group_memberships__group=group) & active_on(on, "group_memberships__")
        )
    return students.order_by("last_name", "first_name", "middle_name", "pk")


def class_students_on(school_class: SchoolClass, on: dt.date) -> QuerySet[Student]:
    return (
        Student.objects.filter(
            Q(enrolments__school_class=school_class) & active_on(on, "enrolments__")
        )
        .select_related("user")
        .order_by("last_name", "first_name", "middle_name", "pk")
    )


def current_year(school: School, on: dt.date | None = None) -> AcademicYear | None:
    """The year containing the date, or the nearest one starting after it (summer)."""
    on = on or school.today()
    years = AcademicYear.objects.filter(school=school, ends_on__gte=on).order_by("starts_on")
    return years.first()


def classes_with_counts(school: School, year: AcademicYear, on: dt.date):
    """Classes of the year with their class teacher and the number of students on `on`."""
    return (
        SchoolClass.objects.filter(school=school, year=year)
        .select_related("class_teacher")
        .annotate(
            student_count=Count(
                "enrolments",
                filter=Q(enrolments__starts_on__lte=on)
                & (Q(enrolments__ends_on__isnull=True) | Q(enrolments__ends_on__gte=on)),
            )
        )
        .order_by("grade", "letter")
    )


def student_current_enrolments(students, on: dt.date):
    return Prefetch(
        "enrolments",
        queryset=Enrolment.objects.active_on(on).select_related("school_class"),
        to_attr="current_enrolments",
    )


def group_members_on(group: Group, on: dt.date) -> QuerySet[GroupMembership]:
    return (
        GroupMembership.objects.filter(group=group).active_on(on).select_related("student", "order")
    )
