"""Shared fixtures of the notifications tests, on top of `people` (tests/conftest.py).

`messaging` adds the people a conversation needs (R-NOT-4):
- the student (5А) is in English group 1 (taught by `teacher`), the other 5А student in
  group 2, taught by `english_teacher`;
- `father`: the student's second parent; `other_parent`: the other 5А student's parent;
- `parent_5b` of `student_5b` (5Б, no account), whose maths `teacher_5b` teaches;
- `trusted`: a grandfather trusted by the parent with the student's diary (R-ROLE-5);
- `psychologist`: staff who leads and teaches nothing."""

import datetime as dt
from dataclasses import dataclass

import pytest

from accounts.models import Parent, ParentLink, Role, TrustedPerson
from schedule.models import GroupMembership, TeachingLoad

from .. import factories as f


@dataclass
class Messaging:
    english_teacher: object
    teacher_5b: object
    father: object
    other_parent: object
    parent_5b: object
    student_5b: object
    trusted: object
    psychologist: object


@pytest.fixture
def messaging(people) -> Messaging:
    school = people.lyceum
    user = f.UserFactory
    english_teacher = user(username="msg_english", last_name="Англова", first_name="Алиса")
    teacher_5b = user(username="msg_teacher5b", last_name="Бэтова", first_name="Белла")
    father = user(username="msg_father", last_name="Родителев", first_name="Роман")
    other_parent = user(username="msg_otherparent", last_name="Другова", first_name="Дарья")
    parent_5b = user(username="msg_parent5b", last_name="Бэшкина", first_name="Берта")
    trusted = user(username="msg_grandpa", last_name="Дедушкин", first_name="Дмитрий")
    psychologist = user(username="msg_psy", last_name="Психолог", first_name="Пётр")
    for teacher in (english_teacher, teacher_5b):
        f.member(teacher, school, Role.TEACHER)
    f.member(psychologist, school, Role.PSYCHOLOGIST)

    TeachingLoad.objects.create(
        school=school,
        teacher=english_teacher,
        group=people.english_2,
        subject=people.english,
        hours_per_week=3,
    )
    TeachingLoad.objects.create(
        school=school,
        teacher=teacher_5b,
        group=people.class_5b.groups.get(is_whole_class=True),
        subject=people.maths,
        hours_per_week=5,
    )
    for student, group in (
        (people.student_record, people.english_1),
        (people.other_student_record, people.english_2),
    ):
        GroupMembership.objects.get_or_create(
            school=school, group=group, student=student, defaults={"starts_on": f.YEAR_START}
        )

    f.parent_make(school, father, people.student_record, relation=ParentLink.Relation.FATHER)
    f.parent_make(school, other_parent, people.other_student_record)
    student_5b = f.student_make(school, people.class_5b, "Бэшкин", "Борис")
    f.parent_make(school, parent_5b, student_5b)

    f.member(trusted, school, Role.TRUSTED)
    TrustedPerson.objects.create(
        school=school,
        student=people.student_record,
        parent=Parent.objects.get(school=school, user=people.parent),
        user=trusted,
        full_name=trusted.full_name,
        valid_until=dt.date(2027, 5, 31),
        granted_by=people.parent,
    )
    return Messaging(
        english_teacher=english_teacher,
        teacher_5b=teacher_5b,
        father=father,
        other_parent=other_parent,
        parent_5b=parent_5b,
        student_5b=student_5b,
        trusted=trusted,
        psychologist=psychologist,
    )
