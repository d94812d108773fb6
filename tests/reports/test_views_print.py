"""The printed reports' page (R-NOT-2): the class teacher sees his classes' batches, the
leadership every class's; each PDF; "printed" records who and when. A teacher who leads no
class, a parent and a student are 403; another school 404; a wrong method 405."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.jobs import _file_put, print_path
from reports.models import PrintBatch

from .. import factories as f

pytestmark = pytest.mark.django_db

OCTOBER = dt.date(2026, 10, 1)


def batch_make(people, school_class, month=OCTOBER, students=()) -> PrintBatch:
    school = school_class.school
    path = _file_put(print_path(school.pk, month, school_class.pk), b"%PDF-1.7 batch")
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    batch = PrintBatch.objects.create(
        school=school,
        school_class=school_class,
        month=month,
        first_day=month,
        last_day=last,
        file=path,
        created_at=timezone.now(),
    )
    batch.students.set(students)
    return batch


@pytest.fixture
def batches(people):
    a = batch_make(people, people.class_5a, students=[people.other_student_record])
    b = batch_make(people, people.class_5b, students=[people.sibling_record])
    return a, b


def page(school="lyceum"):
    return reverse("reports_print_batches", args=[school])


def pdf(batch, school="lyceum"):
    return reverse("reports_print_batch_pdf", args=[school, batch.pk])


def printed(batch, school="lyceum"):
    return reverse("reports_print_batch_printed", args=[school, batch.pk])


def test_r_not_2_the_class_teacher_sees_his_classes_batches(client, people, batches):
    mine, other = batches
    client.force_login(people.class_teacher)
    response = client.get(page())
    assert response.status_code == 200
    text = response.content.decode()
    assert f'id="batch-{mine.pk}"' in text and f'id="batch-{other.pk}"' not in text
    assert "Другов Дмитрий" in text and "Октябрь 2026" in text
    assert pdf(mine) in text and printed(mine) in text
    assert client.get(pdf(mine)).status_code == 200
    assert client.get(pdf(other)).status_code == 403


@pytest.mark.parametrize("who", ["deputy", "director", "admin"])
def test_r_not_2_the_leadership_sees_every_class(client, people, batches, who):
    mine, other = batches
    client.force_login(getattr(people, who))
    text = client.get(page()).content.decode()
    assert f'id="batch-{mine.pk}"' in text and f'id="batch-{other.pk}"' in text
    response = client.get(pdf(other))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 batch"


def test_r_not_2_the_page_costs_the_same_queries_for_many_batches(
    client, people, batches, django_assert_max_num_queries
):
    """Queries: the session's user, his roles, the batches with classes and printers, their
    students."""
    client.force_login(people.deputy)
    with django_assert_max_num_queries(4):
        client.get(page())
    for month in (dt.date(2026, 9, 1), dt.date(2026, 5, 1), dt.date(2026, 4, 1)):
        batch_make(people, people.class_5a, month, [people.student_record])
        batch_make(people, people.class_5b, month, [people.sibling_record])
    with django_assert_max_num_queries(4):
        response = client.get(page())
    assert response.content.decode().count('data-testid="print-batch"') == 8


def test_r_not_2_marking_printed_records_who_and_when_once(client, people, batches):
    mine, _other = batches
    client.force_login(people.class_teacher)
    response = client.post(printed(mine))
    assert response.status_code == 302
    assert response["Location"] == page() + f"#batch-{mine.pk}"
    mine.refresh_from_db()
    assert mine.printed_by == people.class_teacher and mine.printed_at == timezone.now()
    client.force_login(people.deputy)
    client.post(printed(mine))
    mine.refresh_from_db()
    assert mine.printed_by == people.class_teacher  # the first time stays
    text = client.get(page()).content.decode()
    assert 'data-testid="printed"' in text and "Классова К." in text


@pytest.mark.parametrize("who", ["teacher", "parent", "student"])
def test_r_not_2_others_are_403(client, people, batches, who):
    mine, _other = batches
    client.force_login(getattr(people, who))
    assert client.get(page()).status_code == 403
    assert client.get(pdf(mine)).status_code == 403
    assert client.post(printed(mine)).status_code == 403
    mine.refresh_from_db()
    assert mine.printed_at is None


def test_r_ten_1_another_schools_batch_is_404(client, people, batches):
    mine, _other = batches
    client.force_login(people.outsider)  # the gymnasium's admin
    assert client.get(page()).status_code == 404
    assert client.get(pdf(mine, "gymnasium")).status_code == 404
    assert client.post(printed(mine, "gymnasium")).status_code == 404
    client.force_login(people.deputy)
    assert client.get(page("gymnasium")).status_code == 404


def test_a_class_teacher_of_another_class_gets_403(client, people, batches):
    mine, other = batches
    teacher_5b = f.UserFactory(username="t5b", last_name="Бэшкин")
    f.member(teacher_5b, people.lyceum, "teacher")
    type(people.class_5b).objects.filter(pk=people.class_5b.pk).update(class_teacher=teacher_5b)
    client.force_login(teacher_5b)
    assert client.get(pdf(other)).status_code == 200
    assert client.get(pdf(mine)).status_code == 403
    assert client.post(printed(mine)).status_code == 403


def test_wrong_methods_are_405(client, people, batches):
    mine, _other = batches
    client.force_login(people.deputy)
    assert client.post(page()).status_code == 405
    assert client.post(pdf(mine)).status_code == 405
    assert client.get(printed(mine)).status_code == 405
