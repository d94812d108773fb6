"""R-ATT-4 in the diary: a parent files and withdraws absence notices of his child; the
student and trusted persons read them; staff get 403; another family's child, a child of
another school and unknown ids are 404 (R-ROLE-2); wrong methods 405."""

import datetime as dt

import pytest
from django.urls import reverse

from journal.models import AbsenceNotice, Attendance
from journal.services.notices import absence_notice_file

from .. import factories as f

WED = dt.date(2026, 10, 7)
THU = dt.date(2026, 10, 8)


def page(student, school="lyceum"):
    return reverse("diary_notices", args=[school, student.pk])


def withdraw_url(notice, student=None, school="lyceum"):
    return reverse(
        "diary_notice_withdraw", args=[school, (student or notice.student).pk, notice.pk]
    )


def form(**fields):
    data = {
        "starts_on": "2026-10-07",
        "ends_on": "2026-10-08",
        "scope": "days",
        "reason": "illness",
        "comment": "Температура",
    }
    data.update(fields)
    return data


@pytest.fixture
def filed(people, journal):
    return absence_notice_file(
        actor=people.parent,
        student=people.student_record,
        starts_on=WED,
        ends_on=THU,
        reason=AbsenceNotice.Reason.ILLNESS,
        comment="Температура",
    ).notice


# ------------------------------------------------------------------ reading


def test_r_att_4_parent_sees_the_notices_and_the_form(client, people, filed):
    client.force_login(people.parent)
    response = client.get(page(people.student_record))
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="notice-form"' in text
    assert text.count('data-testid="notice"') == 1
    assert "Температура" in text and "болезнь" in text
    assert "2 урока ждут учителей" in text
    assert withdraw_url(filed) in text
    # the diary's child switcher: the parent's other child
    assert 'data-testid="child-switcher"' in text
    assert page(people.sibling_record) in text


@pytest.mark.parametrize("who", ["student", "trusted"])
def test_r_att_4_student_and_trusted_person_read_without_the_form(
    client, people, diary, filed, who
):
    user = people.student if who == "student" else diary.trusted
    client.force_login(user)
    response = client.get(page(people.student_record))
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('data-testid="notice"') == 1
    assert 'data-testid="notice-form"' not in text
    assert withdraw_url(filed) not in text


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "deputy", "admin"])
def test_staff_get_403(client, people, journal, who):
    client.force_login(getattr(people, who))
    assert client.get(page(people.student_record)).status_code == 403
    assert client.post(page(people.student_record), form()).status_code == 403
    assert not AbsenceNotice.objects.exists()


def test_r_role_2_another_familys_child_is_404(client, people, diary, filed):
    """Id-guessing: another parent, another student, a revoked or expired trusted person."""
    for user in (
        diary.other_parent,
        diary.other_student,
        diary.trusted_revoked,
        diary.trusted_expired,
    ):
        client.force_login(user)
        assert client.get(page(people.student_record)).status_code == 404
        assert client.post(page(people.student_record), form()).status_code == 404
        assert client.post(withdraw_url(filed)).status_code == 404
    assert AbsenceNotice.objects.count() == 1
    filed.refresh_from_db()
    assert filed.withdrawn_at is None
    client.force_login(people.parent)
    assert client.get(page(people.other_student_record)).status_code == 404
    assert client.get(reverse("diary_notices", args=["lyceum", 999999])).status_code == 404


def test_foreign_school_is_404(client, people, journal):
    """The lyceum's child under the gymnasium's address; an outsider at the lyceum."""
    client.force_login(people.parent)
    assert client.get(page(people.student_record, school="gymnasium")).status_code == 404
    gym_student = f.student_make(people.gymnasium, None, "Гимназистов")
    assert client.get(page(gym_student)).status_code == 404
    client.force_login(people.outsider)
    assert client.get(page(people.student_record)).status_code == 404


def test_anonymous_is_sent_to_the_login(client, people, journal):
    response = client.get(page(people.student_record))
    assert response.status_code == 302 and reverse("account_login") in response.url


def test_wrong_methods_are_405(client, people, filed):
    client.force_login(people.parent)
    assert client.put(page(people.student_record)).status_code == 405
    assert client.get(withdraw_url(filed)).status_code == 405


# ------------------------------------------------------------------ filing


def test_r_att_4_parent_files_a_notice_for_whole_days(client, people, journal):
    client.force_login(people.parent)
    response = client.post(page(people.student_record), form())
    assert response.status_code == 302 and response.url == page(people.student_record)
    notice = AbsenceNotice.objects.get()
    assert (notice.starts_on, notice.ends_on, notice.lesson_numbers, notice.reason) == (
        WED,
        THU,
        "",
        "illness",
    )
    assert Attendance.objects.filter(notice=notice, pending=True).count() == 2
    followed = client.get(response.url).content.decode()
    assert "2 урока отмечены как заявленные пропуски" in followed


def test_r_att_4_parent_files_a_notice_for_some_lessons(client, people, journal):
    client.force_login(people.parent)
    response = client.post(
        page(people.student_record),
        form(starts_on="2026-10-13", ends_on="", scope="lessons", lessons=["3"]),
    )
    assert response.status_code == 302
    notice = AbsenceNotice.objects.get()
    assert (notice.starts_on, notice.ends_on, notice.lesson_numbers) == (
        dt.date(2026, 10, 13),
        dt.date(2026, 10, 13),
        "3",
    )
    assert [a.lesson.number for a in Attendance.objects.filter(notice=notice)] == [3]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"starts_on": "2026-10-05"}, "первый день уже прошёл"),
        ({"ends_on": "2026-12-01"}, "не более чем на 30 дней"),
        ({"scope": "lessons"}, "Выберите уроки"),
        ({"starts_on": "вчера"}, "Введите правильную дату"),
        ({"reason": "holiday"}, "Выберите корректный вариант"),
    ],
)
def test_r_att_4_bad_input_is_said_on_the_page(client, people, journal, fields, message):
    client.force_login(people.parent)
    response = client.post(page(people.student_record), form(**fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not AbsenceNotice.objects.exists()


@pytest.mark.parametrize("who", ["student", "trusted"])
def test_r_att_4_only_parents_file(client, people, diary, journal, who):
    client.force_login(people.student if who == "student" else diary.trusted)
    assert client.post(page(people.student_record), form()).status_code == 403
    assert not AbsenceNotice.objects.exists()


# ------------------------------------------------------------------ withdrawing


def test_r_att_4_parent_withdraws(client, people, filed):
    client.force_login(people.parent)
    response = client.post(withdraw_url(filed))
    assert response.status_code == 302 and response.url == page(people.student_record)
    filed.refresh_from_db()
    assert filed.withdrawn_at is not None
    assert not Attendance.objects.exists()
    text = client.get(response.url).content.decode()
    assert "снято 2 заявленных пропуска" in text
    assert "отозвано" in text
    # twice: said, nothing changes
    response = client.post(withdraw_url(filed), follow=True)
    assert "Заявление уже отозвано" in response.content.decode()


def test_r_att_4_withdraw_refuses_readers_and_foreign_ids(client, people, diary, filed):
    client.force_login(people.student)
    assert client.post(withdraw_url(filed)).status_code == 403
    client.force_login(diary.trusted)
    assert client.post(withdraw_url(filed)).status_code == 403
    client.force_login(people.parent)
    # the notice under another child's address (his own sibling): 404
    assert client.post(withdraw_url(filed, student=people.sibling_record)).status_code == 404
    assert client.post(withdraw_url(filed, school="gymnasium")).status_code == 404
    filed.refresh_from_db()
    assert filed.withdrawn_at is None
