"""The correction request pages (R-MRK-6): a teacher asks from a locked cell, follows his
requests; a deputy head or the director approves or rejects them, with or without htmx."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from accounts.models import Role, WorkType
from journal.models import CorrectionRequest, JournalChange, Mark
from journal.services.cells import mark_set
from journal.services.corrections import correction_request_create

from .. import factories as f
from .conftest import lesson_on

# the edit window closes after 13 October, new marks after the 14th: locked from the 15th
LOCKED = dt.datetime(2026, 10, 15, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def answer(people):
    return WorkType.objects.get(school=people.lyceum, code="answer")


@pytest.fixture
def locked(people, journal, answer):
    """A «4» entered on 6 October; the test runs on 14 October, when the cell is locked."""
    mark_set(
        actor=people.teacher,
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
        value="4",
        expected="",
    )
    with time_machine.travel(LOCKED, tick=False):
        yield


def new_url(people, lesson, student, work_type=None, kind="mark", slug=None):
    query = f"?kind={kind}&lesson={lesson.pk}&student={student.pk}"
    if work_type is not None:
        query += f"&work_type={work_type.pk}&part=1"
    return reverse("journal_correction_new", args=[slug or people.lyceum.slug]) + query


def list_url(people, slug=None):
    return reverse("journal_corrections", args=[slug or people.lyceum.slug])


def decide_url(people, pk, slug=None):
    return reverse("journal_correction_decide", args=[slug or people.lyceum.slug, pk])


def _ask(people, journal, answer, **kwargs):
    fields = dict(
        actor=people.teacher,
        kind="mark",
        lesson=journal.maths_today,
        student=people.student_record,
        work_type=answer,
        new_value="5",
        reason="Ошибка при вводе",
    )
    fields.update(kwargs)
    return correction_request_create(**fields)


def test_r_mrk_6_teacher_asks_from_a_locked_cell(client, people, journal, answer, locked):
    client.force_login(people.teacher)
    address = new_url(people, journal.maths_today, people.student_record, answer)
    page = client.get(address)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Родителев Степан" in html and "06.10.2026" in html and "Математика" in html
    assert page.context["form"].initial["new_value"] == "4"
    assert 'name="reason"' in html

    response = client.post(
        address, {"new_value": "5", "new_comment": "", "reason": "В тетради «5»"}
    )
    assert response.status_code == 302
    assert response.url == list_url(people)
    request = CorrectionRequest.objects.get()
    assert (request.old_value, request.new_value, request.reason) == ("4", "5", "В тетради «5»")
    assert Mark.objects.get().value == "4"
    listing = client.get(response.url).content.decode()
    assert f"Заявка №{request.pk} отправлена заместителю директора." in listing
    assert "ожидает" in listing.lower()


def test_r_mrk_6_the_value_tried_in_the_grid_is_proposed(client, people, journal, answer, locked):
    client.force_login(people.teacher)
    address = new_url(people, journal.maths_today, people.student_record, answer)
    assert client.get(address + "&value=3").context["form"].initial["new_value"] == "3"
    assert client.get(address + "&value=").context["form"].initial["new_value"] == ""
    assert client.get(address).context["form"].initial["new_value"] == "4"
    september = lesson_on(people, dt.date(2026, 9, 15))
    absent = new_url(people, september, people.student_record, kind="attendance") + "&value=Н"
    assert client.get(absent).context["form"].initial["new_value"] == "н"


def test_r_mrk_6_back_to_the_journal_after_asking(client, people, journal, answer, locked):
    client.force_login(people.teacher)
    address = new_url(people, journal.maths_today, people.student_record, answer)
    response = client.post(
        address, {"new_value": "5", "reason": "ошибка", "next": "/s/lyceum/journal/"}
    )
    assert response.url == "/s/lyceum/journal/"
    response = client.post(
        address,
        {"new_value": "3", "reason": "ошибка", "next": "https://evil.example/"},
    )
    assert response.status_code == 200  # a second request for the cell: refused on the page
    assert "уже ожидает решения" in response.content.decode()


def test_r_mrk_6_reason_is_required_on_the_page(client, people, journal, answer, locked):
    client.force_login(people.teacher)
    address = new_url(people, journal.maths_today, people.student_record, answer)
    response = client.post(address, {"new_value": "5", "reason": "  "})
    assert response.status_code == 200
    assert "Укажите, почему ячейку нужно исправить." in response.content.decode()
    assert not CorrectionRequest.objects.exists()


def test_r_mrk_6_refused_value_is_said_on_the_page(client, people, journal, answer, locked):
    client.force_login(people.teacher)
    address = new_url(people, journal.maths_today, people.student_record, answer)
    response = client.post(address, {"new_value": "9", "reason": "ошибка"})
    assert response.status_code == 200
    assert "«9» — не отметка шкалы школы" in response.content.decode()
    assert not CorrectionRequest.objects.exists()


def test_r_mrk_6_an_open_cell_has_no_form(client, people, journal, answer):
    client.force_login(people.teacher)
    response = client.get(new_url(people, journal.maths_today, people.student_record, answer))
    html = response.content.decode()
    assert "Ячейка открыта: измените значение прямо в журнале." in html
    assert 'name="reason"' not in html


def test_r_att_2_attendance_request_page(client, people, journal):
    client.force_login(people.teacher)
    september = lesson_on(people, dt.date(2026, 9, 15))
    address = new_url(people, september, people.student_record, kind="attendance")
    page = client.get(address)
    assert page.status_code == 200
    assert 'value="н"' in page.content.decode()
    response = client.post(address, {"new_value": "н", "reason": "Забыл отметить"})
    assert response.status_code == 302
    request = CorrectionRequest.objects.get()
    assert (request.kind, request.new_value, request.work_type) == ("attendance", "н", None)


def test_r_mrk_6_deputy_approves_and_history_names_him(client, people, journal, answer, locked):
    request = _ask(people, journal, answer)
    client.force_login(people.deputy)
    listing = client.get(list_url(people))
    assert listing.status_code == 200
    assert [r.pk for r in listing.context["rows"]] == [request.pk]
    assert decide_url(people, request.pk) in listing.content.decode()

    response = client.post(
        decide_url(people, request.pk), {"decision": "approve", "note": ""}, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 302
    assert Mark.objects.get().value == "5"
    change = JournalChange.objects.order_by("-seq").first()
    assert (change.actor_id, change.ip) == (people.deputy.pk, "10.1.1.1")
    assert f"заявка №{request.pk}, одобрил Завучева З." in change.reason
    page = client.get(response.url).content.decode()
    assert f"Заявка №{request.pk} одобрена, изменение внесено." in page


def test_r_mrk_6_rejection_without_a_note_is_refused(client, people, journal, answer, locked):
    request = _ask(people, journal, answer)
    client.force_login(people.director)
    response = client.post(decide_url(people, request.pk), {"decision": "reject"}, follow=True)
    assert "Укажите, почему заявка отклонена." in response.content.decode()
    assert CorrectionRequest.objects.get().status == "pending"
    client.post(decide_url(people, request.pk), {"decision": "reject", "note": "В тетради «4»"})
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("rejected", people.director)
    assert Mark.objects.get().value == "4"
    # the teacher sees the decision and its note
    client.force_login(people.teacher)
    html = client.get(list_url(people)).content.decode()
    assert "отклонена" in html.lower() and "В тетради «4»" in html


def test_r_mrk_6_htmx_decision_returns_the_row(client, people, journal, answer, locked):
    request = _ask(people, journal, answer)
    client.force_login(people.deputy)
    response = client.post(
        decide_url(people, request.pk), {"decision": "approve"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<tr") and f'id="correction-{request.pk}"' in html
    assert "одобрена" in html.lower() and "<form" not in html
    again = client.post(
        decide_url(people, request.pk), {"decision": "reject", "note": "x"}, HTTP_HX_REQUEST="true"
    )
    assert "По этой заявке уже принято решение." in again.content.decode()


def test_r_mrk_6_status_filter(client, people, journal, answer, locked):
    waiting = _ask(people, journal, answer)
    september = lesson_on(people, dt.date(2026, 9, 15))
    decided = _ask(people, journal, answer, lesson=september)
    client.force_login(people.deputy)
    client.post(decide_url(people, decided.pk), {"decision": "reject", "note": "нет"})
    assert [r.pk for r in client.get(list_url(people)).context["rows"]] == [waiting.pk]
    rejected = client.get(list_url(people) + "?status=rejected").context["rows"]
    assert [r.pk for r in rejected] == [decided.pk]
    assert len(client.get(list_url(people) + "?status=").context["rows"]) == 2
    assert client.get(list_url(people) + "?status=bogus").status_code == 404
    # the teacher's own list: all statuses by default
    client.force_login(people.teacher)
    assert len(client.get(list_url(people)).context["rows"]) == 2


# --- access ----------------------------------------------------------------------------


def test_r_role_3_another_teacher_cannot_ask(client, people, journal, answer, locked):
    client.force_login(journal.english_teacher)
    address = new_url(people, journal.maths_today, people.student_record, answer)
    assert client.get(address).status_code == 403
    assert client.post(address, {"new_value": "5", "reason": "x"}).status_code == 403
    assert not CorrectionRequest.objects.exists()


def test_r_mrk_6_wrong_roles(client, people, journal, answer, locked):
    request = _ask(people, journal, answer)
    address = new_url(people, journal.maths_today, people.student_record, answer)
    client.force_login(people.deputy)  # decides, does not ask
    assert client.get(address).status_code == 403
    client.force_login(people.teacher)  # asks, does not decide
    assert client.post(decide_url(people, request.pk), {"decision": "approve"}).status_code == 403
    client.force_login(people.admin)  # neither
    assert client.get(list_url(people)).status_code == 403
    assert client.post(decide_url(people, request.pk), {"decision": "approve"}).status_code == 403
    client.force_login(people.parent)
    assert client.get(list_url(people)).status_code == 403
    assert Mark.objects.get().value == "4"


def test_r_mrk_6_foreign_school(client, people, journal, answer, locked):
    request = _ask(people, journal, answer)
    address = new_url(people, journal.maths_today, people.student_record, answer)
    client.force_login(people.outsider)
    assert client.get(address).status_code == 404
    assert client.get(list_url(people)).status_code == 404
    assert client.post(decide_url(people, request.pk), {"decision": "approve"}).status_code == 404
    # a deputy of the gymnasium cannot reach the lyceum's request through his own school
    f.member(people.outsider, people.gymnasium, Role.DEPUTY)
    gym = people.gymnasium.slug
    assert (
        client.post(decide_url(people, request.pk, slug=gym), {"decision": "approve"}).status_code
        == 404
    )
    assert Mark.objects.get().value == "4"
    # the lyceum's teacher naming a gymnasium's student or an unknown lesson
    stranger = f.student_make(people.gymnasium, None, "Чужой", "Иван")
    client.force_login(people.teacher)
    assert client.get(new_url(people, journal.maths_today, stranger, answer)).status_code == 404
    assert (
        client.get(address.replace(f"lesson={journal.maths_today.pk}", "lesson=0")).status_code
        == 404
    )
    assert client.get(address.replace("part=1", "part=2")).status_code == 404
    assert client.get(address.replace("kind=mark", "kind=topic")).status_code == 404


def test_r_mrk_6_wrong_methods(client, people, journal, answer, locked):
    request = _ask(people, journal, answer)
    client.force_login(people.deputy)
    assert client.post(list_url(people)).status_code == 405
    assert client.get(decide_url(people, request.pk)).status_code == 405
    client.force_login(people.teacher)
    address = new_url(people, journal.maths_today, people.student_record, answer)
    assert client.put(address).status_code == 405
    assert client.delete(address).status_code == 405


def test_r_mrk_6_list_query_count_is_fixed(
    client, people, journal, answer, django_assert_max_num_queries
):
    """Empty September cells are past the entry limit: requests for them are possible."""
    september = [lesson_on(people, dt.date(2026, 9, d)) for d in (14, 15, 16, 17, 18, 21, 22)]
    _ask(people, journal, answer, lesson=september[0])
    client.force_login(people.deputy)
    # session, user, the school with the user's roles in it (one or two queries), the page's
    # count and its rows (lesson with class and subject, student, work type, requester,
    # decider, one query); savepoint, session update, release
    with django_assert_max_num_queries(9) as few:
        response = client.get(list_url(people))
    assert len(response.context["rows"]) == 1
    for lesson in september[1:]:
        for student in (people.student_record, people.other_student_record):
            _ask(people, journal, answer, lesson=lesson, student=student)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(list_url(people))
    assert len(response.context["rows"]) == 13
