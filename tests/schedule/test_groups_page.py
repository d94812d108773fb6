"""R-STR-5: the groups of a class. The class teacher with the subject teacher splits the
class into subgroups for a subject by pick lists; the first placement needs no order, a
later move needs one (number, date) and takes effect from a date: the student is in the
old group's journal before it and in the new one from it. Saved all or none."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Role
from schedule.models import Group, GroupMembership, Order, Subject, TeachingLoad
from schedule.selectors import group_students_on

from .. import factories as f

SEP_1 = dt.date(2026, 9, 1)
OCT_12 = dt.date(2026, 10, 12)


def groups_url(p, school_class=None):
    return reverse("class_groups", args=[p.lyceum.slug, (school_class or p.class_5a).pk])


def split_url(p, subject=None, school_class=None):
    return reverse(
        "class_group_split",
        args=[p.lyceum.slug, (school_class or p.class_5a).pk, (subject or p.english).pk],
    )


def split(client, p, picks, on, **order):
    """Post the pick lists: `picks` {student: group or None for "not placed"}."""
    data = {"on": on.isoformat(), **{k: str(v) for k, v in order.items()}}
    for student, group in picks.items():
        data[f"s{student.pk}"] = "none" if group is None else str(group.pk)
    return client.post(split_url(p), data)


def members(group, on):
    return [s.last_name for s in group_students_on(group, on)]


def html(response):
    return response.content.decode()


# ---------------------------------------------------------------- the groups page


def test_r_str_5_page_lists_subgroups_with_teachers_and_sizes(client, people, timetable):
    client.force_login(people.class_teacher)
    response = client.get(groups_url(people))
    assert response.status_code == 200
    page = html(response)
    assert "Группы 5А класса" in page
    assert "Английский язык" in page
    [entry] = response.context["subjects"]
    rows = {g.name: (g.member_count, [load.teacher for load in g.loads]) for g in entry["groups"]}
    assert rows == {"1 группа": (1, [people.teacher]), "2 группа": (1, [])}
    assert "Учителев У." in page and "учитель не назначен" in page
    assert "2 ученика в классе на 06.10.2026." in page


def test_r_str_5_page_shows_another_date(client, people, timetable):
    """?on= shows the groups as they were: before 1 September nobody is in them."""
    client.force_login(people.class_teacher)
    response = client.get(groups_url(people), {"on": "2026-08-31"})
    [entry] = response.context["subjects"]
    assert [g.member_count for g in entry["groups"]] == [0, 0]
    assert response.context["student_count"] == 0
    # a malformed date falls back to today
    assert client.get(groups_url(people), {"on": "вчера"}).context["on"] == dt.date(2026, 10, 6)


def test_r_str_5_class_page_links_to_the_groups(client, people):
    client.force_login(people.class_teacher)
    page = html(client.get(reverse("class_detail", args=[people.lyceum.slug, people.class_5a.pk])))
    assert groups_url(people) in page


def test_r_str_5_subgroups_are_created_with_their_teachers(client, people):
    informatics = f.subject_make(people.lyceum, "Информатика")
    client.force_login(people.admin)
    response = client.post(
        groups_url(people),
        {
            "subject": informatics.pk,
            "name_1": "1 группа",
            "teacher_1": people.teacher.pk,
            "hours_1": "1",
            "name_2": "2 группа",
            "teacher_2": people.class_teacher.pk,
            "hours_2": "1.5",
        },
    )
    assert response.status_code == 302
    assert response.url == split_url(people, informatics) + "?on=2026-10-06"
    groups = Group.objects.filter(school_class=people.class_5a, subject=informatics)
    assert sorted(g.name for g in groups) == ["1 группа", "2 группа"]
    assert {g.school_id for g in groups} == {people.lyceum.pk}
    loads = TeachingLoad.objects.filter(subject=informatics).order_by("group__name")
    assert [(load.teacher, str(load.hours_per_week)) for load in loads] == [
        (people.teacher, "1.0"),
        (people.class_teacher, "1.5"),
    ]
    page = html(client.get(response.url))
    assert "Созданы 2 группы по предмету «Информатика». Теперь распределите учеников." in page


def test_r_str_5_a_third_group_may_be_added_to_a_split_subject(client, people):
    client.force_login(people.class_teacher)
    response = client.post(groups_url(people), {"subject": people.english.pk, "name_1": "3 группа"})
    assert response.status_code == 302
    assert people.class_5a.groups.filter(subject=people.english).count() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name_1": "Одна"}, "Класс делится по предмету не менее чем на две группы."),
        ({"name_1": "", "name_2": ""}, "Укажите названия групп."),
        ({"name_1": "А", "name_2": "а"}, "В классе уже есть группа «а» по этому предмету."),
        ({"name_1": "А", "name_2": "Б", "teacher_2": "TEACHER"}, "Укажите часы учителя в неделю."),
        (
            {"name_1": "А", "name_2": "Б", "hours_1": "2"},
            "Выберите учителя, который ведёт эти часы.",
        ),
        ({"name_1": "", "name_2": "Б", "teacher_1": "TEACHER"}, "Укажите название группы."),
        ({"name_1": "А", "name_2": "Б", "teacher_1": "TEACHER", "hours_1": "20"}, "10"),
    ],
)
def test_r_str_5_subgroup_form_errors_are_in_russian_and_create_nothing(
    client, people, data, message
):
    informatics = f.subject_make(people.lyceum, "Информатика")
    data = {k: str(people.teacher.pk) if v == "TEACHER" else v for k, v in data.items()}
    client.force_login(people.class_teacher)
    response = client.post(groups_url(people), {"subject": informatics.pk, **data})
    assert response.status_code == 400
    assert message in html(response)
    assert not Group.objects.filter(subject=informatics).exists()


def test_r_str_5_existing_group_name_is_refused(client, people):
    client.force_login(people.class_teacher)
    response = client.post(groups_url(people), {"subject": people.english.pk, "name_1": "2 ГРУППА"})
    assert response.status_code == 400
    assert "В классе уже есть группа «2 ГРУППА» по этому предмету." in html(response)
    assert people.class_5a.groups.filter(subject=people.english).count() == 2


def test_r_str_5_subject_teacher_splits_only_his_subjects(client, people):
    """A subject teacher may split the class for a subject he teaches in it, not another."""
    informatics = f.subject_make(people.lyceum, "Информатика")
    client.force_login(people.teacher)
    form = client.get(groups_url(people)).context["subgroups_form"]
    assert {s.name for s in form.subjects.values()} == {"Математика", "Английский язык"}
    response = client.post(
        groups_url(people), {"subject": informatics.pk, "name_1": "А", "name_2": "Б"}
    )
    assert response.status_code == 400
    assert not Group.objects.filter(subject=informatics).exists()


# ---------------------------------------------------------------- the split


def test_r_str_5_initial_split_needs_no_order(client, people):
    client.force_login(people.class_teacher)
    page = client.get(split_url(people), {"on": "2026-09-01"})
    assert page.status_code == 200
    assert [row[0] for row in page.context["form"].rows()] == [
        people.other_student_record,
        people.student_record,
    ]
    form = page.context["form"]
    assert form[f"s{people.student_record.pk}"].initial == "none"  # "not placed"
    assert f'name="s{people.student_record.pk}" value="none"' in html(page)
    response = split(
        client,
        people,
        {people.student_record: people.english_1, people.other_student_record: people.english_2},
        SEP_1,
    )
    assert response.status_code == 302
    assert response.url == split_url(people) + "?on=2026-09-01"
    assert members(people.english_1, SEP_1) == ["Родителев"]
    assert members(people.english_2, SEP_1) == ["Другов"]
    assert not GroupMembership.objects.exclude(order=None).exists()
    assert not Order.objects.filter(kind=Order.Kind.GROUPS).exists()
    follow = html(client.get(response.url))
    assert "Группы изменены у 2 учеников с 01.09.2026." in follow


def test_r_str_5_pick_list_preselects_the_current_group(client, people, timetable):
    client.force_login(people.class_teacher)
    form = client.get(split_url(people)).context["form"]
    assert form[f"s{people.student_record.pk}"].initial == str(people.english_1.pk)
    assert form[f"s{people.other_student_record.pk}"].initial == str(people.english_2.pk)
    page = html(client.get(split_url(people), {"on": "2026-08-31"}))
    assert "На эту дату в классе нет учеников." in page


def test_r_str_5_later_move_without_an_order_is_refused(client, people, timetable):
    client.force_login(people.class_teacher)
    response = split(client, people, {people.other_student_record: people.english_1}, OCT_12)
    assert response.status_code == 400
    page = html(response)
    assert "Для перевода ученика, который уже был в группе, нужен приказ" in page
    assert "Другов Дмитрий" in page
    assert members(people.english_1, OCT_12) == ["Родителев"]
    assert GroupMembership.objects.count() == 2


def test_r_str_5_move_by_an_order_takes_effect_from_its_date(client, people, timetable):
    client.force_login(people.teacher)  # the teacher of english_1
    response = split(
        client,
        people,
        {people.other_student_record: people.english_1},
        OCT_12,
        order_number="15-г",
        order_date="2026-10-09",
    )
    assert response.status_code == 302, html(response)
    order = Order.objects.get(number="15-г")
    assert order.kind == Order.Kind.GROUPS and order.date == dt.date(2026, 10, 9)
    assert order.school == people.lyceum
    day_before = OCT_12 - dt.timedelta(days=1)
    assert members(people.english_2, day_before) == ["Другов"]
    assert members(people.english_1, day_before) == ["Родителев"]
    assert members(people.english_1, OCT_12) == ["Другов", "Родителев"]
    assert members(people.english_2, OCT_12) == []
    new = GroupMembership.objects.get(group=people.english_1, student=people.other_student_record)
    assert new.order == order and new.starts_on == OCT_12
    page = html(client.get(response.url))
    assert "Основание: приказ № 15-г от 09.10.2026." in page


def test_r_str_5_an_existing_order_with_the_same_number_and_date_is_reused(
    client, people, timetable
):
    order = f.order_make(people.lyceum, "15-г", dt.date(2026, 10, 9), Order.Kind.GROUPS)
    client.force_login(people.class_teacher)
    response = split(
        client,
        people,
        {people.other_student_record: people.english_1},
        OCT_12,
        order_number="15-г",
        order_date="2026-10-09",
    )
    assert response.status_code == 302
    assert Order.objects.filter(number="15-г").count() == 1
    assert GroupMembership.objects.get(starts_on=OCT_12).order == order


def test_r_str_5_an_order_of_another_kind_is_refused(client, people, timetable):
    client.force_login(people.class_teacher)
    response = split(  # "1-у" of 30.08 is the enrolment order of the fixtures
        client,
        people,
        {people.other_student_record: people.english_1},
        OCT_12,
        order_number="1-у",
        order_date="2026-08-30",
    )
    assert response.status_code == 400
    assert "Приказ другого вида: зачисление." in html(response)
    assert members(people.english_1, OCT_12) == ["Родителев"]


def test_r_str_5_a_move_cannot_precede_its_order(client, people, timetable):
    client.force_login(people.class_teacher)
    response = split(
        client,
        people,
        {people.other_student_record: people.english_1},
        OCT_12,
        order_number="16-г",
        order_date="2026-10-13",
    )
    assert response.status_code == 400
    assert "Изменение не может вступить в силу раньше даты приказа." in html(response)
    assert not Order.objects.filter(number="16-г").exists()


def test_r_str_5_order_needs_both_number_and_date(client, people, timetable):
    client.force_login(people.class_teacher)
    response = split(
        client, people, {people.other_student_record: people.english_1}, OCT_12, order_number="7"
    )
    assert response.status_code == 400
    assert "Укажите и номер, и дату приказа." in html(response)


def test_r_str_5_all_or_none(client, people, timetable):
    """One refused move leaves nothing saved: not the other student's move, not the order."""
    GroupMembership.objects.filter(student=people.student_record).update(starts_on=OCT_12)
    client.force_login(people.class_teacher)
    response = split(
        client,
        people,
        {
            # Другов comes first in the list and would be moved fine...
            people.other_student_record: people.english_1,
            # ...but Родителев only joined english_1 on that very date
            people.student_record: people.english_2,
        },
        OCT_12,
        order_number="17-г",
        order_date="2026-10-12",
    )
    assert response.status_code == 400
    page = html(response)
    assert (
        "Родителев Степан: Дата перевода должна быть позже даты зачисления ученика в группу."
        in page
    )
    assert members(people.english_2, OCT_12) == ["Другов"]
    assert members(people.english_1, OCT_12) == ["Родителев"]
    assert GroupMembership.objects.count() == 2
    assert not GroupMembership.objects.filter(ends_on__isnull=False).exists()
    assert not Order.objects.filter(number="17-г").exists()
    # the refused picks are still on the page, to be corrected
    form = response.context["form"]
    assert form[f"s{people.other_student_record.pk}"].value() == str(people.english_1.pk)


def test_r_str_5_taking_a_student_out_of_the_groups_needs_an_order(client, people, timetable):
    client.force_login(people.class_teacher)
    response = split(client, people, {people.other_student_record: None}, OCT_12)
    assert response.status_code == 400
    assert members(people.english_2, OCT_12) == ["Другов"]
    response = split(
        client,
        people,
        {people.other_student_record: None},
        OCT_12,
        order_number="18-г",
        order_date="2026-10-12",
    )
    assert response.status_code == 302
    assert members(people.english_2, OCT_12 - dt.timedelta(days=1)) == ["Другов"]
    assert members(people.english_2, OCT_12) == []


def test_r_str_5_a_new_student_is_placed_without_an_order(client, people, timetable):
    """A student arriving in October has never been in a group: his placement is a first one."""
    newcomer = f.student_make(people.lyceum, people.class_5a, "Новиков", on=dt.date(2026, 10, 5))
    client.force_login(people.class_teacher)
    response = split(
        client,
        people,
        {
            newcomer: people.english_2,
            people.student_record: people.english_1,  # unchanged
            people.other_student_record: people.english_2,  # unchanged
        },
        dt.date(2026, 10, 6),
    )
    assert response.status_code == 302
    assert members(people.english_2, dt.date(2026, 10, 6)) == ["Другов", "Новиков"]


def test_r_str_5_nothing_changed_saves_nothing(client, people, timetable):
    client.force_login(people.class_teacher)
    response = split(
        client,
        people,
        {people.student_record: people.english_1, people.other_student_record: people.english_2},
        OCT_12,
    )
    assert response.status_code == 302
    assert "Нечего сохранять" in html(client.get(response.url))
    assert GroupMembership.objects.count() == 2


def test_r_str_5_students_of_another_class_cannot_be_slipped_in(client, people, timetable):
    client.force_login(people.class_teacher)
    response = split(client, people, {people.sibling_record: people.english_1}, OCT_12)
    assert response.status_code == 302  # ignored: not on the list
    assert not GroupMembership.objects.filter(student=people.sibling_record).exists()


def test_r_str_5_a_subject_the_class_is_not_split_for_is_404(client, people):
    client.force_login(people.class_teacher)
    assert client.get(split_url(people, people.maths)).status_code == 404


# ---------------------------------------------------------------- who may


def test_r_str_5_who_may_split(client, people, timetable):
    for user in (people.class_teacher, people.teacher, people.admin, people.director):
        client.force_login(user)
        assert client.get(split_url(people)).status_code == 200, user
        assert client.get(groups_url(people)).status_code == 200, user
    client.force_login(people.deputy)
    response = split(client, people, {people.other_student_record: people.english_1}, OCT_12)
    assert response.status_code == 400  # allowed, but needs an order


def test_r_str_5_a_teacher_of_another_subject_may_not_split(client, people, timetable):
    physicist = f.UserFactory(username="physicist", last_name="Физиков")
    f.member(physicist, people.lyceum, Role.TEACHER)
    whole = people.class_5a.groups.get(is_whole_class=True)
    physics = f.subject_make(people.lyceum, "Физика")
    TeachingLoad.objects.create(
        school=people.lyceum, teacher=physicist, group=whole, subject=physics, hours_per_week=2
    )
    client.force_login(physicist)
    assert client.get(split_url(people)).status_code == 403
    response = split(client, people, {people.other_student_record: people.english_1}, OCT_12)
    assert response.status_code == 403
    assert members(people.english_1, OCT_12) == ["Родителев"]
    # he teaches in the class, so he sees its groups, but no individual curricula
    page = client.get(groups_url(people))
    assert page.status_code == 200
    assert "curricula" not in page.context


def test_r_str_5_wrong_roles_are_403(client, people, timetable):
    idle = f.UserFactory(username="idle", last_name="Безнагрузочный")
    f.member(idle, people.lyceum, Role.TEACHER)
    for user in (people.parent, people.student, idle):
        client.force_login(user)
        assert client.get(groups_url(people)).status_code == 403, user
        assert client.get(split_url(people)).status_code == 403, user
        response = split(client, people, {people.other_student_record: people.english_1}, OCT_12)
        assert response.status_code == 403
    client.force_login(people.parent)
    response = client.post(groups_url(people), {"subject": people.maths.pk, "name_1": "А"})
    assert response.status_code == 403
    assert not Group.objects.filter(subject=people.maths).exists()


def test_r_ten_1_another_school_is_404(client, people, timetable):
    client.force_login(people.outsider)
    assert client.get(groups_url(people)).status_code == 404
    assert client.get(split_url(people)).status_code == 404
    # the gymnasium's admin with the lyceum's ids in his own school's URL
    url = reverse("class_groups", args=[people.gymnasium.slug, people.class_5a.pk])
    assert client.get(url).status_code == 404
    url = reverse(
        "class_group_split", args=[people.gymnasium.slug, people.class_5a.pk, people.english.pk]
    )
    assert client.get(url).status_code == 404
    gym_class = f.class_make(people.gymnasium, people.gymnasium.academic_years.get(), 7, "В")
    url = reverse(
        "class_group_split", args=[people.gymnasium.slug, gym_class.pk, people.english.pk]
    )
    assert client.get(url).status_code == 404  # the lyceum's subject


def test_wrong_method_is_405(client, people, timetable):
    client.force_login(people.admin)
    assert client.put(groups_url(people)).status_code == 405
    assert client.delete(split_url(people)).status_code == 405
    assert client.patch(split_url(people)).status_code == 405


# ---------------------------------------------------------------- fixed queries


def _more_students(p, n):
    for i in range(n):
        student = f.student_make(p.lyceum, p.class_5a, f"Новый{i:02d}")
        GroupMembership.objects.create(
            school=p.lyceum,
            group=p.english_1 if i % 2 else p.english_2,
            student=student,
            starts_on=SEP_1,
        )


def test_groups_page_query_count_does_not_grow(
    client, people, timetable, django_assert_max_num_queries
):
    def page():
        # session, user; the school with its settings, the user's roles (school_access);
        # the class; the subgroups with their subject and member counts, their teaching
        # loads with teachers; the class list; the teachers and the subjects of the new
        # subgroups form; the individual curricula; the courses with a teacher for the
        # add form; the context processor's schools of the user; savepoint, session
        # update (the managed school), release
        with django_assert_max_num_queries(16):
            response = client.get(groups_url(people))
        assert response.status_code == 200
        return response

    client.force_login(people.admin)
    first = page()
    assert first.context["student_count"] == 2
    _more_students(people, 20)
    TeachingLoad.objects.create(
        school=people.lyceum,
        teacher=people.class_teacher,
        group=people.english_2,
        subject=people.english,
        hours_per_week=3,
    )
    second = page()
    assert second.context["student_count"] == 22
    [entry] = second.context["subjects"]
    assert [g.member_count for g in entry["groups"]] == [11, 11]


def test_split_page_query_count_does_not_grow(
    client, people, timetable, django_assert_max_num_queries
):
    def page():
        # session, user; the school, the user's roles, whether he leads a class; the class;
        # the subject; the subject's groups; the class list; the memberships of the
        # subject; the context processor's schools of the user; savepoint, session
        # update, release
        with django_assert_max_num_queries(14):
            response = client.get(split_url(people))
        assert response.status_code == 200
        return response

    client.force_login(people.class_teacher)
    page()
    _more_students(people, 20)
    assert len(page().context["form"].rows()) == 22


def test_subjects_are_scoped_to_the_school(client, people):
    foreign = Subject.objects.create(school=people.gymnasium, name="Химия")
    client.force_login(people.admin)
    form = client.get(groups_url(people)).context["subgroups_form"]
    assert foreign not in form.subjects.values()
    response = client.post(
        groups_url(people), {"subject": foreign.pk, "name_1": "А", "name_2": "Б"}
    )
    assert response.status_code == 400
    assert not Group.objects.filter(subject=foreign).exists()
