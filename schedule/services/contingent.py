"""Writes to the school structure. Contingent changes always go through an order
(R-STR-4, R-STR-5) and keep history: a move ends one dated row and opens another."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Student

from ..models import Enrolment, Group, GroupMembership, Order, SchoolClass


@transaction.atomic
def school_class_create(**fields) -> SchoolClass:
    """A class is born with its whole-class group, so every course is group × subject."""
    school_class = SchoolClass(**fields)
    school_class.full_clean()
    school_class.save()
    whole_class_group_ensure(school_class=school_class)
    return school_class


def whole_class_group_ensure(*, school_class: SchoolClass) -> Group:
    group, _created = Group.objects.get_or_create(
        school=school_class.school,
        school_class=school_class,
        is_whole_class=True,
        defaults={"name": _("whole class")},
    )
    return group


def _check_order(order: Order, on: dt.date, kinds) -> None:
    if order.kind not in kinds:
        raise ValidationError(
            _("This order is of another kind: %(kind)s.") % {"kind": order.get_kind_display()}
        )
    if on < order.date:
        raise ValidationError(_("A change cannot take effect before its order is signed."))


@transaction.atomic
def student_enrol(
    *, student: Student, school_class: SchoolClass, order: Order, on: dt.date
) -> Enrolment:
    _check_order(order, on, {Order.Kind.ENROLMENT, Order.Kind.TRANSFER})
    enrolment = Enrolment(
        school=student.school,
        student=student,
        school_class=school_class,
        order=order,
        starts_on=on,
    )
    enrolment.full_clean()
    enrolment.save()
    return enrolment


def _current_enrolment(student: Student, on: dt.date) -> Enrolment:
    enrolment = (
        Enrolment.objects.select_for_update()
        .filter(student=student)
        .active_on(on)
        .select_related("school_class")
        .first()
    )
    if enrolment is None:
        raise ValidationError(_("The student is not in any class on that date."))
    return enrolment


def _end_group_memberships(student: Student, last_day: dt.date, order: Order) -> None:
    GroupMembership.objects.filter(student=student, ends_on__isnull=True).filter(
        starts_on__lte=last_day
    ).update(ends_on=last_day)
    # a membership planned to begin after the student left never happens
    GroupMembership.objects.filter(student=student, starts_on__gt=last_day).delete()


@transaction.atomic
def student_transfer(
    *, student: Student, to_class: SchoolClass, order: Order, on: dt.date
) -> Enrolment:
    """From `on` the student is in `to_class`; before it, in his old class."""
    _check_order(order, on, {Order.Kind.TRANSFER})
    current = _current_enrolment(student, on)
    if current.school_class_id == to_class.pk:
        raise ValidationError(_("The student is already in this class."))
    if current.starts_on >= on:
        raise ValidationError(_("The transfer date must be after the enrolment began."))
    last_day = on - dt.timedelta(days=1)
    current.ends_on = last_day
    current.end_order = order
    current.save(update_fields=["ends_on", "end_order"])
    _end_group_memberships(student, last_day, order)
    return student_enrol(student=student, school_class=to_class, order=order, on=on)


@transaction.atomic
def student_withdraw(*, student: Student, order: Order, last_day: dt.date) -> Enrolment:
    _check_order(order, last_day, {Order.Kind.WITHDRAWAL})
    current = _current_enrolment(student, last_day)
    current.ends_on = last_day
    current.end_order = order
    current.full_clean()
    current.save(update_fields=["ends_on", "end_order"])
    _end_group_memberships(student, last_day, order)
    return current


@transaction.atomic
def group_member_move(
    *, student: Student, to_group: Group, order: Order | None, on: dt.date, initial: bool = False
) -> GroupMembership:
    """Put a student into a subgroup from `on`. A move after the initial split needs an
    order (R-STR-5); he leaves the other group of the same subject the day before."""
    if to_group.is_whole_class:
        raise ValidationError(_("Choose a subgroup, not the whole class."))
    if not initial:
        if order is None:
            raise ValidationError(_("Moving a student between groups needs an order."))
        _check_order(order, on, {Order.Kind.GROUPS, Order.Kind.TRANSFER})
    enrolled = Enrolment.objects.filter(
        student=student, school_class=to_group.school_class_id
    ).active_on(on)
    if not enrolled.exists():
        raise ValidationError(_("The student is not in this group's class on that date."))
    previous = (
        GroupMembership.objects.select_for_update()
        .filter(
            student=student,
            group__school_class=to_group.school_class_id,
            group__subject=to_group.subject_id,
        )
        .active_on(on)
        .first()
    )
    if previous:
        if previous.group_id == to_group.pk:
            raise ValidationError(_("The student is already in this group."))
        if previous.starts_on >= on:
            raise ValidationError(_("The move date must be after the student joined the group."))
        previous.ends_on = on - dt.timedelta(days=1)
        previous.save(update_fields=["ends_on"])
    membership = GroupMembership(
        school=student.school, group=to_group, student=student, order=order, starts_on=on
    )
    membership.full_clean()
    membership.save()
    return membership
