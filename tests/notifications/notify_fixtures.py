"""Fixtures of the notification tests (R-NOT-5), imported by those test modules so that they
do not depend on the folder's conftest.py, which another part of the app keeps.

`journal` (tests/journal/conftest.py) gives the lyceum's running journal: today is Tuesday
6 October 2026, 10:00 in Tomsk, maths at lesson 2. `family` adds to `people`:
- e-mail addresses for the parent and the student;
- `father`: a second parent of the student, with an account and no e-mail;
- `paper_parent`: a parent of the student without an account (nobody to notify);
- `other_parent`: the parent of `other_student_record` (5А too), who must hear nothing of
  the student."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse

from accounts.models import Parent, ParentLink, WorkType
from journal.services.cells import mark_set
from tests.journal import conftest as journal_conftest

from .. import factories as f

journal = journal_conftest.journal  # the fixture


@dataclass
class Family:
    parent: object
    father: object
    other_parent: object
    answer: object
    control: object


@pytest.fixture
def family(people, journal) -> Family:
    school = people.lyceum
    people.parent.email = "parent@example.org"
    people.parent.save(update_fields=["email"])
    people.student.email = "student@example.org"
    people.student.save(update_fields=["email"])
    father = f.UserFactory(username="father", last_name="Родителев", first_name="Фёдор", email="")
    f.parent_make(school, father, people.student_record, relation=ParentLink.Relation.FATHER)
    paper = Parent.objects.create(school=school, last_name="Бумагин", first_name="Борис")
    ParentLink.objects.create(
        school=school,
        parent=paper,
        student=people.student_record,
        relation=ParentLink.Relation.GUARDIAN,
    )
    other_parent = f.UserFactory(
        username="otherparent", last_name="Другова", first_name="Дарья", email="other@example.org"
    )
    f.parent_make(school, other_parent, people.other_student_record)
    return Family(
        parent=people.parent,
        father=father,
        other_parent=other_parent,
        answer=WorkType.objects.get(school=school, code="answer"),
        control=WorkType.objects.get(school=school, code="control"),
    )


@pytest.fixture
def mail_backend(settings):
    """The worker's backend is Django's in-memory outbox (mail.outbox)."""
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://otmetka.example.org"


def week_url(people, student, day=dt.date(2026, 10, 6)) -> str:
    return reverse("diary_week", args=[people.lyceum.slug, student.pk]) + f"?date={day:%Y-%m-%d}"


def mark(people, journal, work_type, value="5", student=None, comment=""):
    return mark_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=student or people.student_record,
        work_type=work_type,
        value=value,
        comment=comment,
        expected=None,
    )
