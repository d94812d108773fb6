"""Who the user is in the school of the URL. One helper per kind of object lives in each
app's views; this one resolves the school itself: 404 for a school the user has no role
in (so outsiders cannot even learn it exists), 403 for a wrong role."""

import functools
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import LEADERSHIP_ROLES, STAFF_ROLES, Membership, Role, School

CLASS_TEACHER = "class_teacher"


@dataclass(frozen=True)
class SchoolAccess:
    school: School
    roles: frozenset[str]

    @property
    def is_leadership(self) -> bool:
        return bool(self.roles & LEADERSHIP_ROLES)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def has_any(self, roles) -> bool:
        return bool(self.roles & set(roles))


def school_access(user, slug: str) -> SchoolAccess:
    school = get_object_or_404(School.objects.select_related("settings"), slug=slug)
    today = school.today()
    roles = set(
        Membership.objects.filter(user=user, school=school)
        .active_on(today)
        .values_list("role", flat=True)
    )
    if not roles:
        raise Http404
    if (
        Role.TEACHER in roles
        and user.led_classes.filter(
            school=school, year__starts_on__lte=today, year__ends_on__gte=today
        ).exists()
    ):
        roles.add(CLASS_TEACHER)
    return SchoolAccess(school=school, roles=frozenset(roles))


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
            request.session["school_id"] = access.school.pk
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
