"""Who the user is in the school of the URL. One helper per kind of object lives in each
app's views; this one resolves the school itself: 404 for a school the user has no role
in (so outsiders cannot even learn it exists), 403 for a wrong role."""

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils import timezone

from .models import LEADERSHIP_ROLES, STAFF_ROLES, Membership, Role, School

CLASS_TEACHER = "class_teacher"


@dataclass(frozen=True)
class SchoolAccess:
    school: School
    roles: frozenset[str]
    # the other schools where the user has a role today, for the school switcher
    other_schools: tuple = ()
    # what other apps asked to read with the access (see `access_annotate`), e.g. unread
    # counts for the header
    extra: dict = field(default_factory=dict)

    @property
    def is_leadership(self) -> bool:
        return bool(self.roles & LEADERSHIP_ROLES)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def only_trusted(self) -> bool:
        """A trusted person (R-ROLE-5) with no other role here: he reads a diary, no more."""
        return self.roles == {Role.TRUSTED}

    def has_any(self, roles) -> bool:
        return bool(self.roles & set(roles))


_annotations: list[Callable] = []


def access_annotate(factory: Callable) -> None:
    """Register `factory(user) -> {name: expression}`: expressions over OuterRef("school")
    read in the access query itself, so that what every page shows (the header's unread
    counts) costs no query of its own. Apps that accounts must not import register here."""
    _annotations.append(factory)


def _leads_on(user, day: dt.date) -> Exists:
    from schedule.models import SchoolClass

    return Exists(
        SchoolClass.objects.filter(
            school=OuterRef("school"),
            class_teacher=user,
            year__starts_on__lte=day,
            year__ends_on__gte=day,
        )
    )


def school_access(user, slug: str) -> SchoolAccess:
    """One query: the user's memberships of about today in every school, each with its
    school and settings, and whether he leads a class there on each of the three dates
    a school's local today can be (UTC yesterday, today, tomorrow)."""
    utc_today = timezone.now().date()
    days = [utc_today + dt.timedelta(days=d) for d in (-1, 0, 1)]
    memberships = (
        Membership.objects.filter(user=user, starts_on__lte=days[2])
        .exclude(ends_on__lt=days[0])
        .select_related("school__settings")
        .annotate(**{f"leads_{i}": _leads_on(user, day) for i, day in enumerate(days)})
        .order_by("school__short_name", "role")
    )
    extra_names = []
    for factory in _annotations:
        expressions = factory(user)
        extra_names += list(expressions)
        memberships = memberships.annotate(**expressions)
    school, roles, others, leads, extra = None, set(), {}, False, {}
    for membership in memberships:
        today = membership.school.today()
        if not membership.is_active_on(today):
            continue
        if membership.school.slug == slug:
            school = membership.school
            roles.add(membership.role)
            leads = getattr(membership, f"leads_{days.index(today)}")
            extra = {name: getattr(membership, name) for name in extra_names}
        else:
            others.setdefault(membership.school_id, membership.school)
    if school is None:
        raise Http404
    if Role.TEACHER in roles and leads:
        roles.add(CLASS_TEACHER)
    return SchoolAccess(
        school=school, roles=frozenset(roles), other_schools=tuple(others.values()), extra=extra
    )


def school_view(*roles):
    """Decorate a view taking `school_slug`: sets request.school and request.access, and
    refuses users without one of `roles` (any role in the school when none are given)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, school_slug, *args, **kwargs):
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            access = school_access(request.user, school_slug)
            if roles and not access.has_any(roles):
                raise PermissionDenied
            request.school = access.school
            request.access = access
            if request.session.get("school_id") != access.school.pk:
                request.session["school_id"] = access.school.pk
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
