"""Class news services (R-NOT-4, R-NOT-5): who publishes, changes and removes items, and
whom a new item notifies."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Role
from journal.rules import Refusal
from notifications.models import Kind, NewsPost, Notification
from notifications.services.news import news_post_delete, news_post_edit, news_post_publish

from .. import factories as f
from . import conftest_news
from .conftest_news import News, post_make, url

news = conftest_news.news  # the fixture


def test_r_not_4_the_class_teacher_publishes_and_the_students_and_parents_are_notified(
    people, news: News
):
    """The 5А class teacher publishes: the 5А student and his parent get one notice each
    (kind news, linking to the feed); teachers, the trusted person, 6А's family and the
    author get none."""
    f.parent_make(people.lyceum, f.UserFactory(username="otherparent"), people.other_student_record)
    post = news_post_publish(
        actor=people.class_teacher,
        school_class=people.class_5a,
        title="  Родительское собрание  ",
        body="В четверг в 18:00, кабинет 201.",
    )
    assert post.title == "Родительское собрание"
    assert post.author == people.class_teacher and post.school == people.lyceum
    rows = Notification.objects.order_by("user__username")
    assert [r.user.username for r in rows] == ["otherparent", "parent", "student"]
    row = rows[1]
    assert row.kind == Kind.NEWS
    assert row.title == "Новость класса 5А: Родительское собрание"
    assert row.body == "В четверг в 18:00, кабинет 201."
    assert row.url == url("news_class", people.lyceum, people.class_5a.pk)


def test_r_not_4_the_notices_are_one_bulk_write(people, news: News):
    """However many students and parents, the notices go in one INSERT."""
    for n in range(5):
        child = f.student_make(
            people.lyceum, people.class_5a, f"Ученик{n}", user=f.UserFactory(username=f"s{n}")
        )
        f.parent_make(people.lyceum, f.UserFactory(username=f"p{n}"), child)
    with CaptureQueriesContext(connection) as queries:
        news_post_publish(
            actor=people.class_teacher, school_class=people.class_5a, title="Итоги", body="Текст"
        )
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "notifications_')]
    assert len(inserts) == 2  # the post, then every notice at once
    assert Notification.objects.count() == 12


def test_r_not_4_a_student_who_left_the_class_is_not_notified(people, news: News):
    """Only students enrolled today (and their parents) are the class's family."""
    from schedule.models import Enrolment, Order

    leave = Order.objects.create(
        school=people.lyceum, number="9-у", date=dt.date(2026, 10, 1), kind=Order.Kind.WITHDRAWAL
    )
    Enrolment.objects.filter(student=people.student_record).update(
        ends_on=dt.date(2026, 10, 1), end_order=leave
    )
    news_post_publish(
        actor=people.class_teacher, school_class=people.class_5a, title="Итоги", body="Текст"
    )
    assert not Notification.objects.exists()


@pytest.mark.parametrize("who", ["director", "deputy", "admin"])
def test_r_not_4_the_administration_may_publish_in_any_class(people, news: News, who):
    post = news_post_publish(
        actor=getattr(people, who), school_class=people.class_5b, title="Экскурсия", body="Текст"
    )
    assert post.school_class == people.class_5b


@pytest.mark.parametrize("who", ["teacher", "parent", "student", "outsider"])
def test_r_not_4_other_people_may_not_publish(people, news: News, who):
    """A teacher of the class who is not its class teacher, a parent, a student, a user of
    another school: refused, nothing written."""
    with pytest.raises(Refusal) as refused:
        news_post_publish(
            actor=getattr(people, who), school_class=people.class_5a, title="Т", body="Т"
        )
    assert refused.value.code == "forbidden"
    assert not NewsPost.objects.exists() and not Notification.objects.exists()


def test_r_not_4_a_class_teacher_no_longer_on_the_staff_may_not_publish(people, news: News):
    Membership.objects.filter(user=people.class_teacher, role=Role.TEACHER).update(
        ends_on=dt.date(2026, 10, 1)
    )
    with pytest.raises(Refusal):
        news_post_publish(
            actor=people.class_teacher, school_class=people.class_5a, title="Т", body="Т"
        )


@pytest.mark.parametrize(
    ("title", "body", "message"),
    [
        ("   ", "Текст", "Напишите заголовок."),
        ("Заголовок", "  ", "Напишите текст новости."),
        ("Я" * 201, "Текст", "Заголовок слишком длинный: не больше 200 символов."),
    ],
)
def test_r_not_4_an_item_needs_a_title_and_a_text(people, news: News, title, body, message):
    with pytest.raises(Refusal) as refused:
        news_post_publish(
            actor=people.class_teacher, school_class=people.class_5a, title=title, body=body
        )
    assert refused.value.message == message
    assert not NewsPost.objects.exists()


def test_r_not_4_the_class_teacher_changes_an_item_without_notifying_again(people, news: News):
    post = post_make(people.class_5a, author=people.deputy)
    news_post_edit(actor=people.class_teacher, post=post, title="Новое", body="Новый текст")
    post.refresh_from_db()
    assert (post.title, post.body) == ("Новое", "Новый текст")
    assert post.updated_at is not None and post.author == people.deputy
    assert not Notification.objects.exists()


def test_r_not_4_another_class_teacher_may_not_change_or_remove_an_item(people, news: News):
    post = post_make(people.class_5a)
    with pytest.raises(Refusal):
        news_post_edit(actor=news.teacher_6a, post=post, title="Чужое", body="Чужое")
    with pytest.raises(Refusal):
        news_post_delete(actor=news.teacher_6a, post=post)
    post.refresh_from_db()
    assert post.title == "Новость"


def test_r_not_4_the_class_teacher_removes_an_item(people, news: News):
    post = post_make(people.class_5a)
    news_post_delete(actor=people.class_teacher, post=post)
    assert not NewsPost.objects.exists()
