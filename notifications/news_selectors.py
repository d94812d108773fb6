"""Who reads which class's news and which events of the calendar (R-NOT-4), and the lists the
news and events pages show. Each function costs a fixed number of queries, stated in its
docstring, whatever the number of classes, posts or events.

Readers of a class's feed: its students (enrolled today), their parents and trusted persons
(a grant in force), the class's teachers (the class teacher and anyone with a teaching load
in one of its groups) and the school's leadership (director, deputies, administrator).
Writers: the class teacher of the class (while a teacher of the school) and the leadership.

Events: staff see every published event; students, parents and trusted persons see the
whole-school events and those of their (children's) classes."""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.db.models.functions import Coalesce

from accounts.access import SchoolAccess
from accounts.models import STAFF_ROLES, ParentLink, Role, School, TrustedPerson
from schedule.models import AcademicYear, Enrolment, SchoolClass, TeachingLoad

from .models import NewsPost, SchoolEvent

FAMILY_ROLES = frozenset({Role.STUDENT, Role.PARENT, Role.TRUSTED})
TEACHING_ROLES = frozenset({Role.TEACHER, Role.SUBSTITUTE})
NEWS_PAGE_SIZE = 20


# ------------------------------------------------------------------ who


def family_students(access: SchoolAccess, user, today: dt.date) -> Q | None:
    """A filter on students: the user himself (a student), his children (a parent), the
    children he holds a grant in force for (a trusted person). None when he is none of
    these. No query."""
    school = access.school
    parts = []
    if Role.STUDENT in access.roles:
        parts.append(Q(student__user=user))
    if Role.PARENT in access.roles:
        children = ParentLink.objects.filter(school=school, parent__user=user).values("student")
        parts.append(Q(student__in=children))
    if Role.TRUSTED in access.roles:
        granted = TrustedPerson.objects.filter(
            school=school, user=user, revoked_at__isnull=True, valid_until__gte=today
        ).values("student")
        parts.append(Q(student__in=granted))
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def family_enrolments(access: SchoolAccess, user, today: dt.date):
    """Today's enrolments of the user's own students (himself, his children, the children
    in his trust), with the student and the class. One query; None for a user with no
    family role."""
    students = family_students(access, user, today)
    if students is None:
        return None
    return (
        Enrolment.objects.filter(school=access.school)
        .active_on(today)
        .filter(students)
        .select_related("student", "school_class__class_teacher")
        .order_by("school_class__grade", "school_class__letter", "student__last_name")
    )


def _current_year(school: School, today: dt.date):
    """The year containing today, or the next one (summer): a subquery."""
    return (
        AcademicYear.objects.filter(school=school, ends_on__gte=today)
        .order_by("starts_on")
        .values("pk")[:1]
    )


def _teaches_class(user):
    return Exists(TeachingLoad.objects.filter(group__school_class=OuterRef("pk"), teacher=user))


def staff_classes(access: SchoolAccess, user, today: dt.date):
    """The classes of the current year whose news a staff member reads: all of them for the
    leadership, his own (class teacher, teaching load) for a teacher. One query; None for a
    user without a staff role."""
    if not access.is_staff:
        return None
    classes = SchoolClass.objects.filter(
        school=access.school, year=_current_year(access.school, today)
    ).select_related("class_teacher")
    if not access.is_leadership:
        mine = _teaches_class(user)
        if Role.TEACHER in access.roles:
            mine |= Q(class_teacher=user)
        classes = classes.filter(mine)
    return classes.order_by("grade", "letter")


def may_write_class_news(access: SchoolAccess, user, school_class: SchoolClass) -> bool:
    """The class teacher of the class (a teacher of the school) or the leadership. No
    query."""
    if access.is_leadership:
        return True
    return Role.TEACHER in access.roles and school_class.class_teacher_id == user.pk


def may_read_class_news(
    access: SchoolAccess, user, school_class: SchoolClass, today: dt.date
) -> bool:
    """A writer, a teacher of the class, or a student of the class, his parent or trusted
    person. At most one query."""
    if may_write_class_news(access, user, school_class):
        return True
    conditions = []
    if access.roles & TEACHING_ROLES:
        conditions.append(_teaches_class(user))
    students = family_students(access, user, today)
    if students is not None:
        enrolled = (
            Enrolment.objects.filter(school_class=OuterRef("pk")).active_on(today).filter(students)
        )
        conditions.append(Exists(enrolled))
    if not conditions:
        return False
    condition = Q()
    for part in conditions:
        condition |= part
    return SchoolClass.objects.filter(pk=school_class.pk).filter(condition).exists()


# ------------------------------------------------------------------ news


@dataclass
class FeedClass:
    """A class on the news index: its feed's link, and the children of the user in it."""

    school_class: SchoolClass
    children: list = field(default_factory=list)
    can_write: bool = False


def news_classes(access: SchoolAccess, user, today: dt.date) -> list[FeedClass]:
    """The classes whose feeds the user reads: his staff classes and his family's classes.
    One query per kind of role he has (staff, family): at most two."""
    by_id: dict[int, FeedClass] = {}
    staff = staff_classes(access, user, today)
    if staff is not None:
        for school_class in staff:
            by_id[school_class.pk] = FeedClass(
                school_class, can_write=may_write_class_news(access, user, school_class)
            )
    enrolments = family_enrolments(access, user, today)
    if enrolments is not None:
        for enrolment in enrolments:
            school_class = enrolment.school_class
            entry = by_id.setdefault(
                school_class.pk,
                FeedClass(school_class, can_write=may_write_class_news(access, user, school_class)),
            )
            if enrolment.student.user_id != user.pk:
                entry.children.append(enrolment.student)
    return sorted(by_id.values(), key=lambda e: (e.school_class.grade, e.school_class.letter))


def news_posts(school: School, class_ids):
    """The posts of the classes, newest first, with their class and author, for a
    paginator: a count and a page, two queries (none for no class)."""
    return (
        NewsPost.objects.filter(school=school, school_class__in=list(class_ids))
        .select_related("school_class", "author")
        .order_by("-published_at", "-pk")
    )


# ------------------------------------------------------------------ events


def month_bounds(school: School, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The first moment of the month and of the next one, in the school's time zone."""
    first = dt.datetime(month.year, month.month, 1, tzinfo=school.tz)
    days = calendar.monthrange(month.year, month.month)[1]
    return first, first + dt.timedelta(days=days)


def _classes_prefetch():
    return Prefetch("classes", queryset=SchoolClass.objects.order_by("grade", "letter"))


def month_events(access: SchoolAccess, user, month: dt.date, today: dt.date):
    """The published events of the month (those that start in it or go on into it) the
    user may see, by start, with their classes: two queries."""
    school = access.school
    start, end = month_bounds(school, month)
    events = (
        SchoolEvent.objects.filter(school=school, status=SchoolEvent.Status.APPROVED)
        .alias(until=Coalesce("ends_at", "starts_at"))
        .filter(starts_at__lt=end, until__gte=start)
        .prefetch_related(_classes_prefetch())
        .order_by("starts_at", "pk")
    )
    if access.has_any(STAFF_ROLES):
        return events
    through = SchoolEvent.classes.through
    for_classes = Exists(through.objects.filter(schoolevent=OuterRef("pk")))
    students = family_students(access, user, today)
    if students is None:
        return events.filter(~for_classes)
    family_classes = (
        Enrolment.objects.filter(school=school).active_on(today).filter(students)
    ).values("school_class")
    mine = Exists(
        through.objects.filter(schoolevent=OuterRef("pk"), schoolclass__in=family_classes)
    )
    return events.filter(~for_classes | mine)


def events_awaiting(school: School):
    """The administration's queue: proposals awaiting a decision, soonest first, with
    the proposer and the classes. Two queries."""
    return (
        SchoolEvent.objects.filter(school=school, status=SchoolEvent.Status.PROPOSED)
        .select_related("proposed_by")
        .prefetch_related(_classes_prefetch())
        .order_by("starts_at", "pk")
    )


def events_proposed_by(school: School, user, limit: int = 50):
    """The user's own proposals, newest first, with their status and the decision. Two
    queries."""
    return (
        SchoolEvent.objects.filter(school=school, proposed_by=user)
        .select_related("decided_by")
        .prefetch_related(_classes_prefetch())
        .order_by("-proposed_at", "-pk")[:limit]
    )


def events_decided(school: School, limit: int = 20):
    """The latest decisions of the administration, for the queue page. Two queries."""
    return (
        SchoolEvent.objects.filter(school=school)
        .exclude(status=SchoolEvent.Status.PROPOSED)
        .select_related("proposed_by", "decided_by")
        .prefetch_related(_classes_prefetch())
        .order_by("-decided_at", "-pk")[:limit]
    )


def event_classes_choices(school: School, today: dt.date):
    """The classes an event may be for: the current year's. A queryset for a form."""
    return SchoolClass.objects.filter(school=school, year=_current_year(school, today)).order_by(
        "grade", "letter"
    )
