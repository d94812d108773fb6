"""A report of one student for any range of dates (R-NOT-2, second sentence): for the class's
teachers (its class teacher, the teachers who teach it) and the leadership. A GET form whose
valid answer is the PDF; errors in Russian; the student's data only (R-ROLE-2)."""

import pytest
from django.urls import reverse

from .. import factories as f
from .conftest import pdf_text

pytestmark = pytest.mark.django_db


def form_url(school_class, school="lyceum"):
    return reverse("reports_range", args=[school, school_class.pk])


def index_url(school="lyceum"):
    return reverse("reports_range_classes", args=[school])


def ask(client, people, student=None, first="2026-09-01", last="2026-10-09", school_class=None):
    data = {"student": (student or people.student_record).pk, "first": first, "last": last}
    return client.get(form_url(school_class or people.class_5a), data)


def test_r_not_2_the_class_teacher_gets_the_pdf_of_a_student(client, people, week):
    client.force_login(people.class_teacher)
    form = client.get(form_url(people.class_5a))
    assert form.status_code == 200
    text = form.content.decode()
    assert "Родителев Степан" in text and "Другов Дмитрий" in text
    assert "Родителева" not in text  # 5Б
    response = ask(client, people)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    pages, (text,) = pdf_text(response.content)
    assert pages == 1
    assert "Родителев Степан" in text and "01.09.2026 – 09.10.2026" in text
    assert "Контрольная работа" in text and "Математика" in text
    assert "Другов" not in text  # R-ROLE-2


@pytest.mark.parametrize("who", ["teacher", "deputy", "director", "admin"])
def test_r_not_2_the_classes_teachers_and_the_leadership_get_it(client, people, week, who):
    client.force_login(getattr(people, who))
    response = ask(client, people)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_r_not_2_a_teacher_of_a_group_of_the_class_gets_it(client, people, journal, week):
    client.force_login(journal.english_teacher)  # English group 2 of 5А
    assert ask(client, people).status_code == 200


def test_r_not_2_a_teacher_not_teaching_the_class_is_403(client, people, week):
    client.force_login(people.teacher)  # teaches 5А only
    assert client.get(form_url(people.class_5b)).status_code == 403
    stranger = f.UserFactory(username="stranger", last_name="Посторонний")
    f.member(stranger, people.lyceum, "teacher")
    client.force_login(stranger)
    assert client.get(form_url(people.class_5a)).status_code == 403
    # the section menu leads him to the index: it says he has no class, not 403
    page = client.get(index_url())
    assert page.status_code == 200
    assert "у вас нет классов" in page.content.decode()
    assert 'data-testid="print-batches-link"' not in page.content.decode()


def test_r_not_2_the_class_teacher_and_leadership_find_the_printed_reports(client, people):
    for user in (people.class_teacher, people.deputy):
        client.force_login(user)
        assert 'data-testid="print-batches-link"' in client.get(index_url()).content.decode()


@pytest.mark.parametrize("who", ["parent", "student"])
def test_r_role_2_parents_and_students_are_403(client, people, week, who):
    client.force_login(getattr(people, who))
    assert ask(client, people).status_code == 403
    assert client.get(index_url()).status_code == 403


def test_r_ten_1_another_schools_class_is_404(client, people, week):
    client.force_login(people.outsider)
    assert client.get(form_url(people.class_5a)).status_code == 404
    assert client.get(form_url(people.class_5a, "gymnasium")).status_code == 404
    client.force_login(people.deputy)
    assert client.get(form_url(people.class_5a, "gymnasium")).status_code == 404


@pytest.mark.parametrize(
    ("first", "last", "error"),
    [
        ("2026-10-09", "2026-09-01", "Дата окончания раньше даты начала."),
        ("2025-09-01", "2026-10-09", "Период длиннее года: выберите не больше года."),
        ("2026-09-01", "", "Обязательное поле."),
        ("вчера", "2026-10-09", "Введите правильную дату."),
        ("2025-01-01", "2025-05-31", "не учился в классе 5А ни в один из этих дней"),
    ],
)
def test_r_not_2_wrong_dates_are_said_in_russian(client, people, week, first, last, error):
    client.force_login(people.class_teacher)
    response = ask(client, people, first=first, last=last)
    assert response.status_code == 400
    assert error in response.content.decode()


def test_r_not_2_a_student_of_another_class_is_refused(client, people, week):
    client.force_login(people.class_teacher)
    response = ask(client, people, student=people.sibling_record)
    assert response.status_code == 400
    assert "Выберите ученика класса." in response.content.decode()


def test_r_not_2_the_way_in_lists_the_users_classes(client, people, week):
    client.force_login(people.teacher)
    text = client.get(index_url()).content.decode()
    assert form_url(people.class_5a) in text and form_url(people.class_5b) not in text
    client.force_login(people.deputy)
    text = client.get(index_url()).content.decode()
    assert form_url(people.class_5a) in text and form_url(people.class_5b) in text


def test_r_not_2_the_way_in_costs_a_fixed_number_of_queries(
    client, people, week, django_assert_max_num_queries
):
    """Queries: the session's user, his roles, the current year, the classes."""
    client.force_login(people.deputy)
    with django_assert_max_num_queries(4):
        client.get(index_url())
    year = people.class_5a.year
    for letter in "ВГДЕ":
        f.class_make(people.lyceum, year, 6, letter, class_teacher=people.class_teacher)
    with django_assert_max_num_queries(4):
        response = client.get(index_url())
    assert response.content.decode().count("/reports/range/") >= 6


def test_wrong_methods_are_405(client, people, week):
    client.force_login(people.deputy)
    assert client.post(form_url(people.class_5a)).status_code == 405
    assert client.post(index_url()).status_code == 405
