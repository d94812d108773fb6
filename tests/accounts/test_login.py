"""Login (django-allauth): username or e-mail, no public sign-up, password reset by
e-mail, idle sessions expire (R-ROLE-4, R-ROLE-6)."""

import re

from django.conf import settings
from django.core import mail
from django.urls import reverse


def login(client, login, password="secret-pass-123"):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def test_login_page_is_russian(client, db):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ru">' in html
    assert "Вход" in html and "Пароль" in html


def test_login_by_username_lands_in_his_school(client, people):
    response = login(client, "teacher")
    assert response.status_code == 302
    follow = client.get(response.url)
    assert follow.status_code == 302
    assert follow.url == reverse("school_home", args=["lyceum"])


def test_login_by_email(client, people):
    response = login(client, people.teacher.email)
    assert response.status_code == 302
    assert client.get(reverse("school_pick")).status_code == 302


def test_wrong_password_is_refused_with_a_message(client, people):
    response = login(client, "teacher", "wrong")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_r_role_4_public_signup_is_closed(client, db):
    """Accounts are issued by the school: sign-up shows 'closed' and creates nobody."""
    from accounts.models import User

    response = client.post(
        reverse("account_signup"),
        {
            "username": "intruder",
            "password1": "Very-long-pass-42",
            "password2": "Very-long-pass-42",
        },
    )
    assert response.status_code == 200
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not User.objects.filter(username="intruder").exists()


def test_password_reset_by_email_sets_a_new_password(client, people):
    response = client.post(reverse("account_reset_password"), {"email": people.parent.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [people.parent.email]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", message.body).group(1)
    page = client.get(link)
    assert page.status_code == 302  # allauth hides the key from the address bar
    response = client.post(
        page.url, {"password1": "New-long-pass-42", "password2": "New-long-pass-42"}
    )
    assert response.status_code == 302
    assert login(client, "parent", "New-long-pass-42").status_code == 302


def test_r_role_6_sessions_expire_when_idle(client, people):
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_AGE <= 60 * 60
    client.force_login(people.teacher)
    client.get(reverse("school_home", args=["lyceum"]))
    assert client.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE


def test_logout_needs_post(client, people):
    client.force_login(people.teacher)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_r_role_6_staff_are_offered_a_second_factor(client, people):
    client.force_login(people.teacher)
    html = client.get(reverse("school_home", args=["lyceum"])).content.decode()
    assert reverse("mfa_index") in html
    assert client.get(reverse("mfa_index")).status_code == 200
    client.force_login(people.parent)
    html = client.get(reverse("school_home", args=["lyceum"])).content.decode()
    assert reverse("mfa_index") not in html
