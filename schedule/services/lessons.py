"""Changes to dated lessons: replacements, room changes and cancellations by the
administration (R-TT-3), and the control works teachers plan (R-TT-5)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Membership, User

from ..models import Lesson, Room, TeachingLoad
from .timetable import TEACHING_ROLES, require_timetable_role


def _describe(lesson: Lesson) -> str:
    return _("%(date)s, lesson %(number)s, %(class)s, %(subject)s") % {
        "date": date_format(lesson.date, "D d.m"),
        "number": lesson.number,
        "class": lesson.group,
        "subject": lesson.subject,
    }


def _at_same_time(lesson: Lesson) -> QuerySet[Lesson]:
    return (
        Lesson.objects.filter(
            school=lesson.school_id,
            date=lesson.date,
            starts_at__lt=lesson.ends_at,
            ends_at__gt=lesson.starts_at,
            is_cancelled=False,
        )
        .exclude(pk=lesson.pk)
        .select_related("group__school_class", "subject")
    )


def teacher_busy(lesson: Lesson, teacher: User, *, ignore=()) -> Lesson | None:
    """A lesson the teacher gives at the same time, his own or one he substitutes."""
    busy = _at_same_time(lesson).filter(
        Q(teacher=teacher, substitute__isnull=True) | Q(substitute=teacher)
    )
    return busy.exclude(pk__in=ignore).first()


def room_busy(lesson: Lesson, room: Room, *, ignore=()) -> Lesson | None:
    return _at_same_time(lesson).filter(room=room).exclude(pk__in=ignore).first()


def _check_substitute(lesson: Lesson, substitute: User, ignore=()) -> None:
    if substitute.pk == lesson.teacher_id:
        raise ValidationError(_("The substitute must be another teacher."))
    on_staff = Membership.objects.filter(
        user=substitute, school=lesson.school_id, role__in=TEACHING_ROLES
    ).active_on(lesson.date)
    if not on_staff.exists():
        raise ValidationError(
            _("%(teacher)s is not a teacher of this school on %(date)s.")
            % {"teacher": substitute.short_name, "date": date_format(lesson.date)}
        )
    busy = teacher_busy(lesson, substitute, ignore=ignore)
    if busy is not None:
        raise ValidationError(
            _("%(teacher)s is busy at this time: %(lesson)s.")
            % {"teacher": substitute.short_name, "lesson": _describe(busy)}
        )


def _stamp(lesson: Lesson, actor: User, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason of the change."))
    lesson.change_reason = reason[:300]
    lesson.changed_by = actor
    lesson.changed_at = timezone.now()


@transaction.atomic
def lesson_replace(
    *,
    actor: User,
    lesson: Lesson,
    substitute: User | None = None,
    room: Room | None = None,
    reason: str,
    _ignore=(),
) -> Lesson:
    """Give one dated lesson a substitute teacher and/or another room (R-TT-3). The
    replacement is "same subject" when the substitute teaches that subject himself."""
    require_timetable_role(actor, lesson.school, lesson.school.today())
    lesson = (
        Lesson.objects.select_for_update(of=("self",))
        .select_related("school", "entry")
        .get(pk=lesson.pk)
    )
    if lesson.is_cancelled:
        raise ValidationError(_("The lesson is cancelled; restore it first."))
    if substitute is None and room is None:
        raise ValidationError(_("Choose a substitute or another room."))
    if substitute is not None:
        _check_substitute(lesson, substitute, ignore=_ignore)
        lesson.substitute = substitute
        lesson.substitute_same_subject = TeachingLoad.objects.filter(
            school=lesson.school_id, teacher=substitute, subject=lesson.subject_id
        ).exists()
    if room is not None:
        if room.school_id != lesson.school_id:
            raise ValidationError(_("«%(obj)s» belongs to another school.") % {"obj": room})
        busy = room_busy(lesson, room, ignore=_ignore)
        if busy is not None:
            raise ValidationError(
                _("Room %(room)s is taken at this time: %(lesson)s.")
                % {"room": room, "lesson": _describe(busy)}
            )
        lesson.room = room
    _stamp(lesson, actor, reason)
    lesson.save()
    return lesson


@transaction.atomic
def lessons_replace_range(
    *,
    actor: User,
    teacher: User,
    date_from: dt.date,
    date_to: dt.date,
    substitute: User,
    reason: str,
) -> list[Lesson]:
    """A sick week: every lesson of the teacher in the dates goes to the substitute. All or
    none: a clash on any lesson refuses the whole range, naming every clash."""
    if date_to < date_from:
        raise ValidationError(_("The end date is before the start date."))
    lessons = list(
        Lesson.objects.filter(
            teacher=teacher,
            date__range=(date_from, date_to),
            is_cancelled=False,
            substitute__isnull=True,
        )
        .select_related("school", "group__school_class", "subject")
        .order_by("date", "starts_at")
    )
    if not lessons:
        raise ValidationError(_("The teacher has no lessons to replace in these dates."))
    school = lessons[0].school
    require_timetable_role(actor, school, school.today())
    errors, done = [], []
    for lesson in lessons:
        try:
            with transaction.atomic():
                done.append(
                    lesson_replace(actor=actor, lesson=lesson, substitute=substitute, reason=reason)
                )
        except ValidationError as e:
            errors.extend(f"{_describe(lesson)}: {m}" for m in e.messages)
    if errors:
        raise ValidationError(errors)
    return done


@transaction.atomic
def lesson_cancel(*, actor: User, lesson: Lesson, reason: str) -> Lesson:
    require_timetable_role(actor, lesson.school, lesson.school.today())
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    if lesson.is_cancelled:
        raise ValidationError(_("The lesson is already cancelled."))
    lesson.is_cancelled = True
    lesson.substitute = None
    lesson.substitute_same_subject = None
    _stamp(lesson, actor, reason)
    lesson.save()
    return lesson


@transaction.atomic
def lesson_restore(*, actor: User, lesson: Lesson) -> Lesson:
    """Undo a replacement, a room change or a cancellation: the lesson is as the weekly
    timetable made it."""
    require_timetable_role(actor, lesson.school, lesson.school.today())
    lesson = (
        Lesson.objects.select_for_update(of=("self",)).select_related("entry").get(pk=lesson.pk)
    )
    original_room = lesson.entry.room if lesson.entry else lesson.room
    if original_room is not None and original_room.pk != lesson.room_id:
        busy = room_busy(lesson, original_room)
        if busy is not None:
            raise ValidationError(
                _("Room %(room)s is taken at this time: %(lesson)s.")
                % {"room": original_room, "lesson": _describe(busy)}
            )
    if lesson.is_cancelled:
        busy = teacher_busy(lesson, lesson.teacher)
        if busy is not None:
            raise ValidationError(
                _("%(teacher)s is busy at this time: %(lesson)s.")
                % {"teacher": lesson.teacher.short_name, "lesson": _describe(busy)}
            )
    lesson.room = original_room
    lesson.substitute = None
    lesson.substitute_same_subject = None
    lesson.is_cancelled = False
    lesson.change_reason = ""
    lesson.changed_by = actor
    lesson.changed_at = timezone.now()
    lesson.save()
    return lesson


def can_plan_control_work(user: User, lesson: Lesson) -> bool:
    """The course's teacher, the lesson's substitute, or the administration."""
    if user.pk in (lesson.teacher_id, lesson.substitute_id):
        return True
    if TeachingLoad.objects.filter(
        school=lesson.school_id, teacher=user, group=lesson.group_id, subject=lesson.subject_id
    ).exists():
        return True
    from .timetable import TIMETABLE_ROLES

    return (
        Membership.objects.filter(user=user, school=lesson.school_id, role__in=TIMETABLE_ROLES)
        .active_on(lesson.school.today())
        .exists()
    )


def control_works_on_day(lesson: Lesson) -> int:
    """Control works the lesson's class has on its day, this one included: a class is one
    set of students, so its subgroups' works count too."""
    return (
        Lesson.objects.filter(
            school=lesson.school_id,
            school_class=lesson.school_class_id,
            date=lesson.date,
            is_cancelled=False,
        )
        .exclude(control_work="")
        .count()
    )


@transaction.atomic
def control_work_set(*, actor: User, lesson: Lesson, title: str) -> str | None:
    """Plan (or, with an empty title, unplan) a control work on a dated lesson (R-TT-5).
    Returns a warning when the class then has more control works that day than the
    school allows; the work is planned all the same, as the regulation only advises."""
    lesson = (
        Lesson.objects.select_for_update(of=("self",))
        .select_related("school__settings")
        .get(pk=lesson.pk)
    )
    if not can_plan_control_work(actor, lesson):
        raise ValidationError(_("Only the course's teacher plans its control works."))
    if lesson.is_cancelled:
        raise ValidationError(_("The lesson is cancelled."))
    lesson.control_work = (title or "").strip()[:200]
    lesson.save(update_fields=["control_work"])
    if not lesson.control_work:
        return None
    limit = lesson.school.settings.max_control_works_per_day
    count = control_works_on_day(lesson)
    if count > limit:
        return _(
            "%(class)s has %(count)s control works on %(date)s; the school allows %(limit)s."
        ) % {
            "class": lesson.school_class,
            "count": count,
            "date": date_format(lesson.date, "d.m.Y"),
            "limit": limit,
        }
    return None
