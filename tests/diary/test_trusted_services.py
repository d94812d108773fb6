"""R-ROLE-5: a parent grants a named person read access to one child's diary until a date
and revokes it (accounts.trusted). The grant goes to the account with that e-mail or to a
new one (credentials log, R-ROLE-4, and an e-mail with a link to set the password); the
person's `trusted` membership follows his open grants; grants expire by themselves.

Today is Tuesday 6 October 2026 in Tomsk."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from accounts import trusted as trusted_services
from accounts.access import school_access
from accounts.models import CredentialIssue, Membership, Role, TrustedPerson, User
from accounts.permissions import can_read_student
from accounts.trusted import grant_status, trusted_grant, trusted_revoke

from .. import factories as f

TODAY = dt.date(2026, 10, 6)
NEW_YEAR = dt.date(2026, 12, 31)


def grant(people, rf, **overrides):
    fields = {
        "parent_user": people.parent,
        "school": people.lyceum,
        "student": people.student_record,
        "full_name": "Бабушкина Вера Ивановна",
        "email": "Vera.Babushkina@example.org",
        "valid_until": NEW_YEAR,
        "request": rf.get("/"),
    }
    fields.update(overrides)
    return trusted_grant(**fields)


def trusted_memberships(user):
    return list(
        Membership.objects.filter(user=user, role=Role.TRUSTED).values_list(
            "school__slug", "starts_on", "ends_on"
        )
    )


# ------------------------------------------------------------------ a new person


def test_r_role_5_new_person_gets_an_account_a_log_entry_a_membership_and_an_email(
    client, people, rf, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        given = grant(people, rf)
    user = given.user
    assert user.username == "vera.babushkina"
    assert user.email == "Vera.Babushkina@example.org"
    assert (user.last_name, user.first_name, user.middle_name) == ("Бабушкина", "Вера", "Ивановна")
    assert not user.has_usable_password()
    assert (given.student, given.full_name, given.valid_until, given.granted_by) == (
        people.student_record,
        "Бабушкина Вера Ивановна",
        NEW_YEAR,
        people.parent,
    )
    assert given.parent.user == people.parent
    # R-ROLE-4: the credentials log
    entry = CredentialIssue.objects.get(user=user)
    assert (entry.school, entry.role, entry.kind, entry.issued_by, entry.person_name) == (
        people.lyceum,
        Role.TRUSTED,
        CredentialIssue.Kind.FIRST,
        people.parent,
        "Бабушкина Вера Ивановна",
    )
    assert trusted_memberships(user) == [("lyceum", TODAY, NEW_YEAR)]
    assert can_read_student(user, people.student_record, TODAY)
    assert not can_read_student(user, people.sibling_record, TODAY)
    # the e-mail, after the commit, with a link that sets the password
    (message,) = mail.outbox
    assert message.to == ["Vera.Babushkina@example.org"]
    assert "Родителев С" in message.subject
    assert "vera.babushkina" in message.body and "31.12.2026" in message.body
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body).group(1)
    page = client.get(link)
    assert page.status_code == 302
    response = client.post(
        page.url, {"password1": "Granny-long-pass-42", "password2": "Granny-long-pass-42"}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("account_login"),
        {"login": "vera.babushkina", "password": "Granny-long-pass-42"},
    )
    assert response.status_code == 302


def test_r_role_5_the_email_waits_for_the_commit(people, rf, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        grant(people, rf)
    assert mail.outbox == [] and len(callbacks) == 1


def test_r_role_5_usernames_from_emails_do_not_collide(people, rf):
    f.UserFactory(username="vera.babushkina", email="other@example.org")
    assert grant(people, rf).user.username == "vera.babushkina2"


# ------------------------------------------------------------------ an existing account


def test_r_role_5_existing_account_gets_the_grant_and_keeps_its_other_roles(
    people, rf, django_capture_on_commit_callbacks
):
    """The teacher is also the child's grandmother: her staff membership is another row
    and stays as it was; no credentials are issued; the e-mail has no password link."""
    teacher = people.teacher
    staff_before = list(Membership.objects.filter(user=teacher).values_list("role", "ends_on"))
    with django_capture_on_commit_callbacks(execute=True):
        given = grant(people, rf, email="TEACHER@example.org")
    assert given.user == teacher
    assert User.objects.filter(email__iexact="teacher@example.org").count() == 1
    assert not CredentialIssue.objects.filter(user=teacher).exists()
    assert trusted_memberships(teacher) == [("lyceum", TODAY, NEW_YEAR)]
    staff_after = list(
        Membership.objects.filter(user=teacher)
        .exclude(role=Role.TRUSTED)
        .values_list("role", "ends_on")
    )
    assert staff_after == staff_before
    (message,) = mail.outbox
    assert "password/reset/key" not in message.body


def test_r_role_5_a_later_grant_extends_the_membership_and_revocations_shorten_it(people, rf):
    first = grant(people, rf)
    second = grant(people, rf, student=people.sibling_record, valid_until=dt.date(2027, 3, 1))
    user = first.user
    assert second.user == user
    assert trusted_memberships(user) == [("lyceum", TODAY, dt.date(2027, 3, 1))]
    # a shorter grant later does not shorten it
    trusted_revoke(actor=people.parent, grant=second)
    assert trusted_memberships(user) == [("lyceum", TODAY, NEW_YEAR)]
    assert not can_read_student(user, people.sibling_record, TODAY)
    assert can_read_student(user, people.student_record, TODAY)


def test_r_role_5_the_last_revocation_ends_the_membership_at_once(people, rf):
    """Begun today: the membership row goes (the grants are the log) and the school no
    longer lets the person in."""
    given = grant(people, rf)
    trusted_revoke(actor=people.parent, grant=given)
    given.refresh_from_db()
    assert given.revoked_by == people.parent and given.revoked_at is not None
    assert grant_status(given, TODAY, people.lyceum) == "revoked"
    assert trusted_memberships(given.user) == []
    with pytest.raises(Http404):
        school_access(given.user, "lyceum")


def test_r_role_5_a_revocation_after_some_days_ends_the_membership_yesterday(people, rf):
    given = grant(people, rf)
    with time_machine.travel(dt.datetime(2026, 10, 20, 3, 0, tzinfo=dt.UTC), tick=False):
        trusted_revoke(actor=people.parent, grant=given)
        assert trusted_memberships(given.user) == [("lyceum", TODAY, dt.date(2026, 10, 19))]
        with pytest.raises(Http404):
            school_access(given.user, "lyceum")


def test_r_role_5_grants_expire_by_themselves(people, rf):
    """The day after valid_until the grant is no longer open, the membership has ended and
    the school does not let the person in; the parent's page calls it expired."""
    given = grant(people, rf, valid_until=dt.date(2026, 10, 9))
    with time_machine.travel(dt.datetime(2026, 10, 9, 16, 0, tzinfo=dt.UTC), tick=False):
        # 23:00 on the 9th in Tomsk: still in force
        assert can_read_student(given.user, people.student_record, people.lyceum.today())
        assert school_access(given.user, "lyceum").roles == {Role.TRUSTED}
    with time_machine.travel(dt.datetime(2026, 10, 9, 17, 30, tzinfo=dt.UTC), tick=False):
        # 00:30 on the 10th in Tomsk
        today = people.lyceum.today()
        assert not can_read_student(given.user, people.student_record, today)
        with pytest.raises(Http404):
            school_access(given.user, "lyceum")
        assert grant_status(given, today, people.lyceum) == "expired"
        # an expired grant is not revoked: refused
        with pytest.raises(ValidationError):
            trusted_revoke(actor=people.parent, grant=given)
        # a new grant closes the expired one; the log keeps both
        again = grant(people, rf, valid_until=NEW_YEAR)
        given.refresh_from_db()
        assert given.revoked_at is not None
        assert grant_status(given, today, people.lyceum) == "expired"
        assert again.user == given.user and again.pk != given.pk
        assert trusted_memberships(given.user)[-1] == ("lyceum", dt.date(2026, 10, 10), NEW_YEAR)


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    "overrides",
    [
        {"valid_until": dt.date(2026, 10, 5)},
        {"valid_until": TODAY + dt.timedelta(days=367)},
        {"full_name": "   "},
        {"email": "not-an-email"},
        {"email": "parent@example.org"},  # himself
        {"email": "student@example.org"},  # the child
    ],
    ids=["past", "over-a-year", "no-name", "bad-email", "himself", "the-child"],
)
def test_r_role_5_bad_grants_are_refused_and_write_nothing(people, rf, overrides):
    users = User.objects.count()
    with pytest.raises(ValidationError):
        grant(people, rf, **overrides)
    assert not TrustedPerson.objects.exists()
    assert User.objects.count() == users
    assert not CredentialIssue.objects.exists()
    assert not Membership.objects.filter(role=Role.TRUSTED).exists()


def test_r_role_5_a_year_ahead_is_accepted(people, rf):
    assert grant(people, rf, valid_until=TODAY + dt.timedelta(days=366)).pk


def test_r_role_5_another_parent_of_the_child_is_refused(people, rf):
    father = f.UserFactory(username="father")
    f.parent_make(people.lyceum, father, people.student_record)
    with pytest.raises(ValidationError):
        grant(people, rf, email="father@example.org")


def test_r_role_5_only_a_parent_of_the_child_grants_and_revokes(people, rf):
    """R-ROLE-2: another family's child; the student himself; a teacher."""
    with pytest.raises(ValidationError):
        grant(people, rf, student=people.other_student_record)
    for user in (people.student, people.teacher):
        with pytest.raises(ValidationError):
            grant(people, rf, parent_user=user)
    given = grant(people, rf)
    other_parent = f.UserFactory(username="otherparent")
    f.parent_make(people.lyceum, other_parent, people.other_student_record)
    for user in (other_parent, people.student, people.teacher):
        with pytest.raises(ValidationError):
            trusted_revoke(actor=user, grant=given)
    given.refresh_from_db()
    assert given.revoked_at is None


def test_r_role_5_a_grant_in_force_is_not_doubled_and_revoked_twice_is_refused(people, rf):
    given = grant(people, rf)
    with pytest.raises(ValidationError):
        grant(people, rf, valid_until=dt.date(2027, 1, 31))
    trusted_revoke(actor=people.parent, grant=given)
    with pytest.raises(ValidationError):
        trusted_revoke(actor=people.parent, grant=given)
    # after a revocation a new grant may be given
    assert grant(people, rf).pk != given.pk
    assert TrustedPerson.objects.count() == 2


def test_r_role_5_both_parents_may_revoke(people, rf):
    father = f.UserFactory(username="father")
    f.parent_make(people.lyceum, father, people.student_record)
    given = grant(people, rf)
    trusted_revoke(actor=father, grant=given)
    given.refresh_from_db()
    assert given.revoked_by == father


def test_r_role_5_grant_is_atomic(people, rf, monkeypatch):
    """A failure after the account and the log entry were written leaves neither."""

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(trusted_services, "_membership_fit", broken)
    users = User.objects.count()
    with pytest.raises(RuntimeError):
        grant(people, rf)
    assert User.objects.count() == users
    assert not CredentialIssue.objects.exists()
    assert not TrustedPerson.objects.exists()
    assert mail.outbox == []
