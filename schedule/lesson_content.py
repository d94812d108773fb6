"""Which dated lessons hold work that a timetable change must not rewrite (R-TT-4).

The schedule app knows its own content (a planned control work, a replacement or a
cancellation); the journal adds topics, attendance and marks by registering a check in its
AppConfig.ready(), so that schedule never imports journal."""

from collections.abc import Callable

from django.db.models import Q, QuerySet

ContentCheck = Callable[[QuerySet], QuerySet]

_checks: list[ContentCheck] = []


def register(check: ContentCheck) -> ContentCheck:
    """`check(lessons)` returns the lessons among `lessons` that have content."""
    if check not in _checks:
        _checks.append(check)
    return check


@register
def _schedule_content(lessons: QuerySet) -> QuerySet:
    return lessons.filter(~Q(control_work="") | Q(substitute__isnull=False) | Q(is_cancelled=True))


def lesson_ids_with_content(lessons: QuerySet) -> set[int]:
    """One query per registered check."""
    ids: set[int] = set()
    for check in _checks:
        ids.update(check(lessons).values_list("pk", flat=True))
    return ids
