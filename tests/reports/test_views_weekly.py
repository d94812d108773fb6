"""A child's weekly reports (R-NOT-1, R-ROLE-2): the list and each PDF for the readers of his
diary — the student, his parents, his trusted persons — and nobody else: another child is
404, staff 403, another school 404, a POST 405."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role, TrustedPerson
from reports.jobs import _file_put, weekly_path
from reports.models import ParentReport

from .. import factories as f

pytestmark = pytest.mark.django_db

MONDAYS = (dt.date(2026, 9, 21), dt.date(2026, 9, 28))


def report_make(people, student, monday, school_class=None) -> ParentReport:
    school = student.school
    path = _file_put(
        weekly_path(school.pk, monday, student.pk), b"%PDF-1.7 " + str(student.pk).encode()
    )
    return ParentReport.objects.create(
        school=school,
        student=student,
        school_class=school_class or people.class_5a,
        week_start=monday,
        week_end=monday + dt.timedelta(days=4),
        class_teacher=people.class_teacher,
        file=path,
        created_at=timezone.now(),
        sent_to=1,
    )


@pytest.fixture
def reports(people):
    mine = [report_make(people, people.student_record, monday) for monday in MONDAYS]
    other = report_make(people, people.other_student_record, MONDAYS[1])
    sibling = report_make(people, people.sibling_record, MONDAYS[1], people.class_5b)
    return mine, other, sibling


def list_url(student, school="lyceum"):
    return reverse("reports_weekly", args=[school, student.pk])


def pdf_url(report, student=None, school="lyceum"):
    return reverse("reports_weekly_pdf", args=[school, (student or report.student).pk, report.pk])


def test_r_not_1_the_parent_lists_her_childs_reports_newest_first(client, people, reports):
    mine, _other, _sibling = reports
    client.force_login(people.parent)
    response = client.get(list_url(people.student_record))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('data-testid="weekly-report"') == 2
    assert page.index("28.09–02.10.2026") < page.index("21.09–25.09.2026")
    assert pdf_url(mine[1]) in page
    assert "Другов" not in page  # R-ROLE-2
    assert "Еженедельные отчёты" in page


def test_r_not_1_the_list_costs_the_same_queries_for_many_reports(
    client, people, reports, django_assert_max_num_queries
):
    """Queries: the session's user, his roles in the school, the students he reads, the
    reports (the session lives in the cache)."""
    client.force_login(people.parent)
    url = list_url(people.student_record)
    with django_assert_max_num_queries(4):
        client.get(url)
    for n in range(10):
        report_make(people, people.student_record, dt.date(2026, 9, 14) - dt.timedelta(weeks=n))
    with django_assert_max_num_queries(4):
        response = client.get(url)
    assert response.content.decode().count('data-testid="weekly-report"') == 12


def test_r_not_1_the_parent_downloads_the_pdf(client, people, reports):
    mine, _other, sibling = reports
    client.force_login(people.parent)
    response = client.get(pdf_url(mine[0]))
    assert response.status_code == 200
    assert (
        b"".join(response.streaming_content)
        == b"%PDF-1.7 " + str(people.student_record.pk).encode()
    )
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert client.get(pdf_url(sibling)).status_code == 200  # her other child, in 5Б


def test_r_role_2_another_childs_reports_are_404(client, people, reports):
    mine, other, _sibling = reports
    client.force_login(people.parent)
    assert client.get(list_url(people.other_student_record)).status_code == 404
    assert client.get(pdf_url(other)).status_code == 404
    # her child's id with another child's report
    assert client.get(pdf_url(other, people.student_record)).status_code == 404


def test_r_not_1_the_student_and_a_trusted_person_read_them(client, people, reports):
    mine, other, _sibling = reports
    client.force_login(people.student)
    assert client.get(list_url(people.student_record)).status_code == 200
    assert client.get(pdf_url(mine[0])).status_code == 200
    assert client.get(pdf_url(other)).status_code == 404
    granny = f.UserFactory(username="granny", last_name="Бабушкина")
    f.member(granny, people.lyceum, Role.TRUSTED, starts_on=dt.date(2026, 9, 1))
    TrustedPerson.objects.create(
        school=people.lyceum,
        student=people.student_record,
        parent=people.student_record.parent_links.get().parent,
        user=granny,
        full_name=granny.full_name,
        valid_until=dt.date(2026, 12, 31),
        granted_by=people.parent,
    )
    client.force_login(granny)
    assert client.get(pdf_url(mine[1])).status_code == 200
    assert client.get(list_url(people.sibling_record)).status_code == 404


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "deputy", "director", "admin"])
def test_r_role_2_staff_are_403(client, people, reports, who):
    mine, _other, _sibling = reports
    client.force_login(getattr(people, who))
    assert client.get(list_url(people.student_record)).status_code == 403
    assert client.get(pdf_url(mine[0])).status_code == 403


def test_r_ten_1_another_school_is_404(client, people, reports):
    mine, _other, _sibling = reports
    client.force_login(people.outsider)
    assert client.get(list_url(people.student_record)).status_code == 404
    assert client.get(pdf_url(mine[0])).status_code == 404
    client.force_login(people.parent)  # the gymnasium is not her school
    assert client.get(pdf_url(mine[0], school="gymnasium")).status_code == 404


def test_the_pages_refuse_post(client, people, reports):
    mine, _other, _sibling = reports
    client.force_login(people.parent)
    assert client.post(list_url(people.student_record)).status_code == 405
    assert client.post(pdf_url(mine[0])).status_code == 405


def test_a_file_gone_from_the_storage_is_404(client, people, reports):
    mine, _other, _sibling = reports
    mine[0].file.storage.delete(mine[0].file.name)
    client.force_login(people.parent)
    assert client.get(pdf_url(mine[0])).status_code == 404
