"""A person logs in and switches between his schools in a real browser."""

import pytest

from accounts.models import Role

from .. import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_teacher_of_two_schools_logs_in_and_switches_school(live_server, page, people):
    f.member(people.teacher, people.gymnasium, Role.TEACHER)

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_login", "teacher")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")

    # two schools: he is asked which one
    page.wait_for_selector(".school-list")
    links = page.locator(".school-list a")
    assert links.count() == 2
    page.click("text=Лицей №1")
    page.wait_for_url(f"{live_server.url}/s/lyceum/")
    assert page.inner_text("[data-testid=current-school]") == "lyceum"
    assert "Математика" in page.inner_text("#my-loads")

    # the header switches to the other school
    page.click(".switcher summary")
    page.click(".switcher >> text=gymnasium")
    page.wait_for_url(f"{live_server.url}/s/gymnasium/")
    assert page.inner_text("[data-testid=current-school]") == "gymnasium"


def test_wrong_password_shows_an_error_and_stays_on_login(live_server, page, people):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "parent")
    page.fill("#id_password", "not-his-password")
    page.click("button[type=submit]")
    page.wait_for_selector(".errorlist")
    assert "/accounts/login/" in page.url


def test_parent_logs_in_by_email_and_sees_his_children(live_server, page, people):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", people.parent.email)
    page.fill("#id_password", "secret-pass-123")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/s/lyceum/")
    children = page.inner_text("#children")
    assert "Родителев Степан" in children and "Родителева Софья" in children
