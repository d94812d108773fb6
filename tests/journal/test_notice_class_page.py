"""R-ATT-4: the class teacher sees his class's notices of the week on his attendance page
(child, dates, lessons, reason, comment, when sent), to set the days' reasons from them."""

import datetime as dt
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from journal.models import AbsenceNotice
from journal.services.notices import absence_notice_file, absence_notice_withdraw

from .. import factories as f
from .test_attendance_views import html, page_url

WED = dt.date(2026, 10, 7)
NEXT_MON = dt.date(2026, 10, 12)


def notice(people, student=None, parent=None, starts_on=WED, ends_on=WED, **fields):
    return absence_notice_file(
        actor=parent or people.parent,
        student=student or people.student_record,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=fields.pop("reason", AbsenceNotice.Reason.MEDICAL),
        **fields,
    ).notice


def listed(response) -> list[str]:
    section = re.search(
        r'<section class="card" data-testid="notices">.*?</section>', html(response), re.S
    )
    assert section, "no notices section"
    return re.findall(r'<tr data-testid="notice">(.*?)</tr>', section.group(0), re.S)


def test_r_att_4_class_teacher_sees_the_weeks_notices(client, people, journal):
    notice(people, lesson_numbers=[2, 3], comment="К стоматологу")
    client.force_login(people.class_teacher)
    response = client.get(page_url(people))
    assert response.status_code == 200
    (row,) = listed(response)
    assert "Родителев С" in row
    assert "07.10" in row and "2,3" in row
    assert "приём у врача" in row and "К стоматологу" in row
    assert "06.10.2026 10:00" in row  # sent, in the school's local time
    assert "Родителева Р" in row  # by whom


def test_r_att_4_only_this_weeks_notices_of_this_class_not_withdrawn(client, people, journal):
    """Next week's notice, a 5Б child's (the sibling), and a withdrawn one are not listed;
    a notice from the week before reaching into this week is."""
    notice(people, starts_on=NEXT_MON, ends_on=NEXT_MON)
    notice(people, student=people.sibling_record)
    absence_notice_withdraw(actor=people.parent, notice=notice(people, reason="family"))
    other_parent = f.UserFactory(username="otherparent")
    f.parent_make(people.lyceum, other_parent, people.other_student_record)
    notice(
        people,
        student=people.other_student_record,
        parent=other_parent,
        starts_on=dt.date(2026, 10, 6),
        ends_on=dt.date(2026, 10, 9),
    )
    client.force_login(people.class_teacher)
    rows = listed(client.get(page_url(people)))
    assert len(rows) == 1 and "Другов" in rows[0]
    rows = listed(client.get(page_url(people, week="2026-10-12")))
    assert len(rows) == 1 and "Родителев" in rows[0]


def test_r_att_4_notices_cost_one_query_whatever_their_number(client, people, journal):
    client.force_login(people.class_teacher)
    client.get(page_url(people))
    with CaptureQueriesContext(connection) as none:
        client.get(page_url(people))
    for n in range(6):
        student = f.student_make(people.lyceum, people.class_5a, f"Ученик{n:02d}")
        parent = f.UserFactory(username=f"parent{n}")
        f.parent_make(people.lyceum, parent, student)
        notice(people, student=student, parent=parent)
    with CaptureQueriesContext(connection) as many:
        response = client.get(page_url(people))
    assert len(listed(response)) == 6
    assert len(many) == len(none)
