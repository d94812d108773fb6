"""Reads of parents' absence notices (R-ATT-4): a child's notices for the diary, and a
class's notices of a week for the class teacher's attendance page. One query each."""

import datetime as dt

from django.db.models import Count, Q, QuerySet

from accounts.models import Student
from schedule.models import Enrolment, SchoolClass

from .models import AbsenceNotice


def student_notices(student: Student) -> QuerySet[AbsenceNotice]:
    """The child's notices, the latest first, each with how many of its absences still
    wait for the teacher (`pending_count`) and how many the teachers confirmed."""
    return (
        AbsenceNotice.objects.filter(school=student.school_id, student=student)
        .select_related("created_by")
        .annotate(
            pending_count=Count("absences", filter=Q(absences__pending=True)),
            confirmed_count=Count("absences", filter=Q(absences__pending=False)),
        )
        .order_by("-starts_on", "-created_at")
    )


def class_notices(
    school_class: SchoolClass, first: dt.date, last: dt.date
) -> QuerySet[AbsenceNotice]:
    """The notices, not withdrawn, that cover some day from `first` to `last` of students
    enrolled in the class on some day of it, in the class list's order."""
    enrolled = (
        Enrolment.objects.filter(school_class=school_class, starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .values("student")
    )
    return (
        AbsenceNotice.objects.filter(
            school=school_class.school_id,
            student__in=enrolled,
            starts_on__lte=last,
            ends_on__gte=first,
            withdrawn_at__isnull=True,
        )
        .select_related("student", "created_by")
        .order_by("student__last_name", "student__first_name", "starts_on", "created_at")
    )
