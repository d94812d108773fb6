"""Class news pages (R-NOT-4, R-ROLE-2, R-ROLE-5, R-NFR-4): who reads which feeds, the class
teacher's form, editing and removal; wrong roles, other schools, wrong methods and the
query counts."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from accounts.models import Parent, ParentLink, TrustedPerson
from notifications.models import Kind, NewsPost, Notification

from .. import factories as f
from . import conftest_news
from .conftest_news import News, html, post_make, url

news = conftest_news.news  # the fixture

NOW = dt.datetime(2026, 10, 6, 3, 0, tzinfo=dt.UTC)


def titles(response) -> list[str]:
    return re.findall(r'data-testid="news-item">\s*<h3>(.*?)</h3>', html(response))


def picked(response) -> list[str]:
    block = re.search(r'data-testid="news-classes">(.*?)</ul>', html(response), re.S)
    if not block:
        return []
    return [re.sub(r"\s+", " ", a).strip() for a in re.findall(r"<a [^>]*>(.*?)</a>", block[1])]


@pytest.fixture
def feeds(people, news: News):
    """An item in each of 5А, 5Б and 6А, the newest in 6А."""
    post_make(people.class_5a, "Собрание 5А", at=NOW - dt.timedelta(days=2))
    post_make(people.class_5b, "Экскурсия 5Б", author=people.deputy, at=NOW - dt.timedelta(days=1))
    post_make(news.class_6a, "Новость 6А", at=NOW)


# ------------------------------------------------------------------ the index


@pytest.mark.parametrize(
    ("who", "classes", "items"),
    [
        ("parent", ["5А — Степан", "5Б — Софья"], ["Экскурсия 5Б", "Собрание 5А"]),
        ("student", ["5А"], ["Собрание 5А"]),
        ("trusted", ["5А — Степан"], ["Собрание 5А"]),
        ("teacher", ["5А"], ["Собрание 5А"]),
        ("class_teacher", ["5А"], ["Собрание 5А"]),
        ("teacher_6a", ["6А"], ["Новость 6А"]),
        ("deputy", ["5А", "5Б", "6А"], ["Новость 6А", "Экскурсия 5Б", "Собрание 5А"]),
        ("director", ["5А", "5Б", "6А"], ["Новость 6А", "Экскурсия 5Б", "Собрание 5А"]),
        ("admin", ["5А", "5Б", "6А"], ["Новость 6А", "Экскурсия 5Б", "Собрание 5А"]),
        ("psychologist", [], []),
    ],
)
def test_r_not_4_the_index_shows_the_feeds_the_user_reads(
    client, people, news: News, feeds, who, classes, items
):
    """A parent reads his children's classes, a student his own, a trusted person the
    child's; a teacher the classes he teaches or leads; the administration every class;
    staff without a class nothing. Newest first."""
    user = getattr(news, who, None) or getattr(people, who)
    client.force_login(user)
    response = client.get(url("news_index", people.lyceum))
    assert response.status_code == 200
    assert picked(response) == classes
    assert titles(response) == items
    if not classes:
        assert 'data-testid="no-classes"' in html(response)


def test_r_role_5_a_revoked_or_expired_grant_reads_nothing(client, people, news: News, feeds):
    grant = TrustedPerson.objects.get(user=news.trusted)
    grant.valid_until = dt.date(2026, 10, 5)
    grant.save()
    client.force_login(news.trusted)
    response = client.get(url("news_index", people.lyceum))
    assert picked(response) == [] and titles(response) == []
    assert client.get(url("news_class", people.lyceum, people.class_5a.pk)).status_code == 403


def test_r_not_4_the_index_pages_by_twenty(client, people, news: News):
    for n in range(25):
        post_make(people.class_5a, f"Новость {n:02d}", at=NOW - dt.timedelta(hours=n))
    client.force_login(people.parent)
    first = titles(client.get(url("news_index", people.lyceum)))
    assert first == [f"Новость {n:02d}" for n in range(20)]
    second = client.get(url("news_index", people.lyceum) + "?page=2")
    assert titles(second) == [f"Новость {n:02d}" for n in range(20, 25)]
    assert 'rel="prev"' in html(second)
    assert titles(client.get(url("news_index", people.lyceum) + "?page=x")) == first


def _more_data(people, news: News):
    """Twice the posts, a child in another class, more students and parents."""
    for n in range(30):
        post_make(people.class_5a, f"Ещё {n}")
        post_make(people.class_5b, f"Ещё 5Б {n}", author=people.deputy)
    third = f.student_make(people.lyceum, news.class_6a, "Родителев", "Сергей")
    parent = Parent.objects.get(school=people.lyceum, user=people.parent)
    ParentLink.objects.create(school=people.lyceum, parent=parent, student=third, relation="mother")
    for n in range(10):
        f.student_make(people.lyceum, people.class_5a, f"Новичок{n}")


@pytest.mark.parametrize(("who", "expected"), [("parent", 5), ("deputy", 5), ("teacher", 5)])
def test_r_nfr_4_the_index_costs_a_fixed_number_of_queries(
    client, people, news: News, feeds, django_assert_num_queries, who, expected
):
    """Queries: the user, his memberships with their schools (school_view); the classes
    he reads (his staff classes or his family's enrolments); the posts' count and page
    with their classes and authors. The session is in the cache."""
    client.force_login(getattr(people, who))
    client.get(url("news_index", people.lyceum))  # the session learns the school
    with django_assert_num_queries(expected):
        client.get(url("news_index", people.lyceum))
    _more_data(people, news)
    with django_assert_num_queries(expected):
        response = client.get(url("news_index", people.lyceum))
    assert len(titles(response)) == 20


def test_r_nfr_4_the_index_of_a_teacher_who_is_a_parent_costs_one_query_more(
    client, people, news: News, feeds, django_assert_num_queries
):
    """Staff classes and family classes are two queries; the feeds are merged."""
    f.parent_make(
        people.lyceum,
        people.teacher,
        f.student_make(people.lyceum, news.class_6a, "Учителев", "Ульян"),
    )
    client.force_login(people.teacher)
    client.get(url("news_index", people.lyceum))
    with django_assert_num_queries(6):
        response = client.get(url("news_index", people.lyceum))
    assert picked(response) == ["5А", "6А — Ульян"]
    assert titles(response) == ["Новость 6А", "Собрание 5А"]


def test_r_not_4_the_index_refuses_other_schools_and_methods(client, people, news: News):
    client.force_login(people.outsider)
    assert client.get(url("news_index", people.lyceum)).status_code == 404
    client.force_login(people.parent)
    assert client.post(url("news_index", people.lyceum)).status_code == 405


def test_r_not_4_an_anonymous_visitor_is_sent_to_log_in(client, people, news: News):
    response = client.get(url("news_index", people.lyceum))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# ------------------------------------------------------------------ a class's feed


@pytest.mark.parametrize(
    ("who", "status", "form"),
    [
        ("class_teacher", 200, True),
        ("deputy", 200, True),
        ("director", 200, True),
        ("admin", 200, True),
        ("teacher", 200, False),
        ("parent", 200, False),
        ("student", 200, False),
        ("trusted", 200, False),
        ("teacher_6a", 403, None),
        ("psychologist", 403, None),
    ],
)
def test_r_not_4_who_reads_a_class_feed_and_who_gets_the_form(
    client, people, news: News, feeds, who, status, form
):
    user = getattr(news, who, None) or getattr(people, who)
    client.force_login(user)
    response = client.get(url("news_class", people.lyceum, people.class_5a.pk))
    assert response.status_code == status
    if status == 200:
        assert titles(response) == ["Собрание 5А"]
        assert ('data-testid="news-form"' in html(response)) is form
        assert ("/edit/" in html(response)) is form


def test_r_role_2_a_family_reads_no_other_class_feed(client, people, news: News, feeds):
    """The student of 5А may not read 5Б; the parent of 5А and 5Б may not read 6А."""
    client.force_login(people.student)
    assert client.get(url("news_class", people.lyceum, people.class_5b.pk)).status_code == 403
    client.force_login(people.parent)
    assert client.get(url("news_class", people.lyceum, news.class_6a.pk)).status_code == 403
    assert client.get(url("news_class", people.lyceum, people.class_5b.pk)).status_code == 200


def test_r_not_4_another_schools_class_or_none_is_404(client, people, news: News):
    client.force_login(people.deputy)
    assert client.get(url("news_class", people.lyceum, news.gym_class.pk)).status_code == 404
    assert client.get(url("news_class", people.lyceum, 999999)).status_code == 404
    client.force_login(people.outsider)
    assert client.get(url("news_class", people.lyceum, people.class_5a.pk)).status_code == 404


def test_r_not_4_a_class_feed_refuses_other_methods(client, people, news: News):
    client.force_login(people.class_teacher)
    address = url("news_class", people.lyceum, people.class_5a.pk)
    assert client.put(address).status_code == 405
    assert client.delete(address).status_code == 405


def test_r_not_4_the_class_teacher_publishes_from_the_page(client, people, news: News):
    client.force_login(people.class_teacher)
    address = url("news_class", people.lyceum, people.class_5a.pk)
    response = client.post(address, {"title": "Собрание", "body": "В четверг."}, follow=True)
    assert response.redirect_chain == [(address, 302)]
    assert "Новость опубликована." in html(response)
    assert titles(response) == ["Собрание"]
    post = NewsPost.objects.get()
    assert post.author == people.class_teacher and post.school_class == people.class_5a
    notice = Notification.objects.get(user=people.parent)
    assert notice.kind == Kind.NEWS and notice.url == address


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "  ", "body": "Текст"}, "Обязательное поле."),
        ({"title": "Заголовок", "body": ""}, "Обязательное поле."),
    ],
)
def test_r_nfr_4_a_bad_item_is_refused_in_russian_on_the_page(
    client, people, news: News, data, message
):
    client.force_login(people.class_teacher)
    response = client.post(url("news_class", people.lyceum, people.class_5a.pk), data)
    assert response.status_code == 400
    assert message in html(response)
    assert 'value="Заголовок"' in html(response) or data["title"].strip() == ""
    assert not NewsPost.objects.exists()


@pytest.mark.parametrize("who", ["teacher", "parent", "student", "teacher_6a"])
def test_r_not_4_readers_may_not_publish(client, people, news: News, who):
    client.force_login(getattr(news, who, None) or getattr(people, who))
    response = client.post(
        url("news_class", people.lyceum, people.class_5a.pk), {"title": "Т", "body": "Т"}
    )
    assert response.status_code == 403
    assert not NewsPost.objects.exists()


@pytest.mark.parametrize("who", ["class_teacher", "parent"])
def test_r_nfr_4_a_class_feed_costs_a_fixed_number_of_queries(
    client, people, news: News, feeds, django_assert_num_queries, who
):
    """Queries: the user, his memberships (school_view); the class with its class teacher;
    for a reader who does not write, whether he reads it; the posts' count and page."""
    client.force_login(getattr(people, who))
    address = url("news_class", people.lyceum, people.class_5a.pk)
    client.get(address)
    expected = 5 if who == "class_teacher" else 6
    with django_assert_num_queries(expected):
        client.get(address)
    _more_data(people, news)
    with django_assert_num_queries(expected):
        response = client.get(address)
    assert len(titles(response)) == 20


# ------------------------------------------------------------------ edit and remove


def test_r_not_4_the_class_teacher_edits_an_item(client, people, news: News):
    post = post_make(people.class_5a, "Старое", "Старый текст", author=people.deputy)
    client.force_login(people.class_teacher)
    address = url("news_edit", people.lyceum, post.pk)
    form = client.get(address)
    assert form.status_code == 200
    assert 'value="Старое"' in html(form) and "Старый текст" in html(form)
    response = client.post(address, {"title": "Новое", "body": "Новый текст"})
    assert response.status_code == 302
    assert response["Location"] == url("news_class", people.lyceum, people.class_5a.pk)
    post.refresh_from_db()
    assert (post.title, post.body) == ("Новое", "Новый текст")
    bad = client.post(address, {"title": "", "body": "Текст"})
    assert bad.status_code == 400 and "Обязательное поле." in html(bad)


@pytest.mark.parametrize("who", ["teacher", "parent", "student", "teacher_6a", "psychologist"])
def test_r_not_4_others_may_not_edit_or_remove(client, people, news: News, who):
    post = post_make(people.class_5a)
    client.force_login(getattr(news, who, None) or getattr(people, who))
    assert client.get(url("news_edit", people.lyceum, post.pk)).status_code == 403
    edit = client.post(url("news_edit", people.lyceum, post.pk), {"title": "X", "body": "X"})
    assert edit.status_code == 403
    assert client.post(url("news_delete", people.lyceum, post.pk)).status_code == 403
    post.refresh_from_db()
    assert post.title == "Новость"


def test_r_not_4_another_schools_item_or_none_is_404(client, people, news: News):
    foreign = post_make(news.gym_class, author=people.outsider)
    client.force_login(people.deputy)
    for name in ("news_edit", "news_delete"):
        assert client.post(url(name, people.lyceum, foreign.pk)).status_code == 404
        assert client.post(url(name, people.lyceum, 999999)).status_code == 404
    assert client.get(url("news_edit", people.lyceum, foreign.pk)).status_code == 404
    # and from the right school's URL the lyceum's deputy has no role there
    address = reverse("news_edit", args=[people.gymnasium.slug, foreign.pk])
    assert client.get(address).status_code == 404
    assert NewsPost.objects.filter(pk=foreign.pk).exists()


def test_r_not_4_edit_and_remove_refuse_other_methods(client, people, news: News):
    post = post_make(people.class_5a)
    client.force_login(people.class_teacher)
    assert client.put(url("news_edit", people.lyceum, post.pk)).status_code == 405
    assert client.get(url("news_delete", people.lyceum, post.pk)).status_code == 405
    assert NewsPost.objects.filter(pk=post.pk).exists()


def test_r_not_4_the_class_teacher_removes_an_item_from_the_edit_page(client, people, news: News):
    post = post_make(people.class_5a)
    client.force_login(people.class_teacher)
    page = html(client.get(url("news_edit", people.lyceum, post.pk)))
    assert f'action="{url("news_delete", people.lyceum, post.pk)}"' in page
    response = client.post(url("news_delete", people.lyceum, post.pk), follow=True)
    assert response.redirect_chain[-1][0] == url("news_class", people.lyceum, people.class_5a.pk)
    assert "Новость удалена." in html(response)
    assert not NewsPost.objects.exists()
