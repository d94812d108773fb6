"""Whose diary a user reads (R-ROLE-2, R-ROLE-5): accounts.permissions.can_read_student and
readable_children, and the child switcher across schools."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import TrustedPerson
from accounts.permissions import can_read_student, readable_children

from .. import factories as f
from .conftest import TODAY, parent_of_school


def test_r_role_5_who_reads_a_student(people, diary, django_assert_max_num_queries):
    student = people.student_record
    readers = {people.student, people.parent, diary.trusted}
    for user in (
        people.student,
        people.parent,
        diary.trusted,
        diary.trusted_revoked,
        diary.trusted_expired,
        diary.other_parent,
        diary.other_student,
        people.teacher,
        people.class_teacher,
        people.director,
        people.outsider,
    ):
        with django_assert_max_num_queries(1):
            assert can_read_student(user, student, TODAY) is (user in readers), user.username


def test_r_role_5_a_grant_is_read_until_its_last_day_inclusive(people, diary):
    grant = TrustedPerson.objects.get(user=diary.trusted)
    grant.valid_until = TODAY
    grant.save()
    assert can_read_student(diary.trusted, people.student_record, TODAY)
    assert not can_read_student(diary.trusted, people.student_record, TODAY + dt.timedelta(1))
    grant.revoked_at, grant.revoked_by = timezone.now(), people.parent
    grant.save()
    assert not can_read_student(diary.trusted, people.student_record, TODAY)


def test_anonymous_reads_nobody(people):
    from django.contrib.auth.models import AnonymousUser

    assert not can_read_student(AnonymousUser(), people.student_record, TODAY)
    assert list(readable_children(AnonymousUser(), TODAY)) == []


def test_r_role_2_readable_children_in_every_school_in_one_query(
    people, diary, django_assert_num_queries
):
    gymnasium = people.gymnasium
    year = gymnasium.academic_years.get()
    child = f.student_make(gymnasium, f.class_make(gymnasium, year, 7, "В"), "Родителев", "Глеб")
    parent_of_school(people, gymnasium, people.parent, child)
    with django_assert_num_queries(1):
        children = [
            (s.full_name, s.school.slug, f"{s.class_grade}{s.class_letter}", s.class_year_id)
            for s in readable_children(people.parent, TODAY)
        ]
    assert children == [
        ("Родителев Глеб", "gymnasium", "7В", year.pk),
        ("Родителев Степан", "lyceum", "5А", people.year.pk),
        ("Родителева Софья", "lyceum", "5Б", people.year.pk),
    ]
    assert [s.pk for s in readable_children(diary.trusted, TODAY)] == [people.student_record.pk]
    assert list(readable_children(diary.trusted_revoked, TODAY)) == []
    assert list(readable_children(diary.trusted_expired, TODAY)) == []
    assert list(readable_children(people.student, TODAY)) == []
    own = readable_children(people.student, TODAY, include_self=True)
    assert [s.pk for s in own] == [people.student_record.pk]


def test_r_role_2_a_student_before_his_enrolment_shows_the_class_he_will_enter(people):
    later = f.student_make(
        people.lyceum, people.class_5b, "Будущев", "Борис", on=dt.date(2026, 11, 9)
    )
    parent = f.UserFactory(username="future", last_name="Будущева")
    f.parent_make(people.lyceum, parent, later)
    (child,) = readable_children(parent, TODAY)
    assert (child.class_id, child.class_grade, child.class_letter) == (people.class_5b.pk, 5, "Б")


@pytest.mark.parametrize("name", ["diary_week", "diary_marks", "diary_attendance"])
def test_r_role_2_the_switcher_links_a_child_of_another_school_to_that_schools_diary(
    client, people, journal, name
):
    gymnasium = people.gymnasium
    year = gymnasium.academic_years.get()
    child = f.student_make(gymnasium, f.class_make(gymnasium, year, 7, "В"), "Родителев", "Глеб")
    parent_of_school(people, gymnasium, people.parent, child)
    client.force_login(people.parent)
    html = client.get(
        reverse(name, args=[people.lyceum.slug, people.student_record.pk])
    ).content.decode()
    there = reverse(name, args=[gymnasium.slug, child.pk])
    assert f'href="{there}' in html and "Родителев Глеб" in html and "gymnasium" in html
    # and back: the gymnasium's page lists the lyceum's children
    html = client.get(there).content.decode()
    here = reverse(name, args=[people.lyceum.slug, people.sibling_record.pk])
    assert f'href="{here}' in html


def test_the_switcher_leaves_out_a_school_where_the_parent_has_no_role_any_more(
    client, people, journal
):
    gymnasium = people.gymnasium
    year = gymnasium.academic_years.get()
    child = f.student_make(gymnasium, f.class_make(gymnasium, year, 7, "В"), "Родителев", "Глеб")
    parent_of_school(people, gymnasium, people.parent, child)
    people.parent.memberships.filter(school=gymnasium).update(
        starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2026, 9, 30)
    )
    client.force_login(people.parent)
    url = reverse("diary_week", args=[people.lyceum.slug, people.student_record.pk])
    assert "Глеб" not in client.get(url).content.decode()
