"""Who may read and write which part of the journal (R-ROLE-3, R-LES-4). Predicates read as
sentences; each costs at most one query."""

from django.db.models import Exists

from accounts.models import Membership, Role
from schedule.models import Lesson, SchoolClass, TeachingLoad

READ_ALL_ROLES = {Role.DIRECTOR, Role.DEPUTY}
TEACHING_ROLES = {Role.TEACHER, Role.SUBSTITUTE}


def teaches_course(user, school_id: int, group_id: int, subject_id: int) -> bool:
    return TeachingLoad.objects.filter(
        school=school_id, group=group_id, subject=subject_id, teacher=user
    ).exists()


def can_edit_lesson(user, lesson: Lesson, today) -> bool:
    """The course's teacher (by the teaching load or as the lesson's own teacher) and the
    substitute of this lesson, while they are on the school's teaching staff. One query."""
    staff = Membership.objects.filter(
        user=user, school=lesson.school_id, role__in=TEACHING_ROLES
    ).active_on(today)
    if user.pk in (lesson.teacher_id, lesson.substitute_id):
        return staff.exists()
    load = TeachingLoad.objects.filter(
        school=lesson.school_id, group=lesson.group_id, subject=lesson.subject_id, teacher=user
    )
    return staff.filter(Exists(load)).exists()


def can_read_course(access, user, school_class: SchoolClass, teaches: bool) -> bool:
    """Deputies and the director read everything of their school, the class teacher every
    subject of his class, a teacher his own courses (and, for the lessons he substitutes,
    the lessons themselves)."""
    if access.has_any(READ_ALL_ROLES):
        return True
    if school_class.class_teacher_id == user.pk and Role.TEACHER in access.roles:
        return True
    return teaches


def substitutes_in_course(user, group_id: int, subject_id: int, start, end) -> bool:
    return Lesson.objects.filter(
        group=group_id, subject=subject_id, substitute=user, date__range=(start, end)
    ).exists()
