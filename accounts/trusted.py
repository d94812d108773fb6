"""Trusted persons (R-ROLE-5): a parent lets a named person (a grandmother, a nanny) read
one child's diary until a date, and may revoke it at any time.

Decisions:

- **The grant is the right.** Reading a child's diary as a trusted person needs an *open*
  grant: not revoked and `valid_until` not before the school's local today
  (accounts.permissions.can_read_student reads exactly that). The rows are the log: a
  revoked grant keeps who revoked it and when; an expired one stays as it was.
- **The membership only lets the person in.** The person's account gets one `trusted`
  membership in the school, from the day of the first grant until the latest
  `valid_until` of his open grants there; a later grant extends it, a revocation shortens
  it, and the last revocation ends it at once. The role opens nothing but the diaries of
  the children he holds a grant for; his other memberships (a teacher who is also a
  grandmother) are separate rows and never touched.
- **Until when.** At most a year from today: a delegation is reviewed at least once a
  year, and a fixed limit does not cut short a grant made in May, as the end of the
  academic year would.
- **Whose account.** An account with that e-mail (one, case-insensitive) gets the grant;
  otherwise an account is created with the login taken from the e-mail and no password,
  the creation is written to the credentials log (R-ROLE-4), and an e-mail with a link to
  set the password leaves after the commit. The child himself and his own parents are
  refused: they read the diary already.
- **One open grant per person and child** (a database constraint). While one is in
  force, a new one is refused (revoke it first); an expired one is closed when a new one
  is made, so the log keeps both.
"""

import datetime as dt
import re

from allauth.account.adapter import get_adapter
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.core.context import request_context
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import (
    CredentialIssue,
    Membership,
    Parent,
    ParentLink,
    Role,
    School,
    Student,
    TrustedPerson,
    User,
)

MAX_GRANT_DAYS = 366


def open_grants(on: dt.date) -> Q:
    """Grants in force on the date (the meaning can_read_student uses)."""
    return Q(revoked_at__isnull=True, valid_until__gte=on)


def grant_status(grant: TrustedPerson, today: dt.date, school: School) -> str:
    """ "active", "revoked" (by a parent, while it was in force) or "expired"."""
    if grant.revoked_at is not None and school.local(grant.revoked_at).date() <= grant.valid_until:
        return "revoked"
    if grant.revoked_at is None and grant.valid_until >= today:
        return "active"
    return "expired"


def _username_from_email(email: str) -> str:
    local = email.split("@", 1)[0].lower()
    base = re.sub(r"[^a-z0-9._-]", "", local).strip("._-")[:120] or "trusted"
    taken = {
        name.lower()
        for name in User.objects.filter(username__istartswith=base).values_list(
            "username", flat=True
        )
    }
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def _split_name(full_name: str) -> tuple[str, str, str]:
    parts = full_name.split()
    last = parts[0] if parts else ""
    first = parts[1] if len(parts) > 1 else ""
    middle = " ".join(parts[2:])
    return last[:150], first[:150], middle[:150]


def _membership_fit(*, user: User | int, school: School, today: dt.date) -> None:
    """Make the user's trusted membership cover today .. the latest valid_until of his open
    grants in the school, or end it when none is left."""
    until = TrustedPerson.objects.filter(open_grants(today), school=school, user=user).aggregate(
        until=Max("valid_until")
    )["until"]
    current = (
        Membership.objects.select_for_update()
        .filter(user=user, school=school, role=Role.TRUSTED)
        .active_on(today)
        .order_by("-starts_on")
        .first()
    )
    if until is None:
        if current is None:
            return
        if current.starts_on < today:
            current.ends_on = today - dt.timedelta(days=1)
            current.save(update_fields=["ends_on"])
        else:
            current.delete()  # begun today: nothing of it remains; the grants are the log
        return
    if current is None:
        Membership.objects.create(
            user=user, school=school, role=Role.TRUSTED, starts_on=today, ends_on=until
        )
    elif current.ends_on != until:
        current.ends_on = until
        current.save(update_fields=["ends_on"])


def _mail_text(
    *, grant: TrustedPerson, parent_user: User, user: User, set_password_url: str | None
) -> tuple[str, str]:
    school = grant.school
    with translation.override(django_settings.LANGUAGE_CODE):
        subject = _("Access to the electronic diary of %(student)s") % {
            "student": grant.student.short_name
        }
        lines = [
            _("Hello, %(name)s.") % {"name": grant.full_name},
            "",
            _(
                "%(parent)s has given you access to the electronic diary of %(student)s "
                "(%(school)s) until %(date)s."
            )
            % {
                "parent": parent_user.full_name,
                "student": grant.student.short_name,
                "school": school.name,
                "date": grant.valid_until.strftime("%d.%m.%Y"),
            },
            "",
            _("Your login: %(username)s") % {"username": user.get_username()},
        ]
        if set_password_url:
            lines += [
                _("Set your password by this link (it works for a few days):"),
                set_password_url,
                _("If the link has expired, use «Forgot password?» on the login page."),
            ]
        subject = getattr(django_settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "") + subject
    return subject, "\n".join(lines)


def _set_password_url(user: User, request) -> str:
    """allauth's own password-reset link (the page the login page's «Forgot password?»
    leads to), absolute through the given request or allauth's request of the view."""
    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    if request is None:
        return get_adapter().get_reset_password_from_key_url(key)
    with request_context(request):
        return get_adapter().get_reset_password_from_key_url(key)


def _user_for_email(email: str) -> User | None:
    users = list(User.objects.filter(email__iexact=email)[:2])
    if len(users) > 1:
        raise ValidationError(
            _("Several accounts have this e-mail. Ask the school which account the person uses.")
        )
    return users[0] if users else None


@transaction.atomic
def trusted_grant(
    *,
    parent_user: User,
    school: School,
    student: Student,
    full_name: str,
    email: str,
    valid_until: dt.date,
    request=None,
) -> TrustedPerson:
    """Give the person with the e-mail read access to the child's diary until the date
    (R-ROLE-5). `request` builds the absolute link of the e-mail (allauth's request of
    the running view when not given)."""
    today = school.today()
    full_name = " ".join(full_name.split())
    email = email.strip()
    if student.school_id != school.pk:
        raise ValidationError(_("The student is not of this school."))
    parent = Parent.objects.filter(school=school, user=parent_user).first()
    if (
        parent is None
        or not ParentLink.objects.filter(school=school, parent=parent, student=student).exists()
    ):
        raise ValidationError(_("Only a parent of the child may give access to his diary."))
    if not full_name:
        raise ValidationError({"full_name": _("Enter the person's full name.")})
    if len(full_name) > 300:
        raise ValidationError({"full_name": _("The name is too long.")})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if valid_until < today:
        raise ValidationError({"valid_until": _("The date has passed.")})
    latest = today + dt.timedelta(days=MAX_GRANT_DAYS)
    if valid_until > latest:
        raise ValidationError(
            {
                "valid_until": _("At most a year ahead: until %(date)s.")
                % {"date": latest.strftime("%d.%m.%Y")}
            }
        )

    user = _user_for_email(email)
    created = user is None
    if user is not None:
        if user.pk == parent_user.pk:
            raise ValidationError({"email": _("This is your own e-mail.")})
        if user.pk == student.user_id:
            raise ValidationError(
                {"email": _("This is the child's own account: he reads his diary already.")}
            )
        if ParentLink.objects.filter(school=school, student=student, parent__user=user).exists():
            raise ValidationError(
                {"email": _("This is a parent of the child: he reads the diary already.")}
            )
        if not user.is_active:
            raise ValidationError({"email": _("This account is blocked. Ask the school.")})
        held = (
            TrustedPerson.objects.select_for_update()
            .filter(school=school, student=student, user=user, revoked_at__isnull=True)
            .first()
        )
        if held is not None and held.valid_until >= today:
            raise ValidationError(
                _(
                    "%(name)s already has access to this diary until %(date)s. Revoke it "
                    "first to give another date."
                )
                % {"name": held.full_name, "date": held.valid_until.strftime("%d.%m.%Y")}
            )
        if held is not None:
            # expired: closed so the log keeps it beside the new one
            held.revoked_at, held.revoked_by = timezone.now(), parent_user
            held.save(update_fields=["revoked_at", "revoked_by"])
    else:
        last, first, middle = _split_name(full_name)
        user = User(
            username=_username_from_email(email),
            email=email,
            last_name=last,
            first_name=first,
            middle_name=middle,
        )
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        CredentialIssue.objects.create(
            school=school,
            user=user,
            person_name=full_name,
            role=Role.TRUSTED,
            kind=CredentialIssue.Kind.FIRST,
            issued_by=parent_user,
        )

    grant = TrustedPerson.objects.create(
        school=school,
        student=student,
        parent=parent,
        user=user,
        full_name=full_name,
        valid_until=valid_until,
        granted_by=parent_user,
    )
    _membership_fit(user=user, school=school, today=today)

    link = _set_password_url(user, request) if created else None
    subject, body = _mail_text(
        grant=grant, parent_user=parent_user, user=user, set_password_url=link
    )
    recipient = user.email
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]))
    return grant


@transaction.atomic
def trusted_revoke(*, actor: User, grant: TrustedPerson) -> TrustedPerson:
    """A parent of the child ends the grant now; the person's trusted membership in the
    school ends with his last open grant there."""
    school = grant.school
    today = school.today()
    if not ParentLink.objects.filter(
        school=grant.school_id, student=grant.student_id, parent__user=actor
    ).exists():
        raise ValidationError(_("Only a parent of the child may revoke the access."))
    grant = TrustedPerson.objects.select_for_update().get(pk=grant.pk)
    grant.school = school
    if grant.revoked_at is not None:
        raise ValidationError(_("The access has been revoked already."))
    if grant.valid_until < today:
        raise ValidationError(_("The access has expired already."))
    grant.revoked_at, grant.revoked_by = timezone.now(), actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    _membership_fit(user=grant.user_id, school=school, today=today)
    return grant
