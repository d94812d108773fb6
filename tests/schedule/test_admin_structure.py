"""The school structure kept in the admin (R-STR-1..6), scoped to the admin's school
(R-TEN-1): choices, validation as form errors, inlines, and fixed query counts."""

import datetime as dt

import pytest

from accounts.admin_site import admin_site
from accounts.models import Role, Student, User
from schedule.models import (
    AcademicYear,
    Bell,
    BellSchedule,
    Building,
    Enrolment,
    GradeLevel,
    Group,
    GroupMembership,
    Holiday,
    Order,
    ReportingPeriod,
    Room,
    SchoolClass,
    Subject,
    TeachingLoad,
)

from .. import factories as f
from ..accounts import test_admin
from ..accounts.test_admin import (
    admin_url,
    form_data,
    inline_data,
    listed,
    management,
    page_errors,
)

# the other school's rows, shared with the site tests
gymnasium_rows = test_admin.gymnasium_rows


@pytest.fixture
def admin_client(client, people):
    client.force_login(people.admin)
    return client


def add_page_data(client, model, **fields):
    """The add form of `model` with every inline empty, plus `fields`."""
    page = client.get(admin_url(model, "add"))
    assert page.status_code == 200
    return {**inline_data(page), **{k: str(v) for k, v in fields.items()}}


# ---------------------------------------------------------------- every page opens


def school_models():
    for model in admin_site._registry:
        if model._meta.app_label in ("accounts", "schedule") and model._meta.model_name not in (
            "municipality",
            "coordinatorassignment",
        ):
            yield pytest.param(model, id=model._meta.label)


@pytest.mark.parametrize("model", list(school_models()))
def test_r_str_every_structure_page_opens_for_the_school_admin(admin_client, people, model):
    assert admin_client.get(admin_url(model)).status_code == 200
    add = admin_client.get(admin_url(model, "add"))
    # the school card is edited, not added; the logs are written by their services (a
    # parent grants and revokes a trusted person himself, R-ROLE-5)
    read_only = model._meta.model_name in (
        "school",
        "credentialissue",
        "parentapplication",
        "trustedperson",
    )
    assert add.status_code == (403 if read_only else 200)
    if "adminform" in (add.context or {}):
        assert "school" not in add.context["adminform"].form.fields


# ---------------------------------------------------------------- classes (R-STR-4)


def test_r_str_4_class_form_offers_only_the_schools_choices(admin_client, people, gymnasium_rows):
    lyceum_bells = BellSchedule.objects.create(school=people.lyceum, name="Первая смена")
    lyceum_room = Room.objects.create(
        school=people.lyceum,
        building=Building.objects.create(school=people.lyceum, name="Главный"),
        number="101",
    )
    form = admin_client.get(admin_url(SchoolClass, "add")).context["adminform"].form
    assert set(form.fields["class_teacher"].queryset) == {people.teacher, people.class_teacher}
    assert set(form.fields["bell_schedule"].queryset) == {lyceum_bells}
    assert set(form.fields["year"].queryset) == {people.year}
    assert set(form.fields["home_room"].queryset) == {lyceum_room}


def test_r_str_4_adding_a_class_creates_its_whole_class_group(admin_client, people):
    data = add_page_data(
        admin_client,
        SchoolClass,
        year=people.year.pk,
        grade=6,
        letter="В",
        class_teacher=people.teacher.pk,
    )
    response = admin_client.post(admin_url(SchoolClass, "add"), data)
    assert response.status_code == 302, page_errors(response)
    school_class = SchoolClass.objects.get(grade=6, letter="В")
    assert school_class.school == people.lyceum
    whole = school_class.groups.get()
    assert whole.is_whole_class and whole.school == people.lyceum


def test_r_str_4_class_with_subgroups_in_one_form(admin_client, people):
    page = admin_client.get(admin_url(SchoolClass, "add"))
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data = {
        **inline_data(page),
        "year": people.year.pk,
        "grade": 7,
        "letter": "А",
        **management(prefix, total=2),
        f"{prefix}-0-name": "1 группа",
        f"{prefix}-0-subject": people.english.pk,
        f"{prefix}-1-name": "2 группа",
        f"{prefix}-1-subject": people.english.pk,
    }
    response = admin_client.post(admin_url(SchoolClass, "add"), data)
    assert response.status_code == 302, page_errors(response)
    groups = Group.objects.filter(school_class__grade=7, school_class__letter="А")
    assert sorted(g.name for g in groups if not g.is_whole_class) == ["1 группа", "2 группа"]
    assert len([g for g in groups if g.is_whole_class]) == 1
    assert {g.school_id for g in groups} == {people.lyceum.pk}


def test_r_ten_1_class_with_another_schools_bells_is_refused(admin_client, people, gymnasium_rows):
    data = add_page_data(
        admin_client,
        SchoolClass,
        year=people.year.pk,
        grade=6,
        letter="В",
        bell_schedule=gymnasium_rows["bells"].pk,
    )
    response = admin_client.post(admin_url(SchoolClass, "add"), data)
    assert response.status_code == 200
    assert "bell_schedule" in response.context["adminform"].form.errors
    assert not SchoolClass.objects.filter(school=people.lyceum, grade=6).exists()


def test_r_ten_1_class_teacher_from_another_school_is_refused(admin_client, people, gymnasium_rows):
    data = add_page_data(
        admin_client,
        SchoolClass,
        year=people.year.pk,
        grade=6,
        letter="В",
        class_teacher=gymnasium_rows["teacher"].pk,
    )
    response = admin_client.post(admin_url(SchoolClass, "add"), data)
    assert response.status_code == 200
    assert "class_teacher" in response.context["adminform"].form.errors


def test_r_str_4_duplicate_class_is_a_form_error(admin_client, people):
    data = add_page_data(admin_client, SchoolClass, year=people.year.pk, grade=5, letter="А")
    response = admin_client.post(admin_url(SchoolClass, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert SchoolClass.objects.filter(grade=5, letter="А").count() == 1


def test_r_str_4_old_class_keeps_its_former_class_teacher(admin_client, people):
    """A class teacher whose job ended stays on the form, not silently removed on save."""
    from accounts.models import Membership

    Membership.objects.filter(user=people.class_teacher).update(ends_on=dt.date(2026, 9, 30))
    url = admin_url(SchoolClass, "change", people.class_5a.pk)
    page = admin_client.get(url)
    assert people.class_teacher in page.context["adminform"].form.fields["class_teacher"].queryset
    new_form = admin_client.get(admin_url(SchoolClass, "add")).context["adminform"].form
    assert people.class_teacher not in new_form.fields["class_teacher"].queryset


def test_r_str_4_class_list_counts_students_in_fixed_queries(
    admin_client, people, django_assert_max_num_queries
):
    def page():
        # session, user, the admin's memberships with their schools; year filter choices;
        # count, full count, the classes with teacher, year, bells and the student count
        # aggregated; the context processor's schools of the user; grade filter choices;
        # savepoint, session update, release
        with django_assert_max_num_queries(12):
            return admin_client.get(admin_url(SchoolClass))

    rows = {str(c): c.student_count for c in listed(page())}
    assert rows == {"5А": 2, "5Б": 1}
    for i in range(20):
        f.student_make(people.lyceum, people.class_5b, f"Новый{i}")
    rows = {str(c): c.student_count for c in listed(page())}
    assert rows == {"5А": 2, "5Б": 21}


# ---------------------------------------------------------------- subjects (R-STR-3)


def test_r_str_3_duplicate_subject_name_is_a_form_error(admin_client, people):
    response = admin_client.post(admin_url(Subject, "add"), {"name": "Математика"})
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors and form.non_field_errors()
    assert Subject.objects.filter(school=people.lyceum, name="Математика").count() == 1


def test_r_str_3_same_subject_name_in_another_school_is_fine(client, people):
    client.force_login(people.outsider)
    response = client.post(
        admin_url(Subject, "add"), {"name": "Математика", "no_attestation": "on"}
    )
    assert response.status_code == 302, page_errors(response)
    subject = Subject.objects.get(school=people.gymnasium, name="Математика")
    assert subject.no_attestation


# ---------------------------------------------------------------- groups and load (R-STR-5/6)


def test_r_str_5_whole_class_group_is_read_only(admin_client, people):
    whole = people.class_5a.groups.get(is_whole_class=True)
    url = admin_url(Group, "change", whole.pk)
    page = admin_client.get(url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert admin_client.post(url, {"name": "x"}).status_code == 403
    admin_client.post(admin_url(Group, "delete", whole.pk), {"post": "yes"})
    assert Group.objects.filter(pk=whole.pk).exists()


def test_r_str_5_subgroup_needs_a_subject(admin_client, people):
    data = add_page_data(admin_client, Group, school_class=people.class_5b.pk, name="Девочки")
    response = admin_client.post(admin_url(Group, "add"), data)
    assert response.status_code == 200
    assert "subject" in response.context["adminform"].form.errors
    data["subject"] = str(people.english.pk)
    response = admin_client.post(admin_url(Group, "add"), data)
    assert response.status_code == 302, page_errors(response)
    assert Group.objects.get(name="Девочки").school == people.lyceum


def test_r_str_5_no_members_in_the_whole_class_group(admin_client, people):
    whole = people.class_5a.groups.get(is_whole_class=True)
    data = add_page_data(
        admin_client,
        GroupMembership,
        group=whole.pk,
        student=people.student_record.pk,
        starts_on="2026-09-01",
    )
    response = admin_client.post(admin_url(GroupMembership, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not GroupMembership.objects.exists()


def test_r_str_6_load_choices_and_cross_school_refusal(admin_client, people, gymnasium_rows):
    form = admin_client.get(admin_url(TeachingLoad, "add")).context["adminform"].form
    assert set(form.fields["teacher"].queryset) == {people.teacher, people.class_teacher}
    assert {g.school_id for g in form.fields["group"].queryset} == {people.lyceum.pk}
    foreign_group = gymnasium_rows["class"].groups.get()
    data = {
        "teacher": people.teacher.pk,
        "group": foreign_group.pk,
        "subject": people.maths.pk,
        "hours_per_week": "2",
    }
    response = admin_client.post(admin_url(TeachingLoad, "add"), data)
    assert response.status_code == 200
    assert "group" in response.context["adminform"].form.errors
    data = {**data, "group": people.class_5b.groups.get().pk, "teacher": people.outsider.pk}
    response = admin_client.post(admin_url(TeachingLoad, "add"), data)
    assert response.status_code == 200
    assert "teacher" in response.context["adminform"].form.errors
    assert TeachingLoad.objects.count() == 2


def test_r_str_6_load_of_a_subgroup_is_for_its_subject(admin_client, people):
    data = {
        "teacher": people.teacher.pk,
        "group": people.english_2.pk,
        "subject": people.maths.pk,
        "hours_per_week": "3",
    }
    response = admin_client.post(admin_url(TeachingLoad, "add"), data)
    assert response.status_code == 200
    assert "subject" in response.context["adminform"].form.errors
    data["subject"] = people.english.pk
    response = admin_client.post(admin_url(TeachingLoad, "add"), data)
    assert response.status_code == 302, page_errors(response)
    assert TeachingLoad.objects.get(group=people.english_2).school == people.lyceum


# ---------------------------------------------------------------- year and calendar (R-STR-1)


def test_r_str_1_year_with_grades_holidays_then_periods(admin_client, people):
    page = admin_client.get(admin_url(AcademicYear, "add"))
    prefixes = {i.formset.model: i.formset.prefix for i in page.context["inline_admin_formsets"]}
    assert ReportingPeriod not in prefixes, "periods are added once the year is saved"
    holidays, grades = prefixes[Holiday], prefixes[GradeLevel]
    data = {
        **inline_data(page),
        "name": "2027/2028",
        "starts_on": "2027-09-01",
        "ends_on": "2028-05-31",
        **management(holidays, total=1),
        f"{holidays}-0-name": "Зимние каникулы",
        f"{holidays}-0-kind": "vacation",
        f"{holidays}-0-starts_on": "2027-12-29",
        f"{holidays}-0-ends_on": "2028-01-08",
        **management(grades, total=1),
        f"{grades}-0-grade": "10",
        f"{grades}-0-period_kind": "half",
        f"{grades}-0-study_days": "6",
    }
    response = admin_client.post(admin_url(AcademicYear, "add"), data)
    assert response.status_code == 302, page_errors(response)
    year = AcademicYear.objects.get(school=people.lyceum, name="2027/2028")
    assert year.holidays.get().school == people.lyceum
    assert year.grade_levels.get().study_days == 6

    url = admin_url(AcademicYear, "change", year.pk)
    page = admin_client.get(url)
    periods = next(
        i.formset.prefix
        for i in page.context["inline_admin_formsets"]
        if i.formset.model is ReportingPeriod
    )
    data = {
        **form_data(page),
        **inline_data(page),
        **management(periods, total=2),
        f"{periods}-0-kind": "half",
        f"{periods}-0-number": "1",
        f"{periods}-0-starts_on": "2027-09-01",
        f"{periods}-0-ends_on": "2027-12-28",
        f"{periods}-1-kind": "half",
        f"{periods}-1-number": "2",
        f"{periods}-1-starts_on": "2028-01-09",
        f"{periods}-1-ends_on": "2028-05-31",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, page_errors(response)
    assert {(p.number, p.school_id) for p in year.periods.all()} == {
        (1, people.lyceum.pk),
        (2, people.lyceum.pk),
    }


def test_r_str_1_holiday_outside_the_year_is_a_form_error(admin_client, people):
    page = admin_client.get(admin_url(AcademicYear, "add"))
    holidays = next(
        i.formset.prefix
        for i in page.context["inline_admin_formsets"]
        if i.formset.model is Holiday
    )
    data = {
        **inline_data(page),
        "name": "2027/2028",
        "starts_on": "2027-09-01",
        "ends_on": "2028-05-31",
        **management(holidays, total=1),
        f"{holidays}-0-name": "Лето",
        f"{holidays}-0-kind": "vacation",
        f"{holidays}-0-starts_on": "2028-06-01",
        f"{holidays}-0-ends_on": "2028-08-31",
    }
    response = admin_client.post(admin_url(AcademicYear, "add"), data)
    assert response.status_code == 200
    assert not AcademicYear.objects.filter(name="2027/2028").exists()


def test_r_str_1_overlapping_or_outside_periods_are_form_errors(admin_client, people):
    ReportingPeriod.objects.create(
        school=people.lyceum,
        year=people.year,
        kind="quarter",
        number=1,
        starts_on=dt.date(2026, 9, 1),
        ends_on=dt.date(2026, 10, 26),
    )
    url = admin_url(AcademicYear, "change", people.year.pk)
    page = admin_client.get(url)
    prefix = next(
        i.formset.prefix
        for i in page.context["inline_admin_formsets"]
        if i.formset.model is ReportingPeriod
    )
    base = {**form_data(page), **inline_data(page)}
    total = int(base[f"{prefix}-TOTAL_FORMS"])
    for starts, ends in [("2026-10-20", "2026-12-28"), ("2026-11-05", "2027-06-30")]:
        data = {
            **base,
            f"{prefix}-TOTAL_FORMS": str(total + 1),
            f"{prefix}-{total}-kind": "quarter",
            f"{prefix}-{total}-number": "2",
            f"{prefix}-{total}-starts_on": starts,
            f"{prefix}-{total}-ends_on": ends,
        }
        response = admin_client.post(url, data)
        assert response.status_code == 200
        formsets = [i.formset for i in response.context["inline_admin_formsets"]]
        assert any(fs.total_error_count() for fs in formsets)
    assert people.year.periods.count() == 1


def test_r_str_1_year_ending_before_it_starts_is_a_form_error(admin_client, people):
    data = add_page_data(
        admin_client, AcademicYear, name="2030/2031", starts_on="2031-05-31", ends_on="2030-09-01"
    )
    response = admin_client.post(admin_url(AcademicYear, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors


# ---------------------------------------------------------------- rooms and bells (R-STR-2)


def test_r_str_2_building_with_rooms_and_bells(admin_client, people):
    page = admin_client.get(admin_url(Building, "add"))
    rooms = page.context["inline_admin_formsets"][0].formset.prefix
    data = {
        "name": "Корпус 2",
        **management(rooms, total=2),
        f"{rooms}-0-number": "201",
        f"{rooms}-1-number": "202",
        f"{rooms}-1-capacity": "30",
    }
    response = admin_client.post(admin_url(Building, "add"), data)
    assert response.status_code == 302, page_errors(response)
    building = Building.objects.get(name="Корпус 2")
    assert building.school == people.lyceum
    assert sorted(building.rooms.values_list("number", "school_id")) == [
        ("201", people.lyceum.pk),
        ("202", people.lyceum.pk),
    ]

    response = admin_client.post(
        admin_url(BellSchedule, "add"), {"name": "Первая смена", "shift": "1"}
    )
    assert response.status_code == 302, page_errors(response)
    schedule = BellSchedule.objects.get(name="Первая смена")
    assert schedule.school == people.lyceum
    url = admin_url(BellSchedule, "change", schedule.pk)
    page = admin_client.get(url)
    bells = page.context["inline_admin_formsets"][0].formset.prefix
    data = {
        **form_data(page),
        **management(bells, total=2),
        f"{bells}-0-number": "1",
        f"{bells}-0-starts_at": "08:30",
        f"{bells}-0-ends_at": "09:10",
        f"{bells}-1-number": "1",
        f"{bells}-1-starts_at": "09:20",
        f"{bells}-1-ends_at": "10:00",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200, "two first lessons are refused"
    data[f"{bells}-1-number"] = "2"
    response = admin_client.post(url, data)
    assert response.status_code == 302, page_errors(response)
    assert set(Bell.objects.values_list("number", "school_id")) == {
        (1, people.lyceum.pk),
        (2, people.lyceum.pk),
    }


def test_r_str_2_overlapping_bells_are_a_form_error(admin_client, people):
    schedule = BellSchedule.objects.create(school=people.lyceum, name="Первая смена")
    Bell.objects.create(
        school=people.lyceum,
        schedule=schedule,
        number=1,
        starts_at=dt.time(8, 30),
        ends_at=dt.time(9, 10),
    )
    url = admin_url(BellSchedule, "change", schedule.pk)
    page = admin_client.get(url)
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data = {
        **form_data(page),
        **inline_data(page),
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-1-number": "2",
        f"{prefix}-1-starts_at": "09:00",
        f"{prefix}-1-ends_at": "09:40",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.total_error_count()
    assert schedule.bells.count() == 1


# ---------------------------------------------------------------- orders and students (R-STR-4)


def test_r_str_4_order_with_enrolments(admin_client, people, gymnasium_rows):
    newcomer = Student.objects.create(school=people.lyceum, last_name="Новенький", first_name="Н")
    page = admin_client.get(admin_url(Order, "add"))
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data = {
        "number": "15-у",
        "date": "2026-10-05",
        "kind": Order.Kind.ENROLMENT,
        **management(prefix, total=1),
        f"{prefix}-0-student": gymnasium_rows["student"].pk,
        f"{prefix}-0-school_class": people.class_5b.pk,
        f"{prefix}-0-starts_on": "2026-10-06",
    }
    response = admin_client.post(admin_url(Order, "add"), data)
    assert response.status_code == 200, "another school's student is refused"
    assert not Order.objects.filter(number="15-у").exists()
    data[f"{prefix}-0-student"] = str(newcomer.pk)
    response = admin_client.post(admin_url(Order, "add"), data)
    assert response.status_code == 302, page_errors(response)
    enrolment = Enrolment.objects.get(student=newcomer)
    assert enrolment.school == people.lyceum
    assert enrolment.order.number == "15-у"


def test_r_str_4_second_open_enrolment_is_a_form_error(admin_client, people):
    order = Order.objects.get(school=people.lyceum, number="1-у")
    data = add_page_data(
        admin_client,
        Enrolment,
        student=people.student_record.pk,
        school_class=people.class_5b.pk,
        order=order.pk,
        starts_on="2026-10-06",
    )
    response = admin_client.post(admin_url(Enrolment, "add"), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert people.student_record.enrolments.count() == 1


def test_r_str_4_students_filtered_by_class(admin_client, people):
    rows = listed(admin_client.get(admin_url(Student), {"school_class": people.class_5a.pk}))
    assert set(rows) == {people.student_record, people.other_student_record}
    rows = listed(admin_client.get(admin_url(Student), {"q": "Софья"}))
    assert rows == [people.sibling_record]


def test_r_str_4_student_with_parent_link(admin_client, people, gymnasium_rows):
    """A student card links its parents; a parent of another school cannot be linked."""
    from accounts.models import Parent, ParentLink

    foreign_parent = Parent.objects.create(
        school=people.gymnasium, last_name="Чужая", first_name="Мама"
    )
    page = admin_client.get(admin_url(Student, "add"))
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data = {
        "last_name": "Сиротин",
        "first_name": "Семён",
        **management(prefix, total=1),
        f"{prefix}-0-parent": foreign_parent.pk,
        f"{prefix}-0-relation": ParentLink.Relation.MOTHER,
    }
    response = admin_client.post(admin_url(Student, "add"), data)
    assert response.status_code == 200
    assert not Student.objects.filter(last_name="Сиротин").exists()
    own_parent = people.student_record.parent_links.get().parent
    data[f"{prefix}-0-parent"] = str(own_parent.pk)
    response = admin_client.post(admin_url(Student, "add"), data)
    assert response.status_code == 302, page_errors(response)
    student = Student.objects.get(last_name="Сиротин")
    assert student.school == people.lyceum
    assert student.parent_links.get().school == people.lyceum


def test_r_str_4_student_account_only_from_the_school(admin_client, people):
    form = admin_client.get(admin_url(Student, "add")).context["adminform"].form
    accounts = set(form.fields["user"].queryset)
    assert people.student in accounts and people.outsider not in accounts
    response = admin_client.post(
        admin_url(Student, "add"),
        {**add_page_data(admin_client, Student), "last_name": "Х", "first_name": "Х"}
        | {"user": str(people.outsider.pk)},
    )
    assert response.status_code == 200
    assert "user" in response.context["adminform"].form.errors


@pytest.mark.parametrize("extra", [0, 27])
def test_r_str_4_student_list_costs_the_same_for_3_or_30_students(
    admin_client, people, django_assert_max_num_queries, extra
):
    for i in range(extra):
        f.student_make(people.lyceum, people.class_5b if i % 2 else people.class_5a, f"Уч{i}")
    # session, user, the admin's memberships with their schools; the class filter's
    # choices; count, full count, the page of students with their class (subquery) and
    # account (join); the context processor's schools of the user; savepoint, session
    # update, release
    with django_assert_max_num_queries(11):
        response = admin_client.get(admin_url(Student))
    rows = listed(response)
    assert len(rows) == 3 + extra
    assert {r.current_class for r in rows} == {"5А", "5Б"}


def test_r_ten_1_superuser_picks_the_school_of_a_row(client, people):
    root = User.objects.create_superuser("root", "root@example.org", "secret-pass-123")
    client.force_login(root)
    form = client.get(admin_url(Subject, "add")).context["adminform"].form
    assert "school" in form.fields
    response = client.post(
        admin_url(Subject, "add"), {"name": "Физика", "school": people.gymnasium.pk}
    )
    assert response.status_code == 302, page_errors(response)
    assert Subject.objects.get(name="Физика").school == people.gymnasium
    # an inline row takes its parent's school
    page = client.get(admin_url(Building, "add"))
    rooms = page.context["inline_admin_formsets"][0].formset.prefix
    response = client.post(
        admin_url(Building, "add"),
        {
            "name": "Гимназический корпус",
            "school": people.gymnasium.pk,
            **management(rooms, total=1),
            f"{rooms}-0-number": "1",
        },
    )
    assert response.status_code == 302, page_errors(response)
    assert Room.objects.get(number="1").school == people.gymnasium


def test_r_role_1_teacher_is_no_structure_admin(client, people):
    client.force_login(people.teacher)
    response = client.post(admin_url(Subject, "add"), {"name": "Физика"})
    assert response.status_code == 302
    assert not Subject.objects.filter(name="Физика").exists()
    assert Role.TEACHER in set(people.teacher.memberships.values_list("role", flat=True))
