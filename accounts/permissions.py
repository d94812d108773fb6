"""Whose diary a user reads (R-ROLE-2, R-ROLE-5): the student his own, a parent his
children (ParentLink), a trusted person the child a parent granted him while the grant is
open. Staff read students through the journal, never through these predicates.

Each function is at most one query."""

import datetime as dt

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, When
from django.db.models import Value as V

from .models import ParentLink, Student, TrustedPerson


def _is_parent_of(user) -> Exists:
    return Exists(ParentLink.objects.filter(student=OuterRef("pk"), parent__user=user))


def _is_trusted_for(user, today: dt.date) -> Exists:
    return Exists(
        TrustedPerson.objects.filter(
            student=OuterRef("pk"), user=user, revoked_at__isnull=True, valid_until__gte=today
        )
    )


def can_read_student(user, student: Student, today: dt.date) -> bool:
    """The student himself, his parent, or a trusted person with an open grant for him
    (not revoked, valid until today or later). At most one query."""
    if user is None or not user.is_authenticated:
        return False
    if student.user_id is not None and student.user_id == user.pk:
        return True
    return (
        Student.objects.filter(pk=student.pk)
        .filter(_is_parent_of(user) | _is_trusted_for(user, today))
        .exists()
    )


def _current_class(field: str, today: dt.date) -> Subquery:
    """A field of the student's class: the one he is in on `today`, else the last one he
    entered before it, else one he will enter."""
    from schedule.models import Enrolment  # schedule builds on accounts, not back

    enrolments = (
        Enrolment.objects.filter(student=OuterRef("pk"))
        .annotate(later=Case(When(starts_on__gt=today, then=V(1)), default=V(0)))
        .order_by("later", "-starts_on")
    )
    return Subquery(enrolments.values(field)[:1])


def readable_children(user, today: dt.date, *, include_self: bool = False) -> QuerySet[Student]:
    """In every school: the students the user reads as a parent or as a trusted person with
    an open grant (and, with `include_self`, his own student records), each with its school
    and, as `class_id`, `class_grade`, `class_letter`, `class_year_id`, `class_teacher_id`,
    the class he is in on `today` (see _current_class). One query; for the child switcher
    and the access of the diary pages."""
    if user is None or not user.is_authenticated:
        return Student.objects.none()
    reads = _is_parent_of(user) | _is_trusted_for(user, today)
    if include_self:
        reads |= Q(user=user)
    return (
        Student.objects.filter(reads)
        .select_related("school")
        .annotate(
            class_id=_current_class("school_class_id", today),
            class_grade=_current_class("school_class__grade", today),
            class_letter=_current_class("school_class__letter", today),
            class_year_id=_current_class("school_class__year_id", today),
            class_teacher_id=_current_class("school_class__class_teacher_id", today),
        )
        .order_by("school__short_name", "last_name", "first_name", "middle_name", "pk")
    )
