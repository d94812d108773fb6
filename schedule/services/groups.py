"""Writes of the class groups pages: subgroups of a subject with their teaching load
(R-STR-5, R-STR-6), the split of a class into them with later moves by an order from a
date (R-STR-5), and individual curricula (R-STR-7). Each is one transaction and refuses
the whole batch on any error."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import School, Student

from ..models import (
    Group,
    GroupMembership,
    IndividualCurriculum,
    Order,
    SchoolClass,
    Subject,
    TeachingLoad,
)
from .contingent import group_member_move


@dataclass
class NewGroup:
    name: str
    teacher: object | None
    hours: Decimal | None


@dataclass
class Move:
    student: object
    from_group: Group | None
    to_group: Group | None
    initial: bool


def curriculum_overlaps(curriculum: IndividualCurriculum) -> bool:
    """Another individual curriculum of the student for the same course over some of the
    same dates (the model's constraint only forbids the same first day)."""
    end = curriculum.ends_on or dt.date.max
    return (
        IndividualCurriculum.objects.filter(
            student=curriculum.student_id,
            group=curriculum.group_id,
            subject=curriculum.subject_id,
            starts_on__lte=end,
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=curriculum.starts_on))
        .exclude(pk=curriculum.pk)
        .exists()
    )


OVERLAP_MESSAGE = gettext_lazy(
    "The student already has an individual curriculum for this course for some of these dates."
)


@transaction.atomic
def subgroups_create(
    *, school: School, school_class: SchoolClass, subject: Subject, groups: list[NewGroup]
) -> list[Group]:
    """New subgroups of a subject in a class, with the teaching load of those whose teacher
    is known (R-STR-5, R-STR-6)."""
    created = []
    for new in groups:
        group = Group(school=school, school_class=school_class, subject=subject, name=new.name)
        group.full_clean()
        group.save()
        if new.teacher is not None:
            load = TeachingLoad(
                school=school,
                teacher=new.teacher,
                group=group,
                subject=subject,
                hours_per_week=new.hours,
            )
            load.full_clean()
            load.save()
        created.append(group)
    return created


def _membership_end(
    *, student: Student, school_class: SchoolClass, subject: Subject, on: dt.date
) -> None:
    """Take a student out of the subgroups of a subject from `on`: he stays in his group's
    journal before that date."""
    membership = (
        GroupMembership.objects.select_for_update()
        .filter(student=student, group__school_class=school_class, group__subject=subject)
        .active_on(on)
        .first()
    )
    if membership is None:
        raise ValidationError(_("The student is not in a group of this subject on that date."))
    if membership.starts_on >= on:
        raise ValidationError(_("The move date must be after the student joined the group."))
    membership.ends_on = on - dt.timedelta(days=1)
    membership.save(update_fields=["ends_on"])


@transaction.atomic
def group_split_apply(
    *,
    school: School,
    school_class: SchoolClass,
    subject: Subject,
    moves: list[Move],
    on: dt.date,
    order_number: str,
    order_date: dt.date | None,
) -> Order | None:
    """Place and move students between the subgroups of a subject from `on`, all or none
    (R-STR-5). With an order number and date the order of kind "division into groups" is
    found or created and recorded on every new membership; a move of a student who has
    been in a group is refused without it (group_member_move)."""
    order = None
    if order_number:
        order, _created = Order.objects.get_or_create(
            school=school,
            number=order_number,
            date=order_date,
            defaults={
                "kind": Order.Kind.GROUPS,
                "title": _("Division of class %(class)s into groups: %(subject)s")
                % {"class": school_class, "subject": subject.name},
            },
        )
        if order.kind not in (Order.Kind.GROUPS, Order.Kind.TRANSFER):
            raise ValidationError(
                _("This order is of another kind: %(kind)s.") % {"kind": order.get_kind_display()}
            )
        if on < order.date:
            raise ValidationError(_("A change cannot take effect before its order is signed."))
    for move in moves:
        try:
            if move.to_group is None:
                if order is None:
                    raise ValidationError(_("Moving a student between groups needs an order."))
                _membership_end(
                    student=move.student, school_class=school_class, subject=subject, on=on
                )
            else:
                group_member_move(
                    student=move.student,
                    to_group=move.to_group,
                    order=order,
                    on=on,
                    initial=move.initial,
                )
        except ValidationError as error:
            message = " ".join(error.messages)
            raise ValidationError(f"{move.student.full_name}: {message}") from error
    return order


def individual_curriculum_add(*, school: School, **fields) -> IndividualCurriculum:
    """R-STR-7: an exemption from a course or an attachment to one, for a range of dates."""
    curriculum = IndividualCurriculum(school=school, **fields)
    with transaction.atomic():
        if curriculum_overlaps(curriculum):
            raise ValidationError(OVERLAP_MESSAGE)
        curriculum.full_clean()
        try:
            with transaction.atomic():
                curriculum.save()
        except IntegrityError:  # the same one saved at the same moment
            raise ValidationError(OVERLAP_MESSAGE) from None
    return curriculum


@transaction.atomic
def individual_curriculum_end(
    *, curriculum: IndividualCurriculum, ends_from: dt.date
) -> IndividualCurriculum:
    """From `ends_from` the student studies the course by the common curriculum: the
    individual curriculum stays in force until the day before (R-STR-7)."""
    curriculum = IndividualCurriculum.objects.select_for_update().get(pk=curriculum.pk)
    last_day = ends_from - dt.timedelta(days=1)
    if last_day < curriculum.starts_on:
        raise ValidationError(
            _("An individual curriculum can end only after its first day, %(date)s.")
            % {"date": curriculum.starts_on.strftime("%d.%m.%Y")}
        )
    if curriculum.ends_on is not None and curriculum.ends_on <= last_day:
        raise ValidationError(
            _("It already ends on %(date)s.") % {"date": curriculum.ends_on.strftime("%d.%m.%Y")}
        )
    curriculum.ends_on = last_day
    curriculum.full_clean()
    curriculum.save(update_fields=["ends_on"])
    return curriculum
