"""Who may start a conversation with whom in a school (R-NOT-4): only people with a real
relation, on the school's `today`.

- a parent ↔ his child's class teacher, the child's course teachers (as
  schedule.selectors.student_courses finds them) and the administration (director, deputies,
  school administrators);
- a student ↔ his class teacher, his course teachers and the administration;
- staff ↔ staff of the school;
- a teacher ↔ the students, and their parents, of the classes he leads and of the groups he
  teaches (the whole class or a subgroup's members);
- the administration ↔ anyone of the school (staff, every enrolled student and his parents).

A parent never writes to another parent, nor a student to another student. Trusted persons
(R-ROLE-5) neither write nor are written to: only a membership of another role counts.

Each relation that goes through a child carries it: the conversation is then "about" that
child. Everything is read in a fixed number of queries whatever the size of the school;
`may_write` restricts every query to the other person, so it stays cheap for the director."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Q
from django.utils.translation import gettext as _

from accounts.models import (
    LEADERSHIP_ROLES,
    STAFF_ROLES,
    Membership,
    ParentLink,
    Role,
    School,
    Student,
    active_on,
)
from schedule.models import Enrolment, GroupMembership, TeachingLoad

TEACHING_ROLES = frozenset({Role.TEACHER, Role.SUBSTITUTE})
# who may use messages at all (every role but the trusted person's)
MESSAGE_ROLES = tuple(r for r in Role if r != Role.TRUSTED)


@dataclass(frozen=True)
class Contact:
    """Someone the user may write to, and the child the relation goes through (None for
    staff to staff)."""

    user: object
    label: str
    student: Student | None = None

    @property
    def key(self) -> str:
        """The value of the recipient picker: "<user id>:<student id or empty>"."""
        return f"{self.user.pk}:{self.student.pk if self.student else ''}"


@dataclass
class ContactGroup:
    title: str
    contacts: list[Contact] = field(default_factory=list)


@dataclass
class _Found:
    """What _collect gathers: (group order, group title) → contacts."""

    groups: dict = field(default_factory=dict)

    def add(self, order: tuple, title: str, contact: Contact) -> None:
        self.groups.setdefault((order, title), []).append(contact)


def _roles(user, school: School, today: dt.date) -> set[str]:
    return set(
        Membership.objects.filter(user=user, school=school)
        .filter(active_on(today))
        .values_list("role", flat=True)
    )


def _course_loads(enrolments: list, today: dt.date, only_teacher=None) -> dict[int, list]:
    """Student id → the teaching loads of his courses on `today`, for the students of the
    given enrolments: his class's whole-class courses and those of the subgroups of his
    class he is a member of that day (the rule of schedule.selectors.student_courses, for
    many students in two queries)."""
    if not enrolments:
        return {}
    class_of = {e.student_id: e.school_class_id for e in enrolments}
    loads = TeachingLoad.objects.select_related("teacher", "subject", "group__school_class")
    if only_teacher is not None:
        loads = loads.filter(teacher=only_teacher)
    whole = defaultdict(list)
    for load in loads.filter(
        group__is_whole_class=True, group__school_class__in=set(class_of.values())
    ):
        whole[load.group.school_class_id].append(load)
    found = {student_id: list(whole[class_id]) for student_id, class_id in class_of.items()}
    subgroup_loads = loads.filter(
        Q(group__memberships__student__in=list(class_of)) & active_on(today, "group__memberships__")
    ).annotate(member_id=F("group__memberships__student"))
    for load in subgroup_loads:
        # a member of a subgroup of a class he has left is not in its course any more
        if class_of.get(load.member_id) == load.group.school_class_id:
            found[load.member_id].append(load)
    for student_loads in found.values():
        student_loads.sort(key=lambda load: (load.subject.name, load.teacher.short_name))
    return found


def _staff_memberships(school: School, today: dt.date, roles, only=None):
    memberships = (
        Membership.objects.filter(school=school, role__in=roles)
        .filter(active_on(today))
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__middle_name", "user_id", "role")
    )
    if only is not None:
        memberships = memberships.filter(user=only)
    return memberships


def _staff_label(user, memberships: list) -> str:
    what = ", ".join(m.position or str(m.get_role_display()) for m in memberships)
    return f"{user.full_name} — {what}"


def _collect(user, school: School, today: dt.date, only=None) -> tuple[_Found, set]:
    """Everyone the user has a relation with (restricted to `only` when given), grouped,
    and the ids of the users found (to be checked for a membership in force)."""
    found = _Found()
    roles = _roles(user, school, today) - {Role.TRUSTED}
    if not roles:
        return found, set()
    is_staff = bool(roles & STAFF_ROLES)
    is_leadership = bool(roles & LEADERSHIP_ROLES)

    # --- staff: the administration for everyone, all staff for staff
    by_user: dict[int, list] = {}
    for membership in _staff_memberships(
        school, today, STAFF_ROLES if is_staff else LEADERSHIP_ROLES, only
    ):
        by_user.setdefault(membership.user_id, []).append(membership)
    administration = {
        uid: ms for uid, ms in by_user.items() if any(m.role in LEADERSHIP_ROLES for m in ms)
    }
    others = {uid: ms for uid, ms in by_user.items() if uid not in administration}

    # --- the user as a student or a parent: his class teachers and course teachers
    own = Q(student__user=user) if Role.STUDENT in roles else Q(pk__in=[])
    if Role.PARENT in roles:
        own |= Q(student__parent_links__parent__user=user)
    children_enrolments = []
    if Role.STUDENT in roles or Role.PARENT in roles:
        children_enrolments = list(
            Enrolment.objects.filter(school=school)
            .filter(active_on(today))
            .filter(own)
            .select_related("student", "school_class__class_teacher")
            .distinct()
            .order_by("student__last_name", "student__first_name", "student_id")
        )
    several = len(children_enrolments) > 1
    loads = _course_loads(children_enrolments, today, only_teacher=only)
    for enrolment in children_enrolments:
        child, school_class = enrolment.student, enrolment.school_class
        suffix = f" ({child.first_name})" if several else ""
        teacher = school_class.class_teacher
        if teacher is not None and (only is None or teacher.pk == getattr(only, "pk", only)):
            found.add(
                (0, school_class.grade, school_class.letter),
                _("Class teacher %(class)s") % {"class": school_class},
                Contact(teacher, teacher.full_name + suffix, child),
            )
        subjects: dict[int, list] = {}
        for load in loads.get(child.pk, ()):
            names = subjects.setdefault(load.teacher_id, [load.teacher])
            if load.subject.name not in names:
                names.append(load.subject.name)
        for teacher, *names in subjects.values():
            found.add(
                (1, school_class.grade, school_class.letter),
                _("Teachers %(class)s") % {"class": school_class},
                Contact(teacher, f"{', '.join(names)} — {teacher.short_name}{suffix}", child),
            )
        for memberships in administration.values():
            found.add(
                (2,),
                _("Administration"),
                Contact(
                    memberships[0].user,
                    _staff_label(memberships[0].user, memberships) + suffix,
                    child,
                ),
            )
    if is_staff:
        for memberships in administration.values():
            found.add(
                (2,),
                _("Administration"),
                Contact(memberships[0].user, _staff_label(memberships[0].user, memberships)),
            )
        for memberships in others.values():
            found.add(
                (3,),
                _("Staff"),
                Contact(memberships[0].user, _staff_label(memberships[0].user, memberships)),
            )

    # --- the user as a teacher or the administration: students and their parents
    if is_leadership or roles & TEACHING_ROLES:
        _collect_taught(found, user, school, today, is_leadership, only)

    ids = {c.user.pk for contacts in found.groups.values() for c in contacts}
    ids.discard(user.pk)
    return found, ids


def _collect_taught(found: _Found, user, school, today, is_leadership: bool, only) -> None:
    """The students of the classes the user leads and of the groups he teaches (every
    enrolled student for the administration), and their parents."""
    enrolments = (
        Enrolment.objects.filter(school=school)
        .filter(active_on(today))
        .select_related("student__user", "school_class")
        .order_by("student__last_name", "student__first_name", "student_id")
    )
    subgroups: dict[int, int] = {}  # taught subgroup → its class
    whole_classes: set[int] = set()
    if not is_leadership:
        subgroup_classes = set()
        for load in TeachingLoad.objects.filter(school=school, teacher=user).select_related(
            "group"
        ):
            if load.group.is_whole_class:
                whole_classes.add(load.group.school_class_id)
            else:
                subgroups[load.group_id] = load.group.school_class_id
                subgroup_classes.add(load.group.school_class_id)
        enrolments = enrolments.filter(
            Q(school_class__class_teacher=user)
            | Q(school_class__in=whole_classes | subgroup_classes)
        )
    if only is not None:
        enrolments = enrolments.filter(
            Q(student__user=only) | Q(student__parent_links__parent__user=only)
        ).distinct()
    enrolments = list(enrolments)
    members: set[tuple[int, int]] = set()
    if subgroups and enrolments:
        members = set(
            GroupMembership.objects.filter(group__in=list(subgroups))
            .filter(active_on(today))
            .values_list("student_id", "group_id")
        )
    taught = []
    for enrolment in enrolments:
        school_class = enrolment.school_class
        if not (
            is_leadership
            or school_class.class_teacher_id == user.pk
            or school_class.pk in whole_classes
            or any(
                (enrolment.student_id, group) in members
                for group, class_id in subgroups.items()
                if class_id == school_class.pk
            )
        ):
            continue
        taught.append(enrolment)
    if not taught:
        return
    by_student = {e.student_id: e for e in taught}
    for enrolment in taught:
        student = enrolment.student
        if student.user_id and student.user_id != user.pk:
            school_class = enrolment.school_class
            found.add(
                (4, school_class.grade, school_class.letter, 0),
                _("Students %(class)s") % {"class": school_class},
                Contact(student.user, student.full_name, student),
            )
    links = (
        ParentLink.objects.filter(student__in=list(by_student), parent__user__isnull=False)
        .select_related("parent__user")
        .order_by("parent__last_name", "parent__first_name", "pk")
    )
    if only is not None:
        links = links.filter(parent__user=only)
    for link in links:
        enrolment = by_student[link.student_id]
        school_class, student = enrolment.school_class, enrolment.student
        found.add(
            (4, school_class.grade, school_class.letter, 1),
            _("Parents %(class)s") % {"class": school_class},
            Contact(
                link.parent.user,
                f"{link.parent.user.full_name} ({student.short_name})",
                student,
            ),
        )


def _members_in_force(school: School, today: dt.date, ids: set) -> set[int]:
    """Of these users, those with a membership in force in the school other than a
    trusted person's (one query)."""
    if not ids:
        return set()
    return set(
        Membership.objects.filter(school=school, user__in=ids)
        .filter(active_on(today))
        .exclude(role=Role.TRUSTED)
        .values_list("user_id", flat=True)
        .distinct()
    )


def contacts(user, school: School, today: dt.date) -> list[ContactGroup]:
    """The people the user may write to, grouped ("Class teacher 5А", "Teachers 5А",
    "Administration", "Staff", "Students 5А", "Parents 5А"), each with the child the relation
    goes through. At most eleven queries whatever the school's size."""
    found, ids = _collect(user, school, today)
    allowed = _members_in_force(school, today, ids)
    groups = []
    for (_order, title), items in sorted(found.groups.items(), key=lambda kv: kv[0][0]):
        seen, kept = set(), []
        for contact in items:
            if contact.user.pk in allowed and contact.key not in seen:
                seen.add(contact.key)
                kept.append(contact)
        if kept:
            groups.append(ContactGroup(title, kept))
    return groups


def relation_students(user, other, school: School, today: dt.date) -> set:
    """The children a relation between the two goes through, seen from both sides (None
    for a relation through no child: staff to staff, a student's own relation to the
    administration is through himself). Empty: no relation."""
    if user.pk == getattr(other, "pk", other):
        return set()
    other_id = getattr(other, "pk", other)
    found, ids = _collect(user, school, today, only=other_id)
    students = {
        c.student.pk if c.student else None
        for contacts_ in found.groups.values()
        for c in contacts_
        if c.user.pk == other_id
    }
    if not students:
        return set()
    from accounts.models import User

    other_user = other if isinstance(other, User) else User.objects.get(pk=other_id)
    back, _ids = _collect(other_user, school, today, only=user.pk)
    students |= {
        c.student.pk if c.student else None
        for contacts_ in back.groups.values()
        for c in contacts_
        if c.user.pk == user.pk
    }
    if not _members_in_force(school, today, {other_id}):
        return set()
    return students


def may_write(user, other, school: School, today: dt.date) -> bool:
    """Whether the user may start a conversation with `other` in the school."""
    if user.pk == getattr(other, "pk", other):
        return False
    other_id = getattr(other, "pk", other)
    found, ids = _collect(user, school, today, only=other_id)
    return other_id in ids and bool(_members_in_force(school, today, {other_id}))
