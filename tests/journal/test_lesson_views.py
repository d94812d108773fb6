"""The lesson page: details, homework due, mark columns, files; who reads, who edits
(R-LES-1..4, R-PLAN-2, R-ROLE-3)."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import WorkType
from journal.models import HomeworkFile, JournalChange, LessonRecord
from journal.services.cells import mark_set
from journal.services.lessons import lesson_record_save, record_token
from schedule.models import Lesson

from .conftest import lesson_on

MONDAY = dt.date(2026, 10, 5)
WEDNESDAY = dt.date(2026, 10, 7)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def url(people, lesson):
    return reverse("journal_lesson", args=[people.lyceum.slug, lesson.pk])


def form_data(**fields):
    data = {
        "topic": "",
        "homework": "",
        "homework_pages": "",
        "homework_exercises": "",
        "token": "",
    }
    data.update(fields)
    return data


def record_save(people, lesson, **fields):
    values = dict(topic="", homework="", homework_pages="", homework_exercises="")
    values.update(fields)
    values.setdefault("work_type_ids", [])
    return lesson_record_save(actor=people.teacher, lesson=lesson, **values)


# --- reading --------------------------------------------------------------------------------


def test_r_les_2_the_page_shows_the_lesson_and_the_homework_due(client, people, journal):
    record_save(
        people,
        lesson_on(people, MONDAY),
        topic="Дроби",
        homework="Выучить правило",
        homework_pages="40–41",
        homework_exercises="12, 13",
    )
    client.force_login(people.teacher)
    response = client.get(url(people, journal.maths_today))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Математика" in html and "5А" in html and "06.10.2026" in html
    assert "Учителев" in html
    due = response.context["due"]
    assert due.homework == "Выучить правило"
    assert "Выучить правило" in html and "40–41" in html and "12, 13" in html
    assert 'name="topic"' in html  # the teacher edits
    period = journal.quarters[0]
    course = reverse(
        "journal_course", args=[people.lyceum.slug, journal.maths_today.group_id, people.maths.pk]
    )
    assert f"{course}?period={period.pk}" in html


def test_r_les_3_the_columns_show_weight_and_two_marks(client, people, journal):
    client.force_login(people.teacher)
    html = client.get(url(people, journal.maths_today)).content.decode()
    assert "Диктант" in html and "две отметки" in html
    assert "вес 2" in html or "вес 2,0" in html
    choices = client.get(url(people, journal.maths_today)).context["column_choices"]
    assert choices[0]["work_type"].code == "answer" and choices[0]["checked"]
    assert not any(c["checked"] for c in choices[1:])


@pytest.mark.parametrize("who", ["class_teacher", "deputy", "director"])
def test_r_role_3_readers_see_the_details_without_a_form(client, people, journal, who):
    record_save(people, journal.maths_today, topic="Дроби")
    client.force_login(getattr(people, who))
    response = client.get(url(people, journal.maths_today))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Дроби" in html
    assert 'name="topic"' not in html
    assert 'data-testid="read-only"' in html


@pytest.mark.parametrize("who", ["class_teacher", "deputy", "director"])
def test_r_role_3_readers_cannot_post(client, people, journal, who):
    client.force_login(getattr(people, who))
    response = client.post(url(people, journal.maths_today), form_data(topic="Взлом"))
    assert response.status_code == 403
    assert not LessonRecord.objects.exists()


def test_r_role_3_another_teacher_gets_403(client, people, journal):
    client.force_login(journal.english_teacher)
    assert client.get(url(people, journal.maths_today)).status_code == 403


@pytest.mark.parametrize("who", ["admin", "parent", "student"])
def test_r_role_3_wrong_role_gets_403(client, people, journal, who):
    client.force_login(getattr(people, who))
    assert client.get(url(people, journal.maths_today)).status_code == 403


def test_r_role_3_the_outsider_gets_404(client, people, journal):
    client.force_login(people.outsider)
    assert client.get(url(people, journal.maths_today)).status_code == 404
    # nor under his own school's address
    own = reverse("journal_lesson", args=[people.gymnasium.slug, journal.maths_today.pk])
    assert client.get(own).status_code == 404


def test_the_lesson_page_refuses_other_methods(client, people, journal):
    client.force_login(people.teacher)
    assert client.put(url(people, journal.maths_today)).status_code == 405
    assert client.delete(url(people, journal.maths_today)).status_code == 405


def test_the_lesson_page_costs_a_fixed_number_of_queries(
    client, people, journal, django_assert_max_num_queries
):
    lesson = journal.maths_today
    record_save(people, lesson_on(people, MONDAY), topic="Дроби", homework="№ 1")
    record_save(people, lesson, topic="Дроби 2")
    client.force_login(people.teacher)
    # session, user, the school's access (1-3); the lesson; can_edit_lesson; the record
    # with its files (2); work types; marked columns; the periods; previous and next
    # lesson (2); homework due (3: previous lessons, their records, their files); the
    # school switcher. None of them grows with students, lessons or files.
    with django_assert_max_num_queries(17):
        response = client.get(url(people, lesson))
    assert response.status_code == 200


# --- writing --------------------------------------------------------------------------------


def test_r_les_1_the_teacher_saves_topic_homework_and_columns(client, people, journal):
    test = WorkType.objects.get(school=people.lyceum, code="test")
    answer = WorkType.objects.get(school=people.lyceum, code="answer")
    client.force_login(people.teacher)
    response = client.post(
        url(people, journal.maths_today),
        {
            **form_data(
                topic="Сложение дробей",
                homework="Решить задачи",
                homework_pages="44",
                homework_exercises="101, 102",
            ),
            "work_types": [str(answer.pk), str(test.pk)],
        },
    )
    assert response.status_code == 302
    record = LessonRecord.objects.get()
    assert (record.topic, record.homework, record.homework_pages, record.homework_exercises) == (
        "Сложение дробей",
        "Решить задачи",
        "44",
        "101, 102",
    )
    assert record.work_type_ids == [answer.pk, test.pk]
    page = client.get(response.url)
    assert "Урок сохранён." in page.content.decode()
    assert JournalChange.objects.filter(ip="127.0.0.1").count() == 2


def test_r_les_1_a_conducted_lesson_without_a_topic_is_refused(client, people, journal):
    client.force_login(people.teacher)
    response = client.post(url(people, journal.maths_today), form_data(homework="№ 5"))
    assert response.status_code == 400
    assert "Урок состоялся: запишите его тему." in response.content.decode()
    # what was typed is not lost
    assert "№ 5" in response.content.decode()
    assert not LessonRecord.objects.exists()


def test_r_les_1_htmx_save_answers_with_the_details_partial(client, people, journal):
    client.force_login(people.teacher)
    response = client.post(
        url(people, lesson_on(people, WEDNESDAY)),
        form_data(homework="Повторить § 2"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "journal/_lesson_form.html"
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="lesson-details"')
    assert "Урок сохранён." in html
    refused = client.post(url(people, journal.maths_today), form_data(), HTTP_HX_REQUEST="true")
    assert refused.status_code == 400
    assert 'data-testid="error"' in refused.content.decode()


def test_r_les_1_a_stale_form_gets_a_conflict_and_keeps_the_typed_values(client, people, journal):
    lesson = journal.maths_today
    first = record_save(people, lesson, topic="Дроби")
    old_token = record_token(first)
    record_save(people, lesson, topic="Дроби и доли")
    client.force_login(people.teacher)
    response = client.post(url(people, lesson), form_data(topic="Моя тема", token=old_token))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Моя тема" in html and "Дроби и доли" in html
    assert LessonRecord.objects.get().topic == "Дроби и доли"
    # saving again, with the token the page now carries, overwrites deliberately
    token = response.context["form"].data["token"]
    again = client.post(url(people, lesson), form_data(topic="Моя тема", token=token))
    assert again.status_code == 302
    assert LessonRecord.objects.get().topic == "Моя тема"


def test_r_les_3_a_column_holding_marks_stays_ticked_and_is_sent(client, people, journal):
    lesson = journal.maths_today
    test = WorkType.objects.get(school=people.lyceum, code="test")
    answer = WorkType.objects.get(school=people.lyceum, code="answer")
    record_save(people, lesson, topic="Дроби", work_type_ids=[answer.pk, test.pk])
    mark_set(
        actor=people.teacher,
        lesson=lesson,
        student=people.student_record,
        work_type=test,
        value="5",
        expected="",
    )
    client.force_login(people.teacher)
    html = client.get(url(people, lesson)).content.decode()
    assert f'<input type="hidden" name="work_types" value="{test.pk}">' in html
    assert "есть оценки" in html
    # a forged form without it is refused with the reason
    token = record_token(LessonRecord.objects.get())
    response = client.post(
        url(people, lesson),
        {**form_data(topic="Дроби", token=token), "work_types": [str(answer.pk)]},
    )
    assert response.status_code == 400
    assert "«Тест»" in response.content.decode()


def test_r_les_4_the_substitute_edits_the_lesson_he_replaces(client, people, journal):
    lesson = journal.maths_today
    Lesson.objects.filter(pk=lesson.pk).update(
        substitute=journal.english_teacher, change_reason="болезнь"
    )
    client.force_login(journal.english_teacher)
    response = client.post(url(people, lesson), form_data(topic="Дроби (замена)"))
    assert response.status_code == 302
    assert LessonRecord.objects.get().updated_by == journal.english_teacher
    assert client.get(url(people, lesson_on(people, MONDAY))).status_code == 403


def test_r_plan_2_a_proposed_topic_is_marked_and_confirmed_by_its_button(client, people, journal):
    lesson = journal.maths_today
    LessonRecord.objects.create(
        school=people.lyceum, lesson=lesson, topic="Из плана", topic_confirmed=False
    )
    client.force_login(people.teacher)
    html = client.get(url(people, lesson)).content.decode()
    assert "из КТП, не подтверждена" in html
    assert 'data-testid="confirm"' in html
    token = record_token(LessonRecord.objects.get())
    # "Save" keeps the proposal a proposal ...
    client.post(url(people, lesson), form_data(topic="Из плана", homework="№ 1", token=token))
    record = LessonRecord.objects.get()
    assert record.homework == "№ 1" and not record.topic_confirmed
    # ... the confirm button confirms it
    client.post(
        url(people, lesson),
        {**form_data(topic="Из плана", homework="№ 1", token=record_token(record)), "confirm": "1"},
    )
    assert LessonRecord.objects.get().topic_confirmed
    assert "из КТП, не подтверждена" not in client.get(url(people, lesson)).content.decode()


def test_r_plan_2_an_edited_proposal_is_the_teachers_topic(client, people, journal):
    lesson = journal.maths_today
    record = LessonRecord.objects.create(
        school=people.lyceum, lesson=lesson, topic="Из плана", topic_confirmed=False
    )
    client.force_login(people.teacher)
    client.post(url(people, lesson), form_data(topic="Своя тема", token=record_token(record)))
    record.refresh_from_db()
    assert (record.topic, record.topic_confirmed) == ("Своя тема", True)


# --- files ----------------------------------------------------------------------------------


def file_url(people, lesson, name="journal_lesson_file_add", *extra):
    return reverse(name, args=[people.lyceum.slug, lesson.pk, *extra])


def test_r_les_2_a_file_is_uploaded_listed_served_and_removed(client, people, journal):
    lesson = journal.maths_today
    client.force_login(people.teacher)
    upload = SimpleUploadedFile("карточка.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = client.post(file_url(people, lesson), {"file": upload})
    assert response.status_code == 302
    attached = HomeworkFile.objects.get()
    assert attached.name == "карточка.pdf"
    page = client.get(url(people, lesson)).content.decode()
    served_url = file_url(people, lesson, "journal_lesson_file", attached.pk)
    assert served_url in page
    assert "/media/" not in page
    served = client.get(served_url)
    assert served.status_code == 200
    assert b"".join(served.streaming_content) == b"%PDF-1.4 test"
    assert "attachment" in served["Content-Disposition"]
    # a reader of the lesson gets it too; another teacher does not
    client.force_login(people.class_teacher)
    assert client.get(served_url).status_code == 200
    client.force_login(journal.english_teacher)
    assert client.get(served_url).status_code == 403
    client.force_login(people.outsider)
    assert client.get(served_url).status_code == 404
    # the teacher removes it
    client.force_login(people.teacher)
    removed = client.post(file_url(people, lesson, "journal_lesson_file_remove", attached.pk))
    assert removed.status_code == 302
    assert not HomeworkFile.objects.exists()


def test_r_les_2_a_file_of_another_lesson_is_404(client, people, journal):
    lesson = journal.maths_today
    client.force_login(people.teacher)
    client.post(file_url(people, lesson), {"file": SimpleUploadedFile("a.txt", b"abc")})
    attached = HomeworkFile.objects.get()
    other = lesson_on(people, MONDAY)
    assert (
        client.get(file_url(people, other, "journal_lesson_file", attached.pk)).status_code == 404
    )


def test_r_les_2_a_too_big_file_is_refused_with_a_message(client, people, journal, monkeypatch):
    monkeypatch.setattr("journal.services.lessons.HOMEWORK_FILE_MAX_BYTES", 10)
    client.force_login(people.teacher)
    response = client.post(
        file_url(people, journal.maths_today),
        {"file": SimpleUploadedFile("big.bin", b"x" * 11)},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "больше" in response.content.decode()
    assert not HomeworkFile.objects.exists()


def test_r_les_2_file_views_refuse_wrong_methods_and_readers(client, people, journal):
    lesson = journal.maths_today
    client.force_login(people.teacher)
    assert client.get(file_url(people, lesson)).status_code == 405
    client.force_login(people.deputy)
    upload = SimpleUploadedFile("a.txt", b"abc")
    assert client.post(file_url(people, lesson), {"file": upload}).status_code == 403
    client.force_login(people.outsider)
    assert client.post(file_url(people, lesson), {"file": upload}).status_code == 404
