"""Role home pages, the class list and the coordinator's page (R-ROLE-1, R-ROLE-2,
R-ROLE-3, R-TEN-1, R-CTL-6)."""

import datetime as dt
import itertools

import pytest
from django.urls import reverse

from schedule import services
from schedule.models import Group

from .. import factories as f


def home(p):
    return reverse("school_home", args=[p.lyceum.slug])


def class_url(p, school_class):
    return reverse("class_detail", args=[p.lyceum.slug, school_class.pk])


def page(response) -> str:
    return response.content.decode()


def test_r_role_1_teacher_home_lists_his_groups_and_subjects(client, people):
    client.force_login(people.teacher)
    html = page(client.get(home(people)))
    assert "Математика" in html and "Английский язык" in html
    assert "5А 1 группа" in html
    assert 'id="staff"' not in html  # leadership only


def test_r_role_1_class_teacher_home_lists_his_class(client, people):
    client.force_login(people.class_teacher)
    html = page(client.get(home(people)))
    assert f'id="led-class-{people.class_5a.pk}"' in html
    assert "Родителев Степан" in html and "Другов Дмитрий" in html
    assert "Родителева Софья" not in html  # she is in 5Б


def test_r_role_2_parent_sees_only_his_children(client, people):
    client.force_login(people.parent)
    html = page(client.get(home(people)))
    assert "Родителев Степан" in html and "Родителева Софья" in html
    assert "5А" in html and "5Б" in html
    assert "Другов" not in html  # never another child's name


def test_r_role_1_student_sees_his_own_subjects_only(client, people):
    services.group_member_move(
        student=people.student_record,
        to_group=people.english_1,
        order=None,
        on=dt.date(2026, 9, 1),
        initial=True,
    )
    client.force_login(people.student)
    html = page(client.get(home(people)))
    assert "Математика" in html and "Английский язык" in html
    services.group_member_move(
        student=people.student_record,
        to_group=people.english_2,
        order=f.order_make(people.lyceum, "3-г", dt.date(2026, 10, 1), "groups"),
        on=dt.date(2026, 10, 2),
    )
    html = page(client.get(home(people)))
    # his new group has no teacher yet: the old group's course is no longer his
    assert "Английский язык" not in html


def test_r_role_1_deputy_home_lists_classes_and_staff(client, people):
    client.force_login(people.deputy)
    response = client.get(home(people))
    html = page(response)
    assert 'id="classes"' in html and 'id="staff"' in html
    assert "Классова Клара" in html and "Учителев Устин" in html
    rows = {c.pk: c.student_count for c in response.context["classes"]}
    assert rows == {people.class_5a.pk: 2, people.class_5b.pk: 1}


def test_r_ten_1_outsider_gets_404_on_another_school(client, people):
    client.force_login(people.outsider)
    assert client.get(home(people)).status_code == 404
    assert client.get(class_url(people, people.class_5a)).status_code == 404


def test_unknown_school_is_404(client, people):
    client.force_login(people.teacher)
    assert client.get(reverse("school_home", args=["no-such-school"])).status_code == 404


def test_ended_membership_gives_no_access(client, people):
    """R-ROLE-1: memberships are dated; one that ended yesterday no longer opens the school."""
    leaver = f.UserFactory(username="leaver")
    f.member(leaver, people.lyceum, "teacher", ends_on=dt.date(2026, 10, 5))
    client.force_login(leaver)
    assert client.get(home(people)).status_code == 404


def test_membership_starts_on_the_schools_local_day(client, people):
    """R-TEN-2: at 03:00 UTC on 6 October it is already 6 October in Tomsk (UTC+7)."""
    newcomer = f.UserFactory(username="newcomer")
    f.member(newcomer, people.lyceum, "teacher", starts_on=dt.date(2026, 10, 6))
    client.force_login(newcomer)
    assert client.get(home(people)).status_code == 200


def test_anonymous_is_sent_to_login(client, people):
    response = client.get(home(people))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["school_home", "class_detail"])
def test_wrong_method_is_405(client, people, name):
    client.force_login(people.deputy)
    args = [people.lyceum.slug] + ([people.class_5a.pk] if name == "class_detail" else [])
    assert client.post(reverse(name, args=args)).status_code == 405


def test_r_role_3_class_list_readers(client, people):
    """The class teacher of the class, its teachers and the leadership read the list."""
    for reader in (people.class_teacher, people.teacher, people.deputy, people.director):
        client.force_login(reader)
        assert client.get(class_url(people, people.class_5a)).status_code == 200, reader


def test_r_role_3_class_list_wrong_roles_are_403(client, people):
    # a class teacher of 5А who does not teach 5Б
    client.force_login(people.class_teacher)
    assert client.get(class_url(people, people.class_5b)).status_code == 403
    for user in (people.parent, people.student):
        client.force_login(user)
        assert client.get(class_url(people, people.class_5a)).status_code == 403


def test_r_ten_1_another_schools_class_id_is_404(client, people):
    year = people.gymnasium.academic_years.get()
    foreign = f.class_make(people.gymnasium, year, 7, "В")
    client.force_login(people.deputy)
    assert client.get(class_url(people, foreign)).status_code == 404


_numbers = itertools.count()


def _add_students(p, school_class, n):
    for _ in range(n):
        i = next(_numbers)
        student = f.student_make(p.lyceum, school_class, f"Ученик{i:03}")
        parent_user = f.UserFactory(username=f"mother{i}")
        f.parent_make(p.lyceum, parent_user, student)


def test_class_list_query_count_does_not_grow(client, people, django_assert_max_num_queries):
    client.force_login(people.deputy)
    _add_students(people, people.class_5a, 3)
    # session, user, school+settings, roles, class, the switcher's schools, students,
    # parent links with parents and users; savepoint + session update + release (the
    # idle-expiry cookie is renewed on every request, R-ROLE-6)
    with django_assert_max_num_queries(11) as small:
        client.get(class_url(people, people.class_5a))
    _add_students(people, people.class_5a, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(class_url(people, people.class_5a))
    assert len(response.context["students"]) == 35


def test_home_query_count_does_not_grow(client, people, django_assert_max_num_queries):
    """Deputy's home: classes with counts and staff in a fixed number of queries."""
    client.force_login(people.class_teacher)
    f.member(people.class_teacher, people.lyceum, "deputy")
    _add_students(people, people.class_5a, 3)
    # session, user, school, roles, "leads a class?", year, loads, led classes, their
    # students, parent links, classes with counts, staff, the switcher's schools;
    # savepoint + session update + release
    with django_assert_max_num_queries(16) as small:
        client.get(home(people))
    _add_students(people, people.class_5a, 30)
    for i in range(5):
        f.class_make(people.lyceum, people.year, 6, f"{i}")
        f.member(f.UserFactory(username=f"t{i}"), people.lyceum, "teacher")
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(home(people))


def test_r_ctl_6_coordinator_sees_his_municipality_only(client, people):
    client.force_login(people.coordinator)
    response = client.get(reverse("coordinator_home"))
    assert response.status_code == 200
    schools = list(response.context["schools"])
    assert schools == [people.lyceum]
    assert schools[0].student_count == 3 and schools[0].class_count == 2


def test_r_ctl_6_coordinator_page_wrong_role_and_method(client, people):
    client.force_login(people.deputy)
    assert client.get(reverse("coordinator_home")).status_code == 404
    client.force_login(people.coordinator)
    assert client.post(reverse("coordinator_home")).status_code == 405


def test_school_pick_redirects_to_the_only_school(client, people):
    client.force_login(people.teacher)
    response = client.get(reverse("school_pick"))
    assert response.status_code == 302
    assert response.url == home(people)


def test_school_pick_lists_several_schools(client, people):
    f.member(people.teacher, people.gymnasium, "teacher")
    client.force_login(people.teacher)
    response = client.get(reverse("school_pick"))
    assert response.status_code == 200
    assert [c.school for c in response.context["schools"]] == [people.gymnasium, people.lyceum]
    # the header offers the other school on a school page
    html = page(client.get(home(people)))
    assert reverse("school_home", args=[people.gymnasium.slug]) in html


def test_school_pick_for_coordinator_links_his_page(client, people):
    client.force_login(people.coordinator)
    response = client.get(reverse("school_pick"))
    assert response.status_code == 200
    assert reverse("coordinator_home") in page(response)


def test_school_pick_wrong_method_and_anonymous(client, people):
    assert client.get(reverse("school_pick")).status_code == 302
    client.force_login(people.teacher)
    assert client.post(reverse("school_pick")).status_code == 405


def test_whole_class_group_is_not_counted_as_subgroup(people):
    assert Group.objects.filter(school_class=people.class_5a, is_whole_class=True).count() == 1


def test_r_ctl_6_coordinator_page_query_count_does_not_grow(
    client, people, django_assert_max_num_queries
):
    client.force_login(people.coordinator)
    region = people.lyceum.municipality
    # session, user, "is coordinator?", schools with counts; savepoint + session update
    # + release
    with django_assert_max_num_queries(7) as small:
        client.get(reverse("coordinator_home"))
    for i in range(4):
        school = f.school_make(f"extra{i}", municipality=region)
        year = f.year_make(school)
        school_class = f.class_make(school, year, 3, "А")
        f.student_make(school, school_class, f"Новиков{i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("coordinator_home"))
    assert len(response.context["schools"]) == 5


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ru", "Мои дети"), ("kk", "Менің балаларым"), ("en", "My children")],
)
def test_r_nfr_3_interface_languages(client, people, settings, language, expected):
    """R-NFR-3: Russian by default; Kazakh and English chosen by the user."""
    client.force_login(people.parent)
    if language != "ru":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    html = page(client.get(home(people)))
    assert expected in html
    assert f'<html lang="{language}">' in html


def test_r_nfr_3_language_switch_is_remembered(client, people):
    client.force_login(people.parent)
    response = client.post(reverse("set_language"), {"language": "kk", "next": home(people)})
    assert response.status_code == 302
    assert "Менің балаларым" in page(client.get(home(people)))
