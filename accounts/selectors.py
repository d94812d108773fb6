import datetime as dt
from dataclasses import dataclass, field

from django.utils import timezone

from .models import CoordinatorAssignment, Membership, ParentApplication, School


@dataclass
class SchoolChoice:
    school: School
    roles: list[str] = field(default_factory=list)


def user_schools(user) -> list[SchoolChoice]:
    """The schools where the user has a role today (each school's own today), with the
    roles named; one query."""
    utc_today = timezone.now().date()
    memberships = (
        Membership.objects.filter(user=user, starts_on__lte=utc_today + dt.timedelta(days=1))
        .exclude(ends_on__lt=utc_today - dt.timedelta(days=1))
        .select_related("school")
        .order_by("school__short_name", "role")
    )
    choices: dict[int, SchoolChoice] = {}
    for m in memberships:
        if not m.is_active_on(m.school.today()):
            continue
        choice = choices.setdefault(m.school_id, SchoolChoice(school=m.school))
        choice.roles.append(m.get_role_display())
    return list(choices.values())


def is_coordinator(user) -> bool:
    return CoordinatorAssignment.objects.filter(user=user).active_on(timezone.now().date()).exists()


def latest_applications(parent_ids) -> dict[int, ParentApplication]:
    """Each parent's latest application (R-ROLE-7), in one query."""
    latest: dict[int, ParentApplication] = {}
    for application in ParentApplication.objects.filter(parent_id__in=parent_ids).order_by(
        "parent_id", "-received_on", "-recorded_at", "-pk"
    ):
        latest.setdefault(application.parent_id, application)
    return latest
