"""The teacher's journal grid and its cells (R-MRK-1..3, R-ATT-2, R-ROLE-3, R-LES-4)."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import WorkType
from journal.models import Attendance, Mark
from journal.services.cells import attendance_set, mark_set
from schedule.models import Lesson

from .. import factories as f
from .conftest import lesson_on

pytestmark = pytest.mark.django_db


def course_url(people, group=None, subject=None, **query):
    group = group or people.class_5a.groups.get(is_whole_class=True)
    url = reverse("journal_course", args=["lyceum", group.pk, (subject or people.maths).pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def cell_url(lesson):
    return reverse("journal_cell", args=["lyceum", lesson.pk])


@pytest.fixture
def answer(people):
    return WorkType.objects.get(school=people.lyceum, code="answer")


def post_cell(client, lesson, student, work_type, value, *, htmx=True, **extra):
    data = {
        "student": student.pk,
        "work_type": work_type.pk,
        "part": 1,
        "first": "1",
        "value": value,
        "mark_token": "",
        "att_token": "",
        **extra,
    }
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(cell_url(lesson), data, headers=headers)


def test_r_mrk_1_teacher_sees_the_grid_with_marks_and_absences(client, people, journal, answer):
    monday = lesson_on(people, dt.date(2026, 10, 5))
    mark_set(
        actor=people.teacher,
        lesson=monday,
        student=people.student_record,
        work_type=answer,
        value="4",
        comment="устно",
        expected="",
    )
    attendance_set(
        actor=people.teacher,
        lesson=monday,
        student=people.other_student_record,
        kind="absent",
        expected="",
    )
    client.force_login(people.teacher)
    response = client.get(course_url(people))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Родителев Степан" in html and "Другов Дмитрий" in html
    cell = f'id="c-{monday.pk}-{answer.pk}-1-{people.student_record.pk}"'
    assert cell in html
    assert 'title="устно">4<' in html
    assert 'title="отсутствовал">н<' in html or ">н<" in html
    grid = response.context["grid"]
    assert grid.period == journal.quarters[0]
    row = next(r for r in grid.rows if r.student == people.student_record)
    assert row.averages.weighted is not None


def test_r_str_4_student_shows_only_for_dates_in_the_group(client, people, journal):
    """A student who joined the class on 1 October has inactive cells before it."""
    newcomer = f.student_make(
        people.lyceum, people.class_5a, "Новиков", "Никита", on=dt.date(2026, 10, 1)
    )
    client.force_login(people.teacher)
    grid = client.get(course_url(people)).context["grid"]
    row = next(r for r in grid.rows if r.student == newcomer)
    before = [c for c in row.cells if c.column.lesson.date < dt.date(2026, 10, 1)]
    after = [c for c in row.cells if c.column.lesson.date >= dt.date(2026, 10, 1)]
    assert before and not any(c.active for c in before)
    assert after and all(c.active for c in after)


def test_r_str_5_subgroup_page_lists_only_its_students(client, people, journal):
    client.force_login(people.teacher)
    grid = client.get(course_url(people, people.english_1, people.english)).context["grid"]
    assert [r.student for r in grid.rows] == [people.student_record]


def test_r_mrk_1_cell_saves_via_htmx_and_returns_the_cell(client, people, journal, answer):
    client.force_login(people.teacher)
    response = post_cell(client, journal.maths_today, people.student_record, answer, "5")
    assert response.status_code == 200
    assert Mark.objects.get().value == "5"
    html = response.content.decode()
    assert f'id="c-{journal.maths_today.pk}-{answer.pk}-1-{people.student_record.pk}"' in html
    assert 'hx-swap-oob="true"' in html  # the row's averages
    assert f'id="avg-w-{people.student_record.pk}"' in html


def test_r_mrk_1_refused_value_shows_in_the_cell(client, people, journal, answer):
    client.force_login(people.teacher)
    response = post_cell(client, journal.maths_today, people.student_record, answer, "7")
    assert "не отметка" in response.content.decode() or "cell-error" in response.content.decode()
    assert 'data-testid="cell-error"' in response.content.decode()
    assert not Mark.objects.exists()


def test_r_mrk_5_future_lesson_is_refused_with_reason(client, people, journal, answer):
    client.force_login(people.teacher)
    tomorrow = lesson_on(people, dt.date(2026, 10, 7))
    response = post_cell(client, tomorrow, people.student_record, answer, "5")
    assert "ещё не начался" in response.content.decode()
    assert not Mark.objects.exists()


def test_r_att_2_absence_letter_marks_attendance(client, people, journal, answer):
    client.force_login(people.teacher)
    post_cell(client, journal.maths_today, people.other_student_record, answer, "н")
    post_cell(client, journal.maths_today, people.student_record, answer, "оп")
    kinds = dict(Attendance.objects.values_list("student__last_name", "kind"))
    assert kinds == {"Другов": "absent", "Родителев": "late"}


def test_r_mrk_6_conflict_keeps_the_other_value(client, people, journal, answer):
    client.force_login(people.teacher)
    post_cell(client, journal.maths_today, people.student_record, answer, "4")
    response = post_cell(client, journal.maths_today, people.student_record, answer, "3")
    assert "«4»" in response.content.decode()
    assert Mark.objects.get().value == "4"


def test_r_mrk_3_comment_and_clear(client, people, journal, answer):
    client.force_login(people.teacher)
    post_cell(client, journal.maths_today, people.student_record, answer, "5", comment="молодец")
    mark = Mark.objects.get()
    assert mark.comment == "молодец"
    post_cell(
        client,
        journal.maths_today,
        people.student_record,
        answer,
        "",
        op="clear",
        mark_token=f"{mark.pk}.{mark.version}",
    )
    assert not Mark.objects.exists()


def test_without_javascript_the_cell_form_saves_and_redirects(client, people, journal, answer):
    client.force_login(people.teacher)
    form = client.get(
        cell_url(journal.maths_today),
        {"student": people.student_record.pk, "work_type": answer.pk, "part": 1},
    )
    assert form.status_code == 200 and 'name="value"' in form.content.decode()
    response = post_cell(
        client, journal.maths_today, people.student_record, answer, "3", htmx=False
    )
    assert response.status_code == 302 and response["Location"] == course_url(people)
    assert Mark.objects.get().value == "3"


def test_r_les_4_substitute_fills_only_his_lesson(client, people, journal, answer):
    substitute = journal.english_teacher
    Lesson.objects.filter(pk=journal.maths_today.pk).update(
        substitute=substitute, change_reason="болезнь"
    )
    client.force_login(substitute)
    assert client.get(course_url(people)).status_code == 200
    post_cell(client, journal.maths_today, people.student_record, answer, "5")
    assert Mark.objects.get().created_by == substitute
    monday = lesson_on(people, dt.date(2026, 10, 5))
    response = post_cell(client, monday, people.student_record, answer, "4")
    assert 'data-testid="cell-error"' in response.content.decode()
    assert Mark.objects.count() == 1


def test_r_role_3_readers_and_strangers(client, people, journal):
    url = course_url(people)
    for user in (people.class_teacher, people.deputy, people.director):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert not response.context["can_edit"]
    client.force_login(journal.english_teacher)
    assert client.get(url).status_code == 403
    for user in (people.parent, people.student, people.admin):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
    client.force_login(people.outsider)
    assert client.get(url).status_code == 404


def test_r_role_3_reader_cannot_post_a_cell(client, people, journal, answer):
    client.force_login(people.class_teacher)
    response = post_cell(client, journal.maths_today, people.student_record, answer, "5")
    assert 'data-testid="cell-error"' in response.content.decode()
    assert not Mark.objects.exists()


def test_foreign_school_ids_are_404(client, people, journal, answer):
    client.force_login(people.teacher)
    other = f.class_make(people.gymnasium, people.gymnasium.academic_years.get(), 5, "А")
    group = other.groups.get(is_whole_class=True)
    url = reverse("journal_course", args=["lyceum", group.pk, people.maths.pk])
    assert client.get(url).status_code == 404


def test_wrong_methods(client, people, journal):
    client.force_login(people.teacher)
    assert client.post(course_url(people)).status_code == 405
    assert client.delete(cell_url(journal.maths_today)).status_code == 405


def test_grid_query_count_does_not_grow_with_students(client, people, journal, answer):
    """user, access (memberships with schools, settings, class-teacher flags), the course
    (group, subject, teaching load), the grade's periods, lessons with records, work
    types, the roster (enrolments ∪ memberships ∪ curricula), marks, attendance, period
    marks: 10, with 2 students or 27. The session is in the cache."""
    client.force_login(people.teacher)
    url = course_url(people)
    client.get(url)  # warm the session

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    few = count()
    assert few == 10
    for i in range(25):
        student = f.student_make(people.lyceum, people.class_5a, f"Ученик{i:02d}")
        monday = lesson_on(people, dt.date(2026, 10, 5))
        mark_set(
            actor=people.teacher,
            lesson=monday,
            student=student,
            work_type=answer,
            value="4",
            expected=None,
        )
    assert count() == few


def test_r_fin_2_period_mark_in_the_grid_replaces_a_failing_mark(client, people, journal):
    from journal.models import PeriodMark

    client.force_login(people.teacher)
    url = reverse(
        "journal_period_cell",
        args=["lyceum", people.class_5a.groups.get(is_whole_class=True).pk, people.maths.pk],
    )
    response = client.post(
        url,
        {
            "period": journal.quarters[0].pk,
            "student": people.student_record.pk,
            "token": "",
            "value": "2",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert PeriodMark.objects.get().value == "а/з"
    html = response.content.decode()
    assert f'id="pm-{people.student_record.pk}"' in html and "а/з" in html


def test_r_fin_3_grid_warns_of_too_few_marks_and_no_control_work(client, people, journal):
    client.force_login(people.teacher)
    grid = client.get(course_url(people)).context["grid"]
    row = grid.rows[0]
    assert row.minimum == 7  # 5 hours a week
    assert any("7" in w for w in row.warnings)
    assert not row.has_control_work


def test_r_role_3_class_teacher_reads_period_cells_but_cannot_set_them(client, people, journal):
    client.force_login(people.class_teacher)
    response = client.get(course_url(people))
    assert not response.context["can_set_period_marks"]
    url = reverse(
        "journal_period_cell",
        args=["lyceum", people.class_5a.groups.get(is_whole_class=True).pk, people.maths.pk],
    )
    data = {"period": journal.quarters[0].pk, "student": people.student_record.pk, "value": "5"}
    response = client.post(url, data, headers={"HX-Request": "true"})
    assert 'data-testid="cell-error"' in response.content.decode()
    from journal.models import PeriodMark

    assert not PeriodMark.objects.exists()
    client.force_login(people.parent)
    assert client.post(url, data).status_code == 403


def test_r_les_1_grid_head_links_each_lesson_with_its_topic(client, people, journal):
    from journal.models import LessonRecord

    monday = lesson_on(people, dt.date(2026, 10, 5))
    LessonRecord.objects.create(school=people.lyceum, lesson=monday, topic="Десятичные дроби")
    client.force_login(people.teacher)
    html = client.get(course_url(people)).content.decode()
    lesson_url = reverse("journal_lesson", args=["lyceum", monday.pk])
    assert f'<a href="{lesson_url}" title="Десятичные дроби">05</a>' in html
    assert "тема не записана" in html  # lessons without a record


def test_cell_and_period_cell_refuse_foreign_ids_wrong_roles_and_methods(
    client, people, journal, answer
):
    whole = people.class_5a.groups.get(is_whole_class=True)
    period_url = reverse("journal_period_cell", args=["lyceum", whole.pk, people.maths.pk])
    index_url = reverse("journal_index", args=["lyceum"])
    client.force_login(people.teacher)
    assert client.get(period_url).status_code == 405
    assert client.put(index_url).status_code == 405
    # a student id of another school is a 404, not a save
    stranger = f.student_make(
        people.gymnasium,
        f.class_make(people.gymnasium, people.gymnasium.academic_years.get(), 5, "А"),
        "Чужой",
    )
    response = post_cell(client, journal.maths_today, stranger, answer, "5")
    assert response.status_code == 404
    for user in (people.parent, people.student):
        client.force_login(user)
        assert client.get(index_url).status_code == 403
        assert (
            post_cell(client, journal.maths_today, people.student_record, answer, "5").status_code
            == 403
        )
    client.force_login(people.outsider)
    assert client.get(index_url).status_code == 404
    assert (
        post_cell(client, journal.maths_today, people.student_record, answer, "5").status_code
        == 404
    )
    assert not Mark.objects.exists()
