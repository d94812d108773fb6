"""R-ROLE-5 pages: the parent's trusted persons (his children, the grants of each as a log,
a form for a new one, revocation); the trusted person's home page lists the diaries shared
with him; the school admin reads the grants in the admin. Access: parents only (403 for
others), another family's child or grant 404, another school 404, wrong methods 405."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import CredentialIssue, Membership, Role, TrustedPerson

from .. import factories as f

URL = reverse("diary_trusted", args=["lyceum"])


def revoke_url(grant, school="lyceum"):
    return reverse("diary_trusted_revoke", args=[school, grant.pk])


def form(people, **fields):
    data = {
        "full_name": "Бабушкина Вера Ивановна",
        "email": "vera@example.org",
        "student": people.student_record.pk,
        "valid_until": "2026-12-31",
    }
    data.update(fields)
    return data


def statuses(text: str, child) -> list[str]:
    section = re.search(
        rf'<section class="card" data-testid="child-{child.pk}">.*?</section>', text, re.S
    )
    assert section, f"no section for {child}"
    return re.findall(r'data-testid="grant" data-status="(\w+)"', section.group(0))


def test_r_role_5_parent_sees_each_childs_grants_as_a_log(client, people, diary):
    """The diary fixture: an open, a revoked and an expired grant for the student."""
    client.force_login(people.parent)
    response = client.get(URL)
    assert response.status_code == 200
    text = response.content.decode()
    assert sorted(statuses(text, people.student_record)) == ["active", "expired", "revoked"]
    assert statuses(text, people.sibling_record) == []
    assert "Больше никто не видит этот дневник." in text
    assert revoke_url(TrustedPerson.objects.get(user=diary.trusted)) in text
    for user in (diary.trusted_revoked, diary.trusted_expired):
        assert revoke_url(TrustedPerson.objects.get(user=user)) not in text
    assert 'data-testid="grant-form"' in text
    assert "Другов" not in text  # another family's child and grants


def test_r_role_5_parent_gives_access(client, people, django_capture_on_commit_callbacks):
    client.force_login(people.parent)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, form(people))
    assert response.status_code == 302 and response.url == URL
    grant = TrustedPerson.objects.get()
    assert (grant.student, grant.user.email, grant.valid_until) == (
        people.student_record,
        "vera@example.org",
        dt.date(2026, 12, 31),
    )
    assert CredentialIssue.objects.filter(user=grant.user, role=Role.TRUSTED).exists()
    assert Membership.objects.filter(user=grant.user, role=Role.TRUSTED).exists()
    (message,) = mail.outbox
    assert "http://testserver/accounts/password/reset/key/" in message.body
    text = client.get(URL).content.decode()
    assert "может читать дневник" in text and "vera@example.org" in text
    assert statuses(text, people.student_record) == ["active"]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"valid_until": "2026-10-05"}, "Эта дата уже прошла."),
        ({"valid_until": "2028-01-01"}, "Не более чем на год вперёд"),
        ({"email": "parent@example.org"}, "Это ваш собственный адрес."),
        ({"email": "nonsense"}, "Введите правильный адрес электронной почты."),
        ({"full_name": ""}, "Обязательное поле."),
    ],
)
def test_r_role_5_bad_input_is_said_on_the_page(client, people, fields, message):
    client.force_login(people.parent)
    response = client.post(URL, form(people, **fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TrustedPerson.objects.exists()


def test_r_role_5_a_grant_in_force_is_not_doubled(client, people, diary):
    client.force_login(people.parent)
    response = client.post(URL, form(people, email="granny@example.org"))
    assert response.status_code == 400
    assert "Чтобы изменить срок, сначала отзовите его." in response.content.decode()


def test_r_role_2_another_familys_child_is_404(client, people, diary):
    client.force_login(people.parent)
    response = client.post(URL, form(people, student=people.other_student_record.pk))
    assert response.status_code == 404
    assert not TrustedPerson.objects.filter(student=people.other_student_record).exists()
    client.force_login(diary.other_parent)
    grant = TrustedPerson.objects.get(user=diary.trusted)
    assert client.post(revoke_url(grant)).status_code == 404
    assert client.post(URL, form(people)).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_r_role_5_parent_revokes(client, people, diary):
    grant = TrustedPerson.objects.get(user=diary.trusted)
    client.force_login(people.parent)
    response = client.post(revoke_url(grant))
    assert response.status_code == 302 and response.url == URL
    grant.refresh_from_db()
    assert grant.revoked_by == people.parent
    # his membership (begun 1 September) ended yesterday: the school no longer lets him in
    assert Membership.objects.get(user=diary.trusted, role=Role.TRUSTED).ends_on == dt.date(
        2026, 10, 5
    )
    text = client.get(URL).content.decode()
    assert "больше не видит дневник" in text
    client.force_login(diary.trusted)
    assert client.get(reverse("school_home", args=["lyceum"])).status_code == 404
    # an expired grant cannot be revoked: said on the page
    client.force_login(people.parent)
    expired = TrustedPerson.objects.get(user=diary.trusted_expired)
    response = client.post(revoke_url(expired), follow=True)
    assert "Срок доступа уже истёк." in response.content.decode()


@pytest.mark.parametrize("who", ["student", "teacher", "class_teacher", "admin", "trusted"])
def test_others_get_403(client, people, diary, who):
    user = diary.trusted if who == "trusted" else getattr(people, who)
    client.force_login(user)
    grant = TrustedPerson.objects.get(user=diary.trusted)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form(people)).status_code == 403
    assert client.post(revoke_url(grant)).status_code == 403
    assert TrustedPerson.objects.count() == 3


def test_foreign_school_is_404(client, people, diary):
    client.force_login(people.parent)
    assert client.get(reverse("diary_trusted", args=["gymnasium"])).status_code == 404
    grant = TrustedPerson.objects.get(user=diary.trusted)
    assert client.post(revoke_url(grant, school="gymnasium")).status_code == 404
    client.force_login(people.outsider)
    assert client.get(URL).status_code == 404


def test_wrong_methods_are_405(client, people, diary):
    client.force_login(people.parent)
    assert client.put(URL).status_code == 405
    assert client.get(revoke_url(TrustedPerson.objects.get(user=diary.trusted))).status_code == 405


def test_page_query_count_does_not_grow_with_grants(client, people, diary):
    """The session's user, the memberships (school_view), the children, the grants with
    their accounts: the same with 3 grants or 9."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people.parent)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    parent_record = people.student_record.parent_links.get().parent
    for n in range(6):
        user = f.UserFactory(username=f"aunt{n}")
        TrustedPerson.objects.create(
            school=people.lyceum,
            student=people.sibling_record,
            parent=parent_record,
            user=user,
            full_name=f"Тётя {n}",
            valid_until=dt.date(2026, 12, 1),
            granted_by=people.parent,
        )
    with CaptureQueriesContext(connection) as many:
        text = client.get(URL).content.decode()
    assert len(statuses(text, people.sibling_record)) == 6
    assert len(many) == len(few)


# ------------------------------------------------------------------ the trusted person


def test_r_role_5_trusted_person_home_lists_the_shared_diaries(client, people, diary):
    client.force_login(diary.trusted)
    response = client.get(reverse("school_home", args=["lyceum"]))
    assert response.status_code == 200
    text = response.content.decode()
    section = re.search(r'<section [^>]*data-testid="shared-diaries">.*?</section>', text, re.S)
    assert section
    assert reverse("diary_week", args=["lyceum", people.student_record.pk]) in section.group(0)
    assert "31.12.2026" in section.group(0)
    # a parent has no such section
    client.force_login(people.parent)
    assert (
        'data-testid="shared-diaries"'
        not in client.get(reverse("school_home", args=["lyceum"])).content.decode()
    )


def test_r_role_5_revoked_person_with_a_membership_left_sees_no_diary(client, people, diary):
    """The fixture's revoked person still has his membership: the page lets him in and
    shows nothing shared."""
    client.force_login(diary.trusted_revoked)
    text = client.get(reverse("school_home", args=["lyceum"])).content.decode()
    assert "Сейчас вам не открыт ни один дневник." in text
    assert reverse("diary_week", args=["lyceum", people.student_record.pk]) not in text


# ------------------------------------------------------------------ the school admin


def test_r_role_5_school_admin_reads_the_grants_of_his_school_only(client, people, diary):
    gym_student = f.student_make(people.gymnasium, None, "Гимназистов")
    gym_parent_user = f.UserFactory(username="gymparent")
    gym_parent = f.parent_make(people.gymnasium, gym_parent_user, gym_student)
    TrustedPerson.objects.create(
        school=people.gymnasium,
        student=gym_student,
        parent=gym_parent,
        user=f.UserFactory(username="gymgranny"),
        full_name="Гимназическая бабушка",
        valid_until=dt.date(2026, 12, 1),
        granted_by=gym_parent_user,
    )
    client.force_login(people.admin)
    url = reverse("admin:accounts_trustedperson_changelist")
    response = client.get(url)
    assert response.status_code == 200
    assert {g.school for g in response.context["cl"].result_list} == {people.lyceum}
    assert len(response.context["cl"].result_list) == 3
    grant = TrustedPerson.objects.get(user=diary.trusted)
    change = reverse("admin:accounts_trustedperson_change", args=[grant.pk])
    assert client.get(change).status_code == 200  # a read-only view
    assert client.post(change, {"full_name": "x"}).status_code == 403
    assert client.get(reverse("admin:accounts_trustedperson_add")).status_code == 403
