"""Fixtures of the news and events tests, on top of `people` (tests/conftest.py). Imported
by those test modules (`from .conftest_news import news`), so that they do not depend on the
folder's conftest.py, which another part of the app keeps.

- `trusted`: a grandmother trusted by the parent with the student's (5А) diary;
- `psychologist`: staff with no class;
- `class_6a`: a class nobody of the named family is in, with its own class teacher;
- `gym_class`: a class of the gymnasium (the outsider's school)."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Parent, Role, TrustedPerson
from notifications.models import NewsPost, SchoolEvent
from schedule.models import AcademicYear

from .. import factories as f


@dataclass
class News:
    trusted: object
    psychologist: object
    class_6a: object
    teacher_6a: object
    gym_class: object


@pytest.fixture
def news(people) -> News:
    school = people.lyceum
    trusted = f.UserFactory(username="grandma", last_name="Бабушкина", first_name="Бэлла")
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
    psychologist = f.UserFactory(username="psychologist", last_name="Психова", first_name="Полина")
    f.member(psychologist, school, Role.PSYCHOLOGIST)
    teacher_6a = f.UserFactory(username="teacher6a", last_name="Шестова", first_name="Шура")
    f.member(teacher_6a, school, Role.TEACHER)
    class_6a = f.class_make(school, people.year, 6, "А", class_teacher=teacher_6a)
    f.student_make(school, class_6a, "Шестиклассников", "Шамиль")
    gym_year = AcademicYear.objects.get(school=people.gymnasium)
    gym_class = f.class_make(people.gymnasium, gym_year, 5, "А")
    return News(trusted, psychologist, class_6a, teacher_6a, gym_class)


def post_make(school_class, title="Новость", body="Текст.", author=None, at=None) -> NewsPost:
    return NewsPost.objects.create(
        school=school_class.school,
        school_class=school_class,
        author=author or school_class.class_teacher,
        title=title,
        body=body,
        published_at=at or timezone.now(),
    )


def event_make(
    school,
    title,
    starts_at,
    *,
    proposed_by,
    classes=(),
    status=SchoolEvent.Status.APPROVED,
    ends_at=None,
    decided_by=None,
) -> SchoolEvent:
    now = timezone.now()
    decided = status != SchoolEvent.Status.PROPOSED
    event = SchoolEvent.objects.create(
        school=school,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        status=status,
        proposed_by=proposed_by,
        proposed_at=now,
        decided_by=(decided_by or proposed_by) if decided else None,
        decided_at=now if decided else None,
    )
    if classes:
        event.classes.set(classes)
    return event


def local(school, *args) -> dt.datetime:
    """An aware datetime of the school's local time."""
    return dt.datetime(*args, tzinfo=school.tz)


def url(name, school, *args) -> str:
    return reverse(name, args=[school.slug, *args])


def html(response) -> str:
    return response.content.decode()
