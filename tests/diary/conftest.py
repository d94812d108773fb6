"""The diary's people on top of tests/conftest.py `people` and tests/journal/conftest.py
`journal` (re-exported here): another family's parent, the other student's own account,
trusted persons with an open, a revoked and an expired grant for `people.student_record`,
and helpers writing marks and attendance rows as the journal would.

Today is Tuesday 6 October 2026, 10:00 in Tomsk (tests/conftest.py)."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.models import ParentLink, Role, TrustedPerson, WorkType
from journal.models import AbsenceNotice, Attendance, Mark

from .. import factories as f
from ..journal.conftest import journal, lesson_on  # noqa: F401  (fixture and helper)

TODAY = dt.date(2026, 10, 6)


@dataclass
class DiaryPeople:
    other_parent: object  # the parent of people.other_student_record only
    other_student: object  # the account of people.other_student_record
    trusted: object  # an open grant for people.student_record until 31.12.2026
    trusted_revoked: object  # a revoked grant; his membership is still in force
    trusted_expired: object  # a grant that ended on 01.10.2026; membership in force


def _grant(people, user, *, valid_until, revoked=False) -> TrustedPerson:
    f.member(user, people.lyceum, Role.TRUSTED, starts_on=dt.date(2026, 9, 1))
    parent_record = people.student_record.parent_links.get().parent
    return TrustedPerson.objects.create(
        school=people.lyceum,
        student=people.student_record,
        parent=parent_record,
        user=user,
        full_name=user.full_name,
        valid_until=valid_until,
        granted_by=people.parent,
        revoked_by=people.parent if revoked else None,
        revoked_at=timezone.now() if revoked else None,
    )


@pytest.fixture
def diary(people) -> DiaryPeople:
    other_parent = f.UserFactory(username="otherparent", last_name="Другова", first_name="Дарья")
    f.parent_make(people.lyceum, other_parent, people.other_student_record)
    other_student = f.UserFactory(username="otherstudent", last_name="Другов", first_name="Дима")
    type(people.other_student_record).objects.filter(pk=people.other_student_record.pk).update(
        user=other_student
    )
    people.other_student_record.user = other_student
    f.member(other_student, people.lyceum, Role.STUDENT, starts_on=dt.date(2026, 9, 1))
    trusted = f.UserFactory(username="granny", last_name="Бабушкина", first_name="Бэлла")
    revoked = f.UserFactory(username="nanny", last_name="Няняева", first_name="Нина")
    expired = f.UserFactory(username="uncle", last_name="Дядин", first_name="Давид")
    _grant(people, trusted, valid_until=dt.date(2026, 12, 31))
    _grant(people, revoked, valid_until=dt.date(2026, 12, 31), revoked=True)
    _grant(people, expired, valid_until=dt.date(2026, 10, 1))
    return DiaryPeople(other_parent, other_student, trusted, revoked, expired)


def work_type(people, code="answer") -> WorkType:
    return WorkType.objects.get(school=people.lyceum, code=code)


def mark_make(people, lesson, student, value="5", *, code="answer", comment="", part=1) -> Mark:
    """A mark row as mark_set writes it (without its deadlines: tests build past weeks)."""
    now = timezone.now()
    return Mark.objects.create(
        school=people.lyceum,
        lesson=lesson,
        student=student,
        work_type=work_type(people, code),
        part=part,
        value=value,
        points=int(value) if value.isdigit() else None,
        comment=comment,
        created_at=now,
        created_by=people.teacher,
        updated_at=now,
        updated_by=people.teacher,
    )


def attendance_make(people, lesson, student, kind="absent", *, notice=None) -> Attendance:
    now = timezone.now()
    return Attendance.objects.create(
        school=people.lyceum,
        lesson=lesson,
        student=student,
        kind=kind,
        created_at=now,
        created_by=people.teacher,
        updated_at=now,
        updated_by=people.teacher,
        notice=notice,
        pending=notice is not None,
    )


def notice_make(people, student, day: dt.date) -> AbsenceNotice:
    return AbsenceNotice.objects.create(
        school=people.lyceum,
        student=student,
        starts_on=day,
        ends_on=day,
        reason=AbsenceNotice.Reason.MEDICAL,
        created_by=people.parent,
        created_at=timezone.now(),
    )


def parent_of_school(people, school, user, child) -> None:
    """`user` becomes a parent of `child` in `school` too."""
    from accounts.models import Parent

    record = Parent.objects.create(
        school=school, last_name=user.last_name, first_name=user.first_name, user=user
    )
    f.member(user, school, Role.PARENT)
    ParentLink.objects.create(
        school=school, parent=record, student=child, relation=ParentLink.Relation.MOTHER
    )
