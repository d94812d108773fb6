"""Writes for schools and people. Each function checks its rule and writes in one
transaction."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from .models import Membership, Municipality, Role, School, SchoolSettings, User, WorkType

# R-LES-3 / R-MRK-2 / R-MRK-5: the regulation's work types, weights and long checks.
DEFAULT_WORK_TYPES = [
    # code, name, weight, double mark, control-type, check days, grades of the long check
    ("answer", "Ответ на уроке", "1", False, False, None, ""),
    ("homework", "Домашняя работа", "1", False, False, None, ""),
    ("independent", "Самостоятельная работа", "1.5", False, True, 1, ""),
    ("test", "Тест", "1.5", False, True, 1, ""),
    ("dictation", "Диктант", "2", True, True, 1, ""),
    ("laboratory", "Лабораторная работа", "2", False, True, 1, ""),
    ("practical", "Практическая работа", "2", False, True, 1, ""),
    ("control", "Контрольная работа", "3", False, True, 7, "10,11"),
    ("exposition", "Изложение", "2", True, True, 7, "9"),
    ("essay", "Сочинение", "3", True, True, 14, "10,11"),
]


@transaction.atomic
def school_create(
    *,
    name: str,
    short_name: str,
    slug: str,
    municipality: Municipality,
    time_zone: str,
    address: str = "",
    **settings_fields,
) -> School:
    """A school always has its settings and the default work types (R-TEN-3)."""
    school = School(
        name=name,
        short_name=short_name,
        slug=slug,
        municipality=municipality,
        time_zone=time_zone,
        address=address,
    )
    school.full_clean()
    school.save()
    school_defaults_ensure(school=school, **settings_fields)
    return school


def school_defaults_ensure(*, school: School, **settings_fields) -> None:
    SchoolSettings.objects.get_or_create(school=school, defaults=settings_fields)
    if not WorkType.objects.filter(school=school).exists():
        WorkType.objects.bulk_create(
            WorkType(
                school=school,
                code=code,
                name=name,
                weight=Decimal(weight),
                double_mark=double,
                is_control=control,
                check_days=days,
                check_days_grades=grades,
                position=i,
            )
            for i, (code, name, weight, double, control, days, grades) in enumerate(
                DEFAULT_WORK_TYPES
            )
        )


def membership_grant(
    *, user: User, school: School, role: Role, starts_on: dt.date, position: str = ""
) -> Membership:
    """Give a role from a date; an open membership of the same role is kept, not doubled."""
    existing = (
        Membership.objects.filter(user=user, school=school, role=role).active_on(starts_on).first()
    )
    if existing:
        return existing
    membership = Membership(
        user=user, school=school, role=role, starts_on=starts_on, position=position
    )
    membership.full_clean()
    membership.save()
    return membership
