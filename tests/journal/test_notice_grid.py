"""R-ATT-4 in the teacher's grid: a parent's notice shows as a pre-filled «н» of its own
style with the reason in its title; the teacher confirms it by typing «н» or removes it
(Backspace) when the child came. The grid's query count does not change."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import WorkType
from journal.models import AbsenceNotice, Attendance, JournalChange
from journal.services.notices import absence_notice_file

from .. import factories as f
from .conftest import lesson_on
from .test_grid import course_url, post_cell
from .test_notice_services import WED, at_tomsk

pytestmark = pytest.mark.django_db


@pytest.fixture
def answer(people):
    return WorkType.objects.get(school=people.lyceum, code="answer")


@pytest.fixture
def pending(people, journal):
    """A notice for Wednesday (filed on Tuesday); the clock then moves to Wednesday 10:00,
    after Wednesday's maths lesson started."""
    absence_notice_file(
        actor=people.parent,
        student=people.student_record,
        starts_on=WED,
        ends_on=WED,
        reason=AbsenceNotice.Reason.MEDICAL,
        comment="К стоматологу",
    )
    with time_machine.travel(at_tomsk(WED, 10), tick=False):
        yield Attendance.objects.get(student=people.student_record)


def _cell(html: str, lesson, student) -> str:
    match = re.search(rf'<td id="c-{lesson.pk}-\d+-1-{student.pk}"[^>]*>.*?</td>', html, re.S)
    assert match, "cell not found"
    return match.group(0)


def test_r_att_4_grid_shows_the_pending_absence_with_the_reason(client, people, pending):
    client.force_login(people.teacher)
    html = client.get(course_url(people)).content.decode()
    cell = _cell(html, lesson_on(people, WED), people.student_record)
    assert 'class="att absent pending"' in cell
    assert 'title="Заявлено родителем: приём у врача"' in cell
    assert ">н</span>" in cell
    # a teacher's own absence is shown as before, without the notice's style
    other = lesson_on(people, dt.date(2026, 10, 5))
    Attendance.objects.create(
        school=people.lyceum,
        lesson=other,
        student=people.student_record,
        kind="absent",
        created_at=pending.created_at,
        created_by=people.teacher,
        updated_at=pending.created_at,
        updated_by=people.teacher,
    )
    html = client.get(course_url(people)).content.decode()
    plain = _cell(html, other, people.student_record)
    assert 'class="att absent"' in plain and "pending" not in plain


def test_r_att_4_typing_n_confirms_it(client, people, pending, answer):
    client.force_login(people.teacher)
    response = post_cell(
        client,
        lesson_on(people, WED),
        people.student_record,
        answer,
        "н",
        att_token=f"{pending.pk}.{pending.version}",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="att absent"' in body and "pending" not in body
    pending.refresh_from_db()
    assert not pending.pending and pending.version == 2
    assert JournalChange.objects.filter(object_id=pending.pk, action="update").exists()


def test_r_att_4_backspace_removes_it_when_the_child_came(client, people, pending, answer):
    client.force_login(people.teacher)
    response = post_cell(
        client,
        lesson_on(people, WED),
        people.student_record,
        answer,
        "",
        op="clear",
        att_token=f"{pending.pk}.{pending.version}",
    )
    assert response.status_code == 200
    assert 'class="att' not in response.content.decode()
    assert not Attendance.objects.exists()


def test_r_att_4_without_javascript_the_cell_form_confirms(client, people, pending, answer):
    client.force_login(people.teacher)
    response = post_cell(
        client,
        lesson_on(people, WED),
        people.student_record,
        answer,
        "н",
        htmx=False,
        att_token=f"{pending.pk}.{pending.version}",
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert not pending.pending


def test_r_att_4_grid_query_count_is_the_same_with_pending_absences(client, people, journal):
    """The notice's reason comes with the attendance rows (a join), not per cell."""
    for i in range(5):
        student = f.student_make(people.lyceum, people.class_5a, f"Ученик{i:02d}")
        parent = f.UserFactory(username=f"parent{i}")
        f.parent_make(people.lyceum, parent, student)
    client.force_login(people.teacher)
    url = course_url(people)
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200
    from accounts.models import Parent

    for parent in Parent.objects.filter(school=people.lyceum).select_related("user"):
        for link in parent.links.select_related("student"):
            absence_notice_file(
                actor=parent.user,
                student=link.student,
                starts_on=WED,
                ends_on=dt.date(2026, 10, 9),
                reason=AbsenceNotice.Reason.ILLNESS,
            )
    assert Attendance.objects.filter(pending=True).count() >= 18
    with CaptureQueriesContext(connection) as after:
        html = client.get(url).content.decode()
    assert html.count("att absent pending") >= 18
    assert len(after) == len(before) == 10
