"""Timetable pages: weeks by class, teacher, room and student (R-TT-1), the weekly editor
(R-TT-1, R-TT-4), replacements and cancellations and their report (R-TT-3)."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Role
from schedule.models import Lesson, TimetableEntry
from schedule.services.lessons import lesson_cancel, lesson_replace
from schedule.services.timetable import entry_add
from tests import factories as f

SEP_1 = dt.date(2026, 9, 1)
WEEK = "2026-10-05"  # the week of the frozen today, Tuesday 6 October


@pytest.fixture
def week(people, timetable):
    """5А: maths on Monday 1st (whole class), English in subgroups on Monday 2nd; 5Б:
    maths on Monday 2nd by another teacher."""
    other = f.UserFactory(username="other", last_name="Другова", first_name="Дарья")
    f.member(other, people.lyceum, Role.TEACHER)
    whole_5a = people.class_5a.groups.get(is_whole_class=True)
    whole_5b = people.class_5b.groups.get(is_whole_class=True)

    def add(**fields):
        values = {
            "actor": people.deputy,
            "school_class": people.class_5a,
            "room": None,
            "weekday": 1,
            "number": 1,
            "starts_on": SEP_1,
            **fields,
        }
        return entry_add(**values).entries[0]

    add(group=whole_5a, subject=people.maths, teacher=people.teacher, room=timetable.room_201)
    add(group=people.english_1, subject=people.english, teacher=people.teacher, number=2)
    add(group=people.english_2, subject=people.english, teacher=other, number=2)
    add(
        school_class=people.class_5b,
        group=whole_5b,
        subject=people.maths,
        teacher=other,
        number=3,
        room=timetable.room_202,
    )
    people.other = other
    return people


def lesson(people, group, date=dt.date(2026, 10, 5)):
    return Lesson.objects.get(group=group, date=date)


def url(name, people, *args):
    return reverse(name, args=[people.lyceum.slug, *args])


def test_r_tt_1_class_week_shows_every_group_and_the_changes(client, week, timetable):
    whole_5a = week.class_5a.groups.get(is_whole_class=True)
    lesson_replace(
        actor=week.deputy,
        lesson=lesson(week, week.english_1),
        substitute=week.class_teacher,
        reason="больничный",
    )
    lesson_cancel(actor=week.deputy, lesson=lesson(week, whole_5a), reason="экскурсия")
    client.force_login(week.teacher)
    response = client.get(url("timetable_class", week, week.class_5a.pk), {"week": WEEK})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Расписание 5А" in html
    assert html.count('data-testid="lesson"') == 3
    assert "замена: Классова К." in html
    assert "отменён" in html
    assert "1 группа" in html and "2 группа" in html
    assert "изменить" not in html  # a teacher cannot change lessons


def test_r_tt_1_week_navigation(client, week):
    client.force_login(week.teacher)
    page = client.get(url("timetable_class", week, week.class_5a.pk), {"week": "2026-10-28"})
    assert "Нет уроков на этой неделе" in page.content.decode()  # autumn vacation
    page = client.get(url("timetable_class", week, week.class_5a.pk), {"week": "not a date"})
    assert "05.10 — 09.10.2026" in page.content.decode()


def test_r_tt_3_teacher_week_shows_lessons_he_substitutes(client, week):
    lesson_replace(
        actor=week.deputy,
        lesson=lesson(week, week.class_5b.groups.get(is_whole_class=True)),
        substitute=week.teacher,
        reason="курсы повышения квалификации",
    )
    client.force_login(week.teacher)
    html = client.get(url("timetable_teacher", week, week.teacher.pk), {"week": WEEK})
    html = html.content.decode()
    assert html.count('data-testid="lesson"') == 3  # his maths and English, and 5Б's maths
    assert "заменяет Другова Д." in html


def test_r_tt_1_room_week(client, week, timetable):
    client.force_login(week.deputy)
    html = client.get(url("timetable_room", week, timetable.room_201.pk), {"week": WEEK})
    html = html.content.decode()
    assert "Расписание кабинета 201" in html
    assert html.count('data-testid="lesson"') == 1


def test_r_str_5_student_sees_only_his_own_subgroup(client, week):
    client.force_login(week.student)
    response = client.get(url("timetable_student", week, week.student_record.pk), {"week": WEEK})
    html = response.content.decode()
    assert html.count('data-testid="lesson"') == 2
    assert "Учителев У." in html and "Другова Д." not in html  # group 2 is Другова's


def test_r_str_7_exempted_course_is_hidden_and_attached_course_shown(client, week):
    from schedule.models import IndividualCurriculum

    whole_5a = week.class_5a.groups.get(is_whole_class=True)
    whole_5b = week.class_5b.groups.get(is_whole_class=True)
    for kind, group in (("exempt", whole_5a), ("attach", whole_5b)):
        IndividualCurriculum.objects.create(
            school=week.lyceum,
            student=week.student_record,
            kind=kind,
            group=group,
            subject=week.maths,
            basis="приказ №7",
            starts_on=dt.date(2026, 10, 1),
        )
    client.force_login(week.parent)
    html = client.get(url("timetable_student", week, week.student_record.pk), {"week": WEEK})
    html = html.content.decode()
    assert html.count('data-testid="lesson"') == 2
    assert "Другова Д." in html  # 5Б's maths by Другова


def test_r_role_2_parent_cannot_open_another_childs_timetable(client, week):
    client.force_login(week.parent)
    assert client.get(url("timetable_student", week, week.sibling_record.pk)).status_code == 200
    other = url("timetable_student", week, week.other_student_record.pk)
    assert client.get(other).status_code == 404
    client.force_login(week.student)
    assert client.get(other).status_code == 404


def test_timetable_home_per_role(client, week):
    client.force_login(week.student)
    response = client.get(url("timetable", week))
    assert response.status_code == 302
    assert response.url == url("timetable_student", week, week.student_record.pk)
    client.force_login(week.parent)
    html = client.get(url("timetable", week)).content.decode()
    assert "Родителев Степан" in html and "Родителева Софья" in html
    client.force_login(week.deputy)
    html = client.get(url("timetable", week)).content.decode()
    assert "Заменить отсутствующего учителя" in html
    assert "Другова Дарья" in html


@pytest.mark.parametrize(
    "name, args",
    [
        ("timetable_class", ["class_5a.pk"]),
        ("timetable_teacher", ["teacher.pk"]),
        ("timetable_edit", ["class_5a.pk"]),
        ("replacements_report", []),
        ("replacement_range", []),
    ],
)
def test_staff_pages_refuse_parents_and_outsiders(client, week, name, args):
    resolved = [getattr(week, a.split(".")[0]).pk for a in args]
    client.force_login(week.parent)
    assert client.get(url(name, week, *resolved)).status_code == 403
    client.force_login(week.outsider)
    assert client.get(url(name, week, *resolved)).status_code == 404


def test_wrong_methods(client, week, timetable):
    client.force_login(week.deputy)
    target = lesson(week, week.english_1)
    for name, args in (
        ("timetable", []),
        ("timetable_class", [week.class_5a.pk]),
        ("timetable_teacher", [week.teacher.pk]),
        ("timetable_room", [timetable.room_201.pk]),
        ("timetable_student", [week.student_record.pk]),
        ("replacements_report", []),
    ):
        assert client.post(url(name, week, *args)).status_code == 405, name
    for name, args in (
        ("timetable_edit", [week.class_5a.pk]),
        ("lesson_change", [target.pk]),
        ("replacement_range", []),
    ):
        assert client.delete(url(name, week, *args)).status_code == 405, name


def test_room_and_lesson_pages_refuse_other_schools_and_roles(client, week, timetable):
    target = lesson(week, week.english_1)
    client.force_login(week.outsider)
    assert client.get(url("timetable_room", week, timetable.room_201.pk)).status_code == 404
    assert client.get(url("timetable_student", week, week.student_record.pk)).status_code == 404
    client.force_login(week.student)
    assert client.get(url("timetable_room", week, timetable.room_201.pk)).status_code == 403
    assert client.get(url("lesson_change", week, target.pk)).status_code == 403


def test_r_tt_1_week_page_query_count_does_not_grow_with_lessons(
    client, week, django_assert_num_queries
):
    """user, access (memberships with school, settings, led classes and the switcher's
    other schools), the class, the lessons: 4, with 3 lessons or 30. The session is in the
    cache."""
    client.force_login(week.teacher)
    page = url("timetable_class", week, week.class_5a.pk)
    with django_assert_num_queries(4):
        client.get(page, {"week": WEEK})
    whole_5a = week.class_5a.groups.get(is_whole_class=True)
    for day in range(2, 6):
        for number in range(1, 7):
            teacher = f.UserFactory()
            f.member(teacher, week.lyceum, Role.TEACHER)
            entry_add(
                actor=week.deputy,
                school_class=week.class_5a,
                group=whole_5a,
                subject=week.maths,
                teacher=teacher,
                room=None,
                weekday=day,
                number=number,
                starts_on=SEP_1,
            )
    with django_assert_num_queries(4):
        response = client.get(page, {"week": WEEK})
    assert response.content.decode().count('data-testid="lesson"') == 27


# ------------------------------------------------------------------ the editor


def post_add(client, people, **fields):
    data = {
        "action": "add",
        "weekday": 3,
        "number": 4,
        "group": people.class_5a.groups.get(is_whole_class=True).pk,
        "subject": people.maths.pk,
        "teacher": people.teacher.pk,
        "room": "",
        "starts_on": "2026-10-07",
        **fields,
    }
    return client.post(url("timetable_edit", people, people.class_5a.pk), data)


def test_r_tt_1_deputy_adds_a_lesson_in_the_editor(client, week):
    client.force_login(week.deputy)
    page = client.get(url("timetable_edit", week, week.class_5a.pk))
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="entry"') == 3
    response = post_add(client, week)
    assert response.status_code == 302
    entry = TimetableEntry.objects.get(weekday=3, number=4)
    assert entry.starts_on == dt.date(2026, 10, 7)
    dates = list(Lesson.objects.filter(entry=entry).order_by("date").values_list("date", flat=True))
    assert dates[0] == dt.date(2026, 10, 7)
    assert len(dates) == 32  # 34 Wednesdays left, less the vacation and 4 November
    followed = client.get(response.url).content.decode()
    assert "Урок добавлен; создано 32 урока по датам" in followed


def test_r_tt_1_clash_in_the_editor_is_shown_in_russian_and_nothing_saved(client, week):
    client.force_login(week.deputy)
    response = post_add(client, week, weekday=1, number=3, teacher=week.other.pk)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Учитель Другова Д. в это время уже ведёт урок «Математика» в 5Б" in html
    assert not TimetableEntry.objects.filter(school_class=week.class_5a, number=3).exists()


def test_r_tt_4_editor_changes_a_teacher_from_a_date(client, week):
    client.force_login(week.deputy)
    entry = TimetableEntry.objects.get(group=week.english_1)
    response = client.post(
        url("timetable_edit", week, week.class_5a.pk),
        {
            "action": "change",
            "entry": entry.pk,
            "from_date": "2026-11-09",
            "teacher": week.class_teacher.pk,
        },
    )
    assert response.status_code == 302
    before = Lesson.objects.get(group=week.english_1, date=dt.date(2026, 10, 5))
    after = Lesson.objects.get(group=week.english_1, date=dt.date(2026, 11, 9))
    assert before.teacher == week.teacher and after.teacher == week.class_teacher


def test_r_tt_4_editor_removes_a_lesson_from_a_date(client, week):
    client.force_login(week.admin)
    entry = TimetableEntry.objects.get(group=week.english_1)
    response = client.post(
        url("timetable_edit", week, week.class_5a.pk),
        {"action": "end", "entry": entry.pk, "from_date": "2026-10-12"},
    )
    assert response.status_code == 302
    dates = Lesson.objects.filter(group=week.english_1).values_list("date", flat=True)
    assert max(dates) == dt.date(2026, 10, 5)


def test_editor_refuses_a_teacher(client, week):
    client.force_login(week.teacher)
    assert post_add(client, week).status_code == 403
    assert not TimetableEntry.objects.filter(weekday=3).exists()


# ------------------------------------------------------------------ replacements


def test_r_tt_3_deputy_replaces_one_lesson(client, week):
    client.force_login(week.deputy)
    target = lesson(week, week.english_1)
    page = client.get(url("lesson_change", week, target.pk))
    assert "Другова Дарья — занят(а)" in page.content.decode()  # she teaches group 2 then
    response = client.post(
        url("lesson_change", week, target.pk),
        {"action": "replace", "substitute": week.class_teacher.pk, "reason": "больничный"},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.substitute == week.class_teacher
    assert target.substitute_same_subject is False
    assert target.change_reason == "больничный" and target.changed_by == week.deputy


def test_r_tt_3_a_busy_substitute_and_a_missing_reason_are_refused(client, week):
    client.force_login(week.deputy)
    target = lesson(week, week.english_1)
    response = client.post(
        url("lesson_change", week, target.pk),
        {"action": "replace", "substitute": week.other.pk, "reason": "больничный"},
    )
    assert response.status_code == 400
    assert "Другова Д. в это время занят(а): Пн 05.10, 2-й урок, 5А 2 группа" in (
        response.content.decode()
    )
    response = client.post(
        url("lesson_change", week, target.pk),
        {"action": "replace", "substitute": week.class_teacher.pk, "reason": ""},
    )
    assert "Укажите причину изменения" in response.content.decode()
    target.refresh_from_db()
    assert target.substitute is None


def test_r_tt_3_cancel_and_restore(client, week, timetable):
    client.force_login(week.deputy)
    target = lesson(week, week.class_5a.groups.get(is_whole_class=True))
    change = url("lesson_change", week, target.pk)
    client.post(change, {"action": "cancel", "reason": "карантин"})
    target.refresh_from_db()
    assert target.is_cancelled and target.change_reason == "карантин"
    client.post(change, {"action": "restore"})
    target.refresh_from_db()
    assert not target.is_cancelled and target.room == timetable.room_201


def test_r_tt_3_only_the_administration_replaces(client, week):
    target = lesson(week, week.english_1)
    client.force_login(week.teacher)
    response = client.post(
        url("lesson_change", week, target.pk),
        {"action": "replace", "substitute": week.class_teacher.pk, "reason": "x"},
    )
    assert response.status_code == 403
    client.force_login(week.outsider)
    assert client.get(url("lesson_change", week, target.pk)).status_code == 404


def test_r_tt_3_a_sick_week_is_replaced_all_or_none(client, week):
    client.force_login(week.deputy)
    data = {
        "teacher": week.teacher.pk,
        "date_from": "2026-10-05",
        "date_to": "2026-10-11",
        "substitute": week.other.pk,
        "reason": "больничный",
    }
    response = client.post(url("replacement_range", week), data)
    assert response.status_code == 400  # Другова teaches group 2 while group 1 has English
    assert "Другова Д. в это время занят(а)" in response.content.decode()
    assert not Lesson.objects.filter(substitute__isnull=False).exists()
    data["substitute"] = week.class_teacher.pk
    response = client.post(url("replacement_range", week), data)
    assert response.status_code == 302
    replaced = Lesson.objects.filter(substitute=week.class_teacher)
    assert replaced.count() == 2


def test_r_tt_3_report_counts_same_and_other_subject_per_teacher(client, week):
    from schedule.models import TeachingLoad

    TeachingLoad.objects.create(
        school=week.lyceum,
        teacher=week.class_teacher,
        group=week.class_5b.groups.get(is_whole_class=True),
        subject=week.maths,
        hours_per_week=4,
    )
    whole_5a = week.class_5a.groups.get(is_whole_class=True)
    for group, date in (
        (whole_5a, dt.date(2026, 10, 5)),
        (whole_5a, dt.date(2026, 10, 12)),
        (week.english_1, dt.date(2026, 10, 5)),
    ):
        lesson_replace(
            actor=week.deputy,
            lesson=lesson(week, group, date),
            substitute=week.class_teacher,
            reason="больничный",
        )
    lesson_replace(
        actor=week.deputy,
        lesson=lesson(week, whole_5a, dt.date(2026, 11, 9)),
        substitute=week.class_teacher,
        reason="больничный",
    )
    client.force_login(week.director)
    html = client.get(url("replacements_report", week), {"month": "2026-10"}).content.decode()
    assert "Замены: Октябрь 2026" in html
    by_substitute = html.split('data-testid="by-substitute"')[1].split("</table>")[0]
    assert "Классова Клара" in by_substitute
    assert '<td class="num">2</td><td class="num">1</td><td class="num">3</td>' in by_substitute
    rows = html.split('data-testid="replacements"')[1].split("</table>")[0]
    assert rows.count("<tr>") == 4  # header + 3 in October
    assert "по другому предмету" in rows and "по тому же предмету" in rows
