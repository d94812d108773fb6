"""Writes for schools and people. Each function checks its rule and writes in one
transaction."""

import datetime as dt
import itertools
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    CredentialIssue,
    Membership,
    Municipality,
    Parent,
    ParentApplication,
    Role,
    School,
    SchoolSettings,
    Student,
    User,
    WorkType,
)
from .selectors import latest_applications

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


# Logins are Latin: typed on phones with any keyboard. Russian and Kazakh letters.
TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
        "з": "z", "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
        "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu",
        "я": "ia", "ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u",
        "һ": "h", "і": "i",
    }
)  # fmt: skip
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_ISSUE_BATCH = 30  # each password hash takes ~0.3 s: keep one request well under 30 s


def username_suggest(last_name: str, first_name: str) -> str:
    """ivanov.petr, or ivanov.petr2 … when taken."""

    def latin(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower().translate(TRANSLIT))

    base = f"{latin(last_name)}.{latin(first_name)}".strip(".") or "user"
    taken = set(User.objects.filter(username__istartswith=base).values_list("username", flat=True))
    taken = {name.lower() for name in taken}
    if base not in taken:
        return base
    return next(f"{base}{n}" for n in itertools.count(2) if f"{base}{n}" not in taken)


def password_generate(length: int = 10) -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class IssuedCredentials:
    person: Student | Parent
    role: Role
    username: str
    password: str
    kind: str


@transaction.atomic
def credentials_issue(
    *, actor: User, people: list[Student | Parent], request_note: str = ""
) -> list[IssuedCredentials]:
    """Give students and parents their login and a new password (R-ROLE-4), all or none.

    A person without an account gets one, with the student or parent role in his school
    from today; a person who has one gets a new password, which needs the number and date
    of his written request. Every issue is written to the credentials log."""
    if not people:
        raise ValidationError(_("Choose whom to issue credentials to."))
    if len(people) > MAX_ISSUE_BATCH:
        raise ValidationError(
            _("At most %(n)s people at once: passwords take time to protect.")
            % {"n": MAX_ISSUE_BATCH}
        )
    request_note = request_note.strip()
    if any(p.user_id for p in people) and not request_note:
        raise ValidationError(
            _(
                "Some of them already have a login: a new password is issued only on a written "
                "request. Enter its number and date."
            )
        )
    parents = [p for p in people if isinstance(p, Parent)]
    applications = latest_applications([p.pk for p in parents])
    without = [
        p.full_name
        for p in parents
        if getattr(applications.get(p.pk), "decision", None) != ParentApplication.Decision.ACCEPTED
    ]
    if without:
        raise ValidationError(
            _(
                "A parent gets a login only after his signed application with a consent to "
                "personal data processing is accepted. No such application: %(names)s."
            )
            % {"names": ", ".join(without)}
        )
    issued = []
    now = timezone.now()
    for person in people:
        role = Role.STUDENT if isinstance(person, Student) else Role.PARENT
        password = password_generate()
        if person.user_id is None:
            user = User(
                username=username_suggest(person.last_name, person.first_name),
                last_name=person.last_name,
                first_name=person.first_name,
                middle_name=person.middle_name,
                email=getattr(person, "email", ""),
            )
            user.set_password(password)
            user.save()
            person.user = user
            person.save(update_fields=["user"])
            membership_grant(
                user=user, school=person.school, role=role, starts_on=person.school.today()
            )
            kind = CredentialIssue.Kind.FIRST
        else:
            user = person.user
            user.set_password(password)
            user.save(update_fields=["password"])
            kind = CredentialIssue.Kind.RESTORE
        CredentialIssue.objects.create(
            school=person.school,
            user=user,
            person_name=person.full_name,
            role=role,
            kind=kind,
            request_note=request_note if kind == CredentialIssue.Kind.RESTORE else "",
            issued_by=actor,
            issued_at=now,
        )
        issued.append(IssuedCredentials(person, role, user.username, password, kind))
    return issued


@transaction.atomic
def parent_application_record(
    *,
    actor: User,
    parent: Parent,
    received_on: dt.date,
    decision: str,
    pd_consent: bool,
    number: str = "",
    reason: str = "",
) -> ParentApplication:
    """Record a parent's application and the school's decision (R-ROLE-7)."""
    application = ParentApplication(
        school=parent.school,
        parent=parent,
        received_on=received_on,
        number=number.strip(),
        pd_consent=pd_consent,
        decision=decision,
        reason=reason.strip(),
        recorded_by=actor,
    )
    application.full_clean()
    application.save()
    return application


def staff_credentials_log(*, actor: User, user: User, school: School) -> CredentialIssue | None:
    """A staff account the school admin has just created with a password is a first issue
    (R-ROLE-4); it is logged under the person's role in the school."""
    membership = Membership.objects.filter(user=user, school=school).order_by("starts_on").first()
    if membership is None or not user.has_usable_password():
        return None
    return CredentialIssue.objects.create(
        school=school,
        user=user,
        person_name=user.full_name,
        role=membership.role,
        kind=CredentialIssue.Kind.FIRST,
        issued_by=actor,
    )
