"""Who may start a conversation with whom (R-NOT-4): only a real relation, on the school's
today; trusted persons (R-ROLE-5) neither write nor are written to."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Role
from notifications.relations import contacts, may_write, relation_students
from schedule.models import Enrolment
from schedule.selectors import student_courses

from .. import factories as f

TODAY = dt.date(2026, 10, 6)


def can(user, other, people) -> bool:
    return may_write(user, other, people.lyceum, TODAY)


def contact_ids(user, people) -> set[int]:
    return {c.user.pk for g in contacts(user, people.lyceum, TODAY) for c in g.contacts}


def test_r_not_4_a_parent_writes_to_his_childrens_teachers_and_the_administration(
    people, messaging
):
    """R-NOT-4: the class teacher of 5А, the teacher of maths and of his child's English
    group, the 5Б maths teacher of the sibling, and the administration."""
    parent = people.parent
    for other in (
        people.class_teacher,
        people.teacher,
        messaging.teacher_5b,
        people.director,
        people.deputy,
        people.admin,
    ):
        assert can(parent, other, people), other
    assert contact_ids(parent, people) == {
        people.class_teacher.pk,
        people.teacher.pk,
        messaging.teacher_5b.pk,
        people.director.pk,
        people.deputy.pk,
        people.admin.pk,
    }


def test_r_not_4_a_parent_cannot_write_to_unrelated_people(people, messaging):
    """R-NOT-4: not the teacher of the other English group, not staff without a relation,
    never another parent, not a student, not a trusted person, not another school."""
    parent = people.parent
    for other in (
        messaging.english_teacher,  # teaches group 2, the child is in group 1
        messaging.psychologist,
        messaging.other_parent,
        messaging.father,  # parents never write to parents, even of the same child
        messaging.parent_5b,
        people.student,
        messaging.trusted,
        people.outsider,
    ):
        assert not can(parent, other, people), other


def test_r_not_4_a_parent_of_another_class_cannot_write_to_a_teacher_not_teaching_his_child(
    people, messaging
):
    """R-NOT-4: the 5Б parent writes to the 5Б maths teacher, not to the 5А teachers."""
    assert can(messaging.parent_5b, messaging.teacher_5b, people)
    assert not can(messaging.parent_5b, people.teacher, people)
    assert not can(messaging.parent_5b, people.class_teacher, people)
    assert not can(messaging.parent_5b, messaging.english_teacher, people)
    # and the other way round: the teacher has no relation with that parent
    assert not can(people.teacher, messaging.parent_5b, people)


def test_r_not_4_a_subgroup_parent_reaches_the_subgroups_teacher(people, messaging):
    """R-NOT-4: the other 5А student is in English group 2."""
    assert can(messaging.other_parent, messaging.english_teacher, people)
    assert can(messaging.english_teacher, messaging.other_parent, people)
    assert not can(messaging.english_teacher, people.parent, people)


def test_r_not_4_the_course_teachers_are_those_of_student_courses(people, messaging):
    """R-NOT-4: a child's course teachers are schedule.selectors.student_courses's."""
    for student, parent in (
        (people.student_record, people.parent),
        (people.other_student_record, messaging.other_parent),
    ):
        expected = {load.teacher_id for load in student_courses(student, TODAY)}
        groups = contacts(parent, people.lyceum, TODAY)
        teachers = {
            c.user.pk
            for g in groups
            if g.title.startswith("Учителя")
            for c in g.contacts
            if c.student == student
        }
        assert teachers == expected


def test_r_not_4_a_student_writes_to_his_teachers_and_the_administration(people, messaging):
    student = people.student
    assert contact_ids(student, people) == {
        people.class_teacher.pk,
        people.teacher.pk,
        people.director.pk,
        people.deputy.pk,
        people.admin.pk,
    }
    assert not can(student, messaging.english_teacher, people)
    assert not can(student, people.parent, people)
    assert not can(student, messaging.psychologist, people)


def test_r_not_4_staff_write_to_staff(people, messaging):
    psychologist = messaging.psychologist
    assert can(psychologist, people.teacher, people)
    assert can(people.teacher, psychologist, people)
    assert can(psychologist, people.director, people)
    assert not can(psychologist, people.parent, people)
    assert not can(psychologist, people.student, people)
    assert not can(people.teacher, people.outsider, people)


def test_r_not_4_a_teacher_writes_to_the_students_and_parents_he_teaches(people, messaging):
    """R-NOT-4: the maths teacher of 5А reaches its students and their parents; the class
    teacher of 5А too; the 5Б teacher only 5Б's."""
    for teacher in (people.teacher, people.class_teacher):
        for other in (people.student, people.parent, messaging.father, messaging.other_parent):
            assert can(teacher, other, people), (teacher, other)
        assert not can(teacher, messaging.parent_5b, people)
    assert can(messaging.teacher_5b, messaging.parent_5b, people)
    assert can(messaging.teacher_5b, people.parent, people)  # through the sibling in 5Б
    assert not can(messaging.teacher_5b, messaging.other_parent, people)
    assert not can(messaging.teacher_5b, people.student, people)


def test_r_not_4_the_relation_goes_through_the_child(people, messaging):
    """R-NOT-4: the 5А maths teacher and the parent talk about the 5А child, not the 5Б
    sibling; the director may talk with the parent about either."""
    school = people.lyceum
    assert relation_students(people.teacher, people.parent, school, TODAY) == {
        people.student_record.pk
    }
    assert relation_students(people.parent, people.teacher, school, TODAY) == {
        people.student_record.pk
    }
    assert relation_students(people.parent, people.director, school, TODAY) == {
        people.student_record.pk,
        people.sibling_record.pk,
    }
    assert relation_students(people.teacher, messaging.psychologist, school, TODAY) == {None}


def test_r_not_4_the_administration_writes_to_anyone_of_the_school(people, messaging):
    for leader in (people.director, people.deputy, people.admin):
        for other in (
            people.student,
            people.parent,
            messaging.parent_5b,
            messaging.psychologist,
            people.teacher,
        ):
            assert can(leader, other, people), (leader, other)
        assert not can(leader, messaging.trusted, people)
        assert not can(leader, people.outsider, people)
        assert not can(leader, leader, people)


def test_r_role_5_a_trusted_person_neither_writes_nor_is_written_to(people, messaging):
    """R-ROLE-5, R-NOT-4: a trusted person only reads the child's diary."""
    trusted = messaging.trusted
    assert contacts(trusted, people.lyceum, TODAY) == []
    assert not can(trusted, people.class_teacher, people)
    assert not can(trusted, people.director, people)
    assert not can(people.class_teacher, trusted, people)
    assert trusted.pk not in contact_ids(people.director, people)


def test_r_not_4_an_ended_membership_or_enrolment_ends_the_relation(people, messaging):
    """R-NOT-4: a teacher who has left, a child who has left the class."""
    Membership.objects.filter(user=people.teacher, school=people.lyceum).update(
        ends_on=dt.date(2026, 9, 30)
    )
    assert not can(people.parent, people.teacher, people)
    assert people.teacher.pk not in contact_ids(people.director, people)
    order = f.order_make(people.lyceum, number="7-у", date=dt.date(2026, 9, 30))
    Enrolment.objects.filter(student=messaging.student_5b).update(
        ends_on=dt.date(2026, 9, 30), end_order=order
    )
    assert not can(messaging.parent_5b, messaging.teacher_5b, people)
    assert not can(messaging.parent_5b, people.director, people)


def test_r_not_4_outsiders_have_no_contacts_in_the_lyceum(people, messaging):
    assert contacts(people.outsider, people.lyceum, TODAY) == []
    assert not can(people.outsider, people.director, people)


def test_r_not_4_contacts_are_grouped_with_the_child(people, messaging):
    """R-NOT-4: a parent of two children sees each relation with the child it goes
    through."""
    groups = {g.title: g.contacts for g in contacts(people.parent, people.lyceum, TODAY)}
    assert list(groups) == [
        "Классный руководитель 5А",
        "Учителя 5А",
        "Учителя 5Б",
        "Администрация",
    ]
    (class_teacher,) = groups["Классный руководитель 5А"]
    assert class_teacher.user == people.class_teacher
    assert class_teacher.student == people.student_record
    (maths_english,) = groups["Учителя 5А"]
    assert maths_english.label.startswith("Английский язык, Математика — Учителев")
    # the administration, once per child
    assert {(c.user.pk, c.student.pk) for c in groups["Администрация"]} == {
        (u.pk, s.pk)
        for u in (people.director, people.deputy, people.admin)
        for s in (people.student_record, people.sibling_record)
    }
    teacher_groups = [g.title for g in contacts(people.class_teacher, people.lyceum, TODAY)]
    assert teacher_groups == ["Администрация", "Сотрудники", "Ученики 5А", "Родители 5А"]


@pytest.mark.parametrize("who", ["director", "teacher", "parent"])
def test_r_not_4_contacts_cost_a_fixed_number_of_queries(people, messaging, who):
    """R-NOT-4: the number of queries does not grow with the school."""
    user = getattr(people, who)
    with CaptureQueriesContext(connection) as few:
        small = contact_ids(user, people)
    whole_5a = people.class_5a
    for n in range(6):
        child = f.student_make(
            people.lyceum,
            whole_5a,
            f"Новиков{n}",
            user=f.UserFactory(username=f"msg_kid{n}"),
        )
        f.parent_make(people.lyceum, f.UserFactory(username=f"msg_mum{n}"), child)
        teacher = f.UserFactory(username=f"msg_staff{n}")
        f.member(teacher, people.lyceum, Role.TEACHER)
    with CaptureQueriesContext(connection) as many:
        large = contact_ids(user, people)
    assert len(many) == len(few) <= 11
    if who != "parent":
        assert len(large) > len(small)
