"""Every diary URL × every role (R-ROLE-2, R-ROLE-5): the student, his parents and his
trusted persons with an open grant read it; staff get 403 on the diary (they have the
journal) but read the timetable and control works; another family, another student, a
revoked or expired grant and another school's people get 404, as if the child did not
exist; anonymous users are sent to the login. Another child's id in the URL, or a child of
another school, is 404; another child's name never shows on the pages."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from journal.models import HomeworkFile, LessonRecord

from .. import factories as f
from .conftest import attendance_make, lesson_on, mark_make, parent_of_school

MONDAY = dt.date(2026, 10, 5)

STAFF = ("admin", "director", "deputy", "teacher", "class_teacher")
READERS = ("parent", "student", "trusted")
STRANGERS = ("other_parent", "other_student", "trusted_revoked", "trusted_expired")
DIARY = ("diary_week", "diary_marks", "diary_attendance", "diary_homework_file")
READ_BY_STAFF = ("timetable_student", "student_control_works")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def homework_file(people, journal):
    """A file of the homework given at Monday's maths lesson of 5А."""
    lesson = lesson_on(people, MONDAY)
    record = LessonRecord.objects.create(
        school=people.lyceum, lesson=lesson, topic="Дроби", homework="№ 5"
    )
    attached = HomeworkFile(school=people.lyceum, record=record, name="task.txt", size=5)
    attached.file.save("task.txt", ContentFile(b"hello"), save=False)
    attached.save()
    return attached


@pytest.fixture
def marked(people, journal, diary):
    """Marks with comments for both students of 5А on Monday: the other child's must never
    show in this child's diary."""
    lesson = lesson_on(people, MONDAY)
    mark_make(people, lesson, people.student_record, "5", comment="Молодец")
    mark_make(people, lesson, people.other_student_record, "2", comment="Другов не готов")
    attendance_make(people, journal.english_2_today, people.other_student_record, "late")


def user_of(people, diary, who):
    if who == "anonymous":
        return None
    if hasattr(diary, who):
        return getattr(diary, who)
    return getattr(people, who)


def url_of(name, people, student_pk, file_pk=None):
    slug = people.lyceum.slug
    if name == "diary_homework_file":
        return reverse(name, args=[slug, student_pk, file_pk])
    return reverse(name, args=[slug, student_pk])


def expected(who: str, name: str) -> int:
    if who == "anonymous":
        return 302
    if who == "outsider":
        return 404  # no role in the lyceum: the school itself is not there for him
    if who in STAFF:
        return 200 if name in READ_BY_STAFF else 403
    if who in READERS:
        return 200
    assert who in STRANGERS
    return 404


@pytest.mark.parametrize("who", [*STAFF, *READERS, *STRANGERS, "outsider", "anonymous"])
def test_r_role_2_every_diary_url_with_every_role(
    client, people, journal, diary, homework_file, marked, who
):
    """R-ROLE-2, R-ROLE-5: the matrix of answers for people.student_record's pages."""
    user = user_of(people, diary, who)
    if user is not None:
        client.force_login(user)
    student = people.student_record
    for name in DIARY + READ_BY_STAFF:
        response = client.get(url_of(name, people, student.pk, homework_file.pk))
        assert response.status_code == expected(who, name), (who, name)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("account_login"))
        if response.status_code == 200 and name != "diary_homework_file":
            html = response.content.decode()
            assert "Другов" not in html, (who, name)  # the other child of the class
            assert "Другов не готов" not in html
            if who != "parent":
                assert "Софья" not in html, (who, name)  # the parent's other child
    index = client.get(reverse("diary_index", args=[people.lyceum.slug]))
    if who == "anonymous":
        assert index.status_code == 302
    elif who == "outsider":
        assert index.status_code == 404
    elif who in STAFF:
        assert index.status_code == 403
    elif who == "parent":  # two children: he chooses
        assert index.status_code == 200
        assert len(index.context["children"]) == 2
    elif who in ("trusted_revoked", "trusted_expired"):  # nobody to read any more
        assert index.status_code == 200
        assert index.context["children"] == []
    else:
        assert index.status_code == 302
        own = people.other_student_record if who in ("other_parent", "other_student") else student
        assert index["Location"] == reverse("diary_week", args=[people.lyceum.slug, own.pk])


@pytest.mark.parametrize("name", ["diary_week", "diary_marks", "diary_attendance"])
@pytest.mark.parametrize("who", ["parent", "student", "trusted"])
def test_r_role_2_another_childs_id_is_404(client, people, journal, diary, who, name):
    """Guessing ids: the other child of the class, and an id that does not exist."""
    client.force_login(user_of(people, diary, who))
    for pk in (people.other_student_record.pk, 999_999):
        assert client.get(url_of(name, people, pk)).status_code == 404


def test_r_role_2_the_students_own_sibling_is_404_for_the_student(client, people, journal):
    client.force_login(people.student)
    response = client.get(url_of("diary_week", people, people.sibling_record.pk))
    assert response.status_code == 404


@pytest.mark.parametrize("name", [*DIARY[:3], *READ_BY_STAFF])
def test_r_role_2_a_child_of_another_school_is_404_under_this_schools_address(
    client, people, journal, name
):
    """The parent has a child in the gymnasium too; that child's id under the lyceum's
    address is 404 (and under the gymnasium's address his diary opens)."""
    gymnasium = people.gymnasium
    year = gymnasium.academic_years.get()
    child = f.student_make(gymnasium, f.class_make(gymnasium, year, 7, "В"), "Родителев", "Глеб")
    parent_of_school(people, gymnasium, people.parent, child)
    client.force_login(people.parent)
    assert client.get(url_of(name, people, child.pk)).status_code == 404
    if name in DIARY:
        there = reverse(name, args=[gymnasium.slug, child.pk])
        assert client.get(there).status_code == 200


def test_a_homework_file_of_another_subgroup_is_404(client, people, journal, diary):
    """The file of group 2's English lesson is not one of the student's lessons (he is in
    group 1), even though both are in 5А."""
    record = LessonRecord.objects.create(
        school=people.lyceum, lesson=journal.english_2_today, homework="Ex. 3"
    )
    attached = HomeworkFile(school=people.lyceum, record=record, name="g2.txt", size=2)
    attached.file.save("g2.txt", ContentFile(b"g2"), save=False)
    attached.save()
    client.force_login(people.parent)
    url = url_of("diary_homework_file", people, people.student_record.pk, attached.pk)
    assert client.get(url).status_code == 404
    client.force_login(diary.other_parent)  # group 2's student: his parent downloads it
    url = url_of("diary_homework_file", people, people.other_student_record.pk, attached.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"g2"
    assert "attachment" in response["Content-Disposition"]


def test_a_file_of_another_school_is_404(client, people, journal, homework_file):
    HomeworkFile.objects.filter(pk=homework_file.pk).update(school=people.gymnasium)
    client.force_login(people.parent)
    url = url_of("diary_homework_file", people, people.student_record.pk, homework_file.pk)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", [*DIARY, "diary_index"])
def test_diary_pages_answer_405_to_post(client, people, journal, homework_file, name):
    client.force_login(people.parent)
    if name == "diary_index":
        url = reverse(name, args=[people.lyceum.slug])
    else:
        url = url_of(name, people, people.student_record.pk, homework_file.pk)
    assert client.post(url).status_code == 405


def test_a_staff_member_who_is_also_a_parent_reads_only_his_own_child(client, people, journal):
    """A teacher of the lyceum whose child is in 5А: the diary opens for his child, and is
    404 for the other children (as a teacher he has the journal)."""
    f.parent_make(people.lyceum, people.teacher, people.other_student_record)
    client.force_login(people.teacher)
    own = url_of("diary_week", people, people.other_student_record.pk)
    assert client.get(own).status_code == 200
    assert client.get(url_of("diary_week", people, people.student_record.pk)).status_code == 404
