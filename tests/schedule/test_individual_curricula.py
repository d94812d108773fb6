"""R-STR-7: individual curricula. A student is exempted from a course or attached to one for
a range of dates; the course's students on a date (what the journal lists) follow them.
The leadership records and ends them on the class groups page or in the school admin
site (scoped to the school, R-TEN-1); the class teacher reads them."""

import datetime as dt

import pytest
from django.urls import reverse

from schedule.models import GroupMembership, IndividualCurriculum
from schedule.selectors import course_students_on

from .. import factories as f
from ..accounts import test_admin
from ..accounts.test_admin import admin_url, listed, page_errors

# the other school's rows, shared with the admin site tests
gymnasium_rows = test_admin.gymnasium_rows

Kind = IndividualCurriculum.Kind


def curriculum(p, student, group, subject, kind, starts_on, ends_on=None, basis="приказ № 3"):
    return IndividualCurriculum.objects.create(
        school=p.lyceum,
        student=student,
        group=group,
        subject=subject,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        basis=basis,
    )


def names(students):
    return [f"{s.last_name} {s.first_name}" for s in students]


def groups_url(p, **query):
    url = reverse("class_groups", args=[p.lyceum.slug, p.class_5a.pk])
    return url + ("?on=" + query["on"] if "on" in query else "")


def add_url(p):
    return reverse("class_curriculum_add", args=[p.lyceum.slug, p.class_5a.pk])


def end_url(p, pk):
    return reverse("class_curriculum_end", args=[p.lyceum.slug, p.class_5a.pk, pk])


def html(response):
    return response.content.decode()


# ---------------------------------------------------------------- the course's students


def test_r_str_7_course_students_follow_exemptions_and_attachments(
    people, timetable, django_assert_num_queries
):
    """english_1 is Родителев Степан's group from 1 September; he is exempted through
    October, and Родителева Софья of 5Б is attached to the course from 15 October."""
    e1, english = people.english_1, people.english
    curriculum(
        people,
        people.student_record,
        e1,
        english,
        Kind.EXEMPT,
        dt.date(2026, 10, 1),
        dt.date(2026, 10, 31),
    )
    curriculum(people, people.sibling_record, e1, english, Kind.ATTACH, dt.date(2026, 10, 15))
    expected = {
        dt.date(2026, 8, 31): [],  # nobody in the group yet
        dt.date(2026, 9, 30): ["Родителев Степан"],
        dt.date(2026, 10, 1): [],
        dt.date(2026, 10, 15): ["Родителева Софья"],
        dt.date(2026, 10, 31): ["Родителева Софья"],
        dt.date(2026, 11, 1): ["Родителев Степан", "Родителева Софья"],
    }
    for on, students in expected.items():
        with django_assert_num_queries(1):
            assert names(course_students_on(e1, english, on)) == students, on
    # the other group of the subject is not touched
    assert names(course_students_on(people.english_2, english, dt.date(2026, 10, 15))) == [
        "Другов Дмитрий"
    ]


def test_r_str_7_whole_class_course_and_exemption_of_one_subject_only(people, timetable):
    whole = people.class_5a.groups.get(is_whole_class=True)
    on = dt.date(2026, 10, 6)
    curriculum(people, people.other_student_record, whole, people.maths, Kind.EXEMPT, on)
    assert names(course_students_on(whole, people.maths, on)) == ["Родителев Степан"]
    # the exemption from maths leaves his english group alone
    assert names(course_students_on(people.english_2, people.english, on)) == ["Другов Дмитрий"]
    # the subject may be given by id
    assert names(course_students_on(whole, people.maths.pk, on - dt.timedelta(days=1))) == [
        "Другов Дмитрий",
        "Родителев Степан",
    ]


def test_r_str_7_attached_member_is_listed_once_and_exemption_wins(people, timetable):
    on = dt.date(2026, 10, 6)
    e1, english = people.english_1, people.english
    curriculum(people, people.student_record, e1, english, Kind.ATTACH, on)
    assert names(course_students_on(e1, english, on)) == ["Родителев Степан"]
    curriculum(people, people.student_record, e1, english, Kind.EXEMPT, on - dt.timedelta(days=5))
    assert names(course_students_on(e1, english, on)) == []


def test_r_str_7_a_student_who_left_the_group_leaves_the_course(people, timetable):
    GroupMembership.objects.filter(student=people.student_record).update(
        ends_on=dt.date(2026, 10, 4)
    )
    assert names(course_students_on(people.english_1, people.english, dt.date(2026, 10, 4))) == [
        "Родителев Степан"
    ]
    assert names(course_students_on(people.english_1, people.english, dt.date(2026, 10, 5))) == []


# ---------------------------------------------------------------- on the class groups page


def add_data(p, **overrides):
    whole = p.class_5a.groups.get(is_whole_class=True)
    data = {
        "student": p.other_student_record.pk,
        "kind": "exempt",
        "course": f"{whole.pk}-{p.maths.pk}",
        "starts_on": "2026-10-06",
        "ends_on": "2026-12-25",
        "basis": "Приказ № 40 от 05.10.2026, справка ВКК",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ["admin", "director", "deputy"])
def test_r_str_7_leadership_adds_an_individual_curriculum(client, people, timetable, role):
    client.force_login(getattr(people, role))
    response = client.post(add_url(people) + "?on=2026-10-06", add_data(people))
    assert response.status_code == 302, html(response)
    assert response.url == groups_url(people, on="2026-10-06") + "#curricula"
    added = IndividualCurriculum.objects.get()
    assert added.school == people.lyceum
    assert (added.student, added.kind, added.subject) == (
        people.other_student_record,
        Kind.EXEMPT,
        people.maths,
    )
    assert added.ends_on == dt.date(2026, 12, 25)
    page = html(client.get(response.url))
    assert "Индивидуальный учебный план записан" in page
    assert "освобождён от курса" in page and "5А — Математика" in page
    assert "06.10.2026 – 25.12.2026" in page
    assert "справка ВКК" in page


def test_r_str_7_course_choices_are_the_schools_courses_with_a_teacher(client, people, timetable):
    gymnasium_class = f.class_make(people.gymnasium, people.gymnasium.academic_years.get(), 7, "В")
    client.force_login(people.admin)
    form = client.get(groups_url(people)).context["curriculum_form"]
    labels = sorted(label for _key, label in form.fields["course"].choices[1:])
    assert labels == ["5А 1 группа — Английский язык", "5А — Математика"]
    foreign = gymnasium_class.groups.get()
    response = client.post(
        add_url(people), add_data(people, course=f"{foreign.pk}-{people.maths.pk}")
    )
    assert response.status_code == 400
    assert not IndividualCurriculum.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"basis": ""}, "Обязательное поле."),
        ({"ends_on": "2026-10-01"}, "Дата окончания раньше даты начала."),
        ({"kind": "attach"}, "Ученик и так посещает курсы всего своего класса."),
        ({"student": "SIBLING"}, "Выберите корректный вариант."),
    ],
)
def test_r_str_7_add_form_errors_in_russian(client, people, timetable, overrides, message):
    if overrides.get("student") == "SIBLING":  # 5Б: not a student of this class
        overrides["student"] = people.sibling_record.pk
    client.force_login(people.admin)
    response = client.post(add_url(people), add_data(people, **overrides))
    assert response.status_code == 400
    assert message in html(response)
    assert not IndividualCurriculum.objects.exists()


def test_r_str_7_exemption_only_from_a_course_of_the_class(client, people, timetable):
    whole_5b = people.class_5b.groups.get()
    from schedule.models import TeachingLoad

    TeachingLoad.objects.create(
        school=people.lyceum,
        teacher=people.teacher,
        group=whole_5b,
        subject=people.maths,
        hours_per_week=5,
    )
    client.force_login(people.admin)
    course = f"{whole_5b.pk}-{people.maths.pk}"
    response = client.post(add_url(people), add_data(people, course=course))
    assert response.status_code == 400
    assert "Освободить ученика можно только от курса его класса." in html(response)
    # attaching him to 5Б's course is fine
    response = client.post(add_url(people), add_data(people, course=course, kind="attach"))
    assert response.status_code == 302


def test_r_str_7_overlapping_curricula_are_refused(client, people, timetable):
    client.force_login(people.admin)
    assert client.post(add_url(people), add_data(people)).status_code == 302
    response = client.post(
        add_url(people), add_data(people, starts_on="2026-12-01", ends_on="2027-01-31")
    )
    assert response.status_code == 400
    assert "У ученика уже есть индивидуальный учебный план по этому курсу на часть этих дат." in (
        html(response)
    )
    assert IndividualCurriculum.objects.count() == 1


def test_r_str_7_end_from_a_date(client, people, timetable):
    whole = people.class_5a.groups.get(is_whole_class=True)
    ic = curriculum(
        people, people.other_student_record, whole, people.maths, Kind.EXEMPT, dt.date(2026, 9, 1)
    )
    client.force_login(people.deputy)
    response = client.post(end_url(people, ic.pk), {"ends_from": "2026-10-12"})
    assert response.status_code == 302
    ic.refresh_from_db()
    assert ic.ends_on == dt.date(2026, 10, 11)
    on_11 = dt.date(2026, 10, 11)
    assert names(course_students_on(whole, people.maths, on_11)) == ["Родителев Степан"]
    assert names(course_students_on(whole, people.maths, dt.date(2026, 10, 12))) == [
        "Другов Дмитрий",
        "Родителев Степан",
    ]
    page = html(client.get(response.url))
    assert "Индивидуальный учебный план ученика Другов Дмитрий прекращается с 12.10.2026." in page
    # a later date than its end is refused
    response = client.post(end_url(people, ic.pk), {"ends_from": "2026-10-20"})
    assert response.status_code == 400
    assert "Другов Дмитрий: Он уже заканчивается 11.10.2026." in html(response)


def test_r_str_7_cannot_end_before_it_begins(client, people, timetable):
    whole = people.class_5a.groups.get(is_whole_class=True)
    ic = curriculum(
        people, people.other_student_record, whole, people.maths, Kind.EXEMPT, dt.date(2026, 10, 6)
    )
    client.force_login(people.admin)
    response = client.post(end_url(people, ic.pk), {"ends_from": "2026-10-06"})
    assert response.status_code == 400
    assert "может прекратиться только после своего первого дня, 06.10.2026" in html(response)
    response = client.post(end_url(people, ic.pk), {"ends_from": ""})
    assert response.status_code == 400
    assert "Укажите дату, с которой прекращается индивидуальный учебный план." in html(response)
    ic.refresh_from_db()
    assert ic.ends_on is None


def test_r_str_7_class_teacher_reads_the_list_only(client, people, timetable):
    whole = people.class_5a.groups.get(is_whole_class=True)
    ic = curriculum(
        people, people.other_student_record, whole, people.maths, Kind.EXEMPT, dt.date(2026, 9, 1)
    )
    client.force_login(people.class_teacher)
    response = client.get(groups_url(people))
    assert response.context["curricula"] == [ic]
    assert "curriculum_form" not in response.context
    page = html(response)
    assert "Другов Дмитрий" in page and "приказ № 3" in page
    assert add_url(people) not in page and end_url(people, ic.pk) not in page
    assert client.post(add_url(people), add_data(people)).status_code == 403
    assert client.post(end_url(people, ic.pk), {"ends_from": "2026-10-12"}).status_code == 403
    ic.refresh_from_db()
    assert ic.ends_on is None and IndividualCurriculum.objects.count() == 1


def test_r_str_7_list_shows_current_and_planned_not_ended(client, people, timetable):
    whole = people.class_5a.groups.get(is_whole_class=True)
    ended = curriculum(
        people,
        people.other_student_record,
        whole,
        people.maths,
        Kind.EXEMPT,
        dt.date(2026, 9, 1),
        dt.date(2026, 9, 30),
    )
    planned = curriculum(
        people,
        people.student_record,
        people.english_1,
        people.english,
        Kind.EXEMPT,
        dt.date(2026, 11, 9),
    )
    # a 5Б student attached to a course of 5А is listed on 5А's page
    attached = curriculum(
        people,
        people.sibling_record,
        people.english_1,
        people.english,
        Kind.ATTACH,
        dt.date(2026, 10, 1),
    )
    client.force_login(people.admin)
    assert client.get(groups_url(people)).context["curricula"] == [planned, attached]
    assert client.get(groups_url(people, on="2026-09-15")).context["curricula"] == [
        ended,
        planned,
        attached,
    ]


def test_r_str_7_wrong_roles_and_other_schools(client, people, timetable):
    whole = people.class_5a.groups.get(is_whole_class=True)
    ic = curriculum(
        people, people.other_student_record, whole, people.maths, Kind.EXEMPT, dt.date(2026, 9, 1)
    )
    for user in (people.teacher, people.parent, people.student):
        client.force_login(user)
        assert client.post(add_url(people), add_data(people)).status_code == 403
        assert client.post(end_url(people, ic.pk), {"ends_from": "2026-10-12"}).status_code == 403
    client.force_login(people.outsider)
    assert client.post(add_url(people), add_data(people)).status_code == 404
    assert client.post(end_url(people, ic.pk), {"ends_from": "2026-10-12"}).status_code == 404
    # the gymnasium's admin with the lyceum's ids in his own school's URL
    url = reverse("class_curriculum_end", args=[people.gymnasium.slug, people.class_5a.pk, ic.pk])
    assert client.post(url, {"ends_from": "2026-10-12"}).status_code == 404
    ic.refresh_from_db()
    assert ic.ends_on is None and IndividualCurriculum.objects.count() == 1


def test_r_str_7_a_curriculum_of_another_class_is_404_through_this_class(client, people, timetable):
    whole_5b = people.class_5b.groups.get()
    other = curriculum(
        people, people.sibling_record, whole_5b, people.maths, Kind.EXEMPT, dt.date(2026, 9, 1)
    )
    client.force_login(people.admin)
    assert client.post(end_url(people, other.pk), {"ends_from": "2026-10-12"}).status_code == 404
    other.refresh_from_db()
    assert other.ends_on is None


def test_r_str_7_wrong_method_is_405(client, people, timetable):
    whole = people.class_5a.groups.get(is_whole_class=True)
    ic = curriculum(
        people, people.other_student_record, whole, people.maths, Kind.EXEMPT, dt.date(2026, 9, 1)
    )
    client.force_login(people.admin)
    assert client.get(add_url(people)).status_code == 405
    assert client.get(end_url(people, ic.pk)).status_code == 405


# ---------------------------------------------------------------- the school admin site


def test_r_str_7_admin_lists_only_the_schools_curricula(client, people, gymnasium_rows):
    whole = people.class_5a.groups.get(is_whole_class=True)
    ours = curriculum(
        people, people.other_student_record, whole, people.maths, Kind.EXEMPT, dt.date(2026, 9, 1)
    )
    gym_group = gymnasium_rows["class"].groups.get()
    theirs = IndividualCurriculum.objects.create(
        school=people.gymnasium,
        student=gymnasium_rows["student"],
        group=gym_group,
        subject=gymnasium_rows["subject"],
        kind=Kind.EXEMPT,
        starts_on=dt.date(2026, 9, 1),
        basis="Гимназическая справка",
    )
    client.force_login(people.admin)
    response = client.get(admin_url(IndividualCurriculum))
    assert response.status_code == 200
    assert listed(response) == [ours]
    assert "Гимназическая справка".encode() not in response.content
    # another school's row by id shows nothing
    response = client.get(admin_url(IndividualCurriculum, "change", theirs.pk))
    assert response.status_code == 302 and response.url == reverse("admin:index")
    client.force_login(people.outsider)
    assert listed(client.get(admin_url(IndividualCurriculum))) == [theirs]


def test_r_str_7_admin_add_is_scoped_and_validated(client, people, gymnasium_rows):
    client.force_login(people.admin)
    page = client.get(admin_url(IndividualCurriculum, "add"))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "school" not in form.fields
    assert {g.school_id for g in form.fields["group"].queryset} == {people.lyceum.pk}
    assert set(form.fields["subject"].queryset) == {people.maths, people.english}
    data = {
        "student": people.student_record.pk,
        "kind": "exempt",
        "group": gymnasium_rows["class"].groups.get().pk,
        "subject": people.english.pk,
        "starts_on": "2026-10-06",
        "basis": "справка",
    }
    response = client.post(admin_url(IndividualCurriculum, "add"), data)
    assert response.status_code == 200
    assert "group" in response.context["adminform"].form.errors
    # a subgroup's course is for its own subject
    data["group"] = people.english_1.pk
    data["subject"] = people.maths.pk
    response = client.post(admin_url(IndividualCurriculum, "add"), data)
    assert response.status_code == 200
    assert "subject" in response.context["adminform"].form.errors
    data["subject"] = people.english.pk
    response = client.post(admin_url(IndividualCurriculum, "add"), data)
    assert response.status_code == 302, page_errors(response)
    assert IndividualCurriculum.objects.get().school == people.lyceum
    # the same course over overlapping dates
    data["starts_on"] = "2026-11-01"
    response = client.post(admin_url(IndividualCurriculum, "add"), data)
    assert response.status_code == 200
    assert "на часть этих дат" in html(response)
    assert IndividualCurriculum.objects.count() == 1
