"""R-ROLE-4: the class teacher issues logins to students and parents of his class within
10 working days of arrival; every issue is logged; a new password needs a written request."""

import datetime as dt
import re

from django.contrib.auth import authenticate
from django.urls import reverse

from accounts.models import CredentialIssue, Membership, ParentApplication, Role, User
from accounts.services import parent_application_record, username_suggest

from .. import factories as f


def accept(p, parent, on=dt.date(2026, 9, 1)):
    return parent_application_record(
        actor=p.class_teacher,
        parent=parent,
        received_on=on,
        decision="accepted",
        pd_consent=True,
        number="1",
    )


def url(p, school_class=None):
    return reverse("class_credentials", args=[p.lyceum.slug, (school_class or p.class_5a).pk])


def test_r_role_4_class_teacher_sees_who_has_a_login_and_what_is_overdue(client, people):
    client.force_login(people.class_teacher)
    response = client.get(url(people))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Другов Дмитрий" in html and "Родителева Раиса" in html
    # enrolled on Tue 1 September: 10 working days later is 15 September, long past
    students = {s.last_name: s for s in response.context["students"]}
    assert str(students["Другов"].due_on) == "2026-09-15"
    assert "просрочено с 15.09.2026" in html
    assert "Родителева Софья" not in html  # 5Б


def test_r_role_4_public_holidays_are_not_working_days(client, people):
    from schedule.models import Holiday

    Holiday.objects.create(
        school=people.lyceum,
        year=people.year,
        name="День X",
        kind=Holiday.Kind.HOLIDAY,
        starts_on="2026-09-07",
        ends_on="2026-09-08",
    )
    client.force_login(people.class_teacher)
    students = {s.last_name: s for s in client.get(url(people)).context["students"]}
    assert str(students["Другов"].due_on) == "2026-09-17"


def test_r_role_4_first_issue_creates_the_account_and_logs_it(client, people):
    client.force_login(people.class_teacher)
    response = client.post(url(people), {"person": [f"s{people.other_student_record.pk}"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    login = re.search(r'<code class="login">([^<]+)</code>', html).group(1)
    password = re.search(r'<code class="password">([^<]+)</code>', html).group(1)
    assert login == "drugov.dmitrii"
    user = authenticate(username=login, password=password)
    assert user is not None
    people.other_student_record.refresh_from_db()
    assert people.other_student_record.user == user
    assert Membership.objects.filter(user=user, school=people.lyceum, role=Role.STUDENT).exists()
    entry = CredentialIssue.objects.get(user=user)
    assert entry.kind == "first" and entry.issued_by == people.class_teacher
    assert entry.person_name == "Другов Дмитрий"


def test_r_role_4_new_password_needs_a_written_request_and_nothing_is_half_saved(client, people):
    client.force_login(people.class_teacher)
    before = people.student.password
    chosen = [f"s{people.other_student_record.pk}", f"s{people.student_record.pk}"]
    response = client.post(url(people), {"person": chosen})
    assert response.status_code == 400
    assert "письменному заявлению" in response.content.decode()
    people.student.refresh_from_db()
    people.other_student_record.refresh_from_db()
    assert people.student.password == before
    assert people.other_student_record.user is None  # the other one was not issued either
    assert not CredentialIssue.objects.exists()


def test_r_role_4_restored_password_is_logged_with_the_request(client, people):
    client.force_login(people.class_teacher)
    parent_record = people.student_record.parent_links.get().parent
    accept(people, parent_record)
    response = client.post(
        url(people),
        {"person": [f"p{parent_record.pk}"], "request_note": "заявление №5 от 05.10.2026"},
    )
    assert response.status_code == 200
    password = re.search(r'<code class="password">([^<]+)</code>', response.content.decode())
    assert authenticate(username="parent", password=password.group(1)) == people.parent
    entry = CredentialIssue.objects.get()
    assert entry.kind == "restore" and entry.request_note == "заявление №5 от 05.10.2026"


def test_r_role_4_people_of_another_class_cannot_be_slipped_in(client, people):
    client.force_login(people.class_teacher)
    response = client.post(url(people), {"person": [f"s{people.sibling_record.pk}"]})
    assert response.status_code == 400
    people.sibling_record.refresh_from_db()
    assert people.sibling_record.user is None


def test_r_role_4_batch_is_limited(client, people):
    for i in range(30):
        f.student_make(people.lyceum, people.class_5a, f"Новенький{i}")
    client.force_login(people.class_teacher)
    keys = [s.form_key for s in client.get(url(people)).context["students"]]
    response = client.post(url(people), {"person": keys})
    assert response.status_code == 400
    assert "Не больше 30" in response.content.decode()
    assert not CredentialIssue.objects.exists()


def test_r_role_4_who_may_issue(client, people):
    client.force_login(people.admin)
    assert client.get(url(people)).status_code == 200
    for user in (people.teacher, people.deputy, people.parent, people.student):
        client.force_login(user)
        assert client.get(url(people)).status_code == 403, user
        assert client.post(url(people), {"person": ["s1"]}).status_code == 403
    client.force_login(people.class_teacher)
    assert client.get(url(people, people.class_5b)).status_code == 403


def test_r_ten_1_credentials_of_another_school_are_404(client, people):
    client.force_login(people.outsider)
    assert client.get(url(people)).status_code == 404
    year = people.gymnasium.academic_years.get()
    foreign = f.class_make(people.gymnasium, year, 7, "В", class_teacher=None)
    client.force_login(people.admin)
    assert client.get(url(people, foreign)).status_code == 404


def test_credentials_wrong_method(client, people):
    client.force_login(people.class_teacher)
    assert client.put(url(people)).status_code == 405


def test_credentials_page_query_count_does_not_grow(client, people, django_assert_max_num_queries):
    client.force_login(people.class_teacher)
    # session, user, school, roles, "leads a class?", class, the switcher's schools,
    # students with first arrival, parent links, last issues, parents' applications,
    # public holidays; savepoint + session update + release
    with django_assert_max_num_queries(15) as small:
        client.get(url(people))
    for i in range(20):
        student = f.student_make(people.lyceum, people.class_5a, f"Ещё{i}")
        f.parent_make(people.lyceum, f.UserFactory(username=f"mum{i}"), student)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url(people))


def test_usernames_are_latin_and_unique(db):
    assert username_suggest("Ерболатов", "Алдияр") == "erbolatov.aldiiar"
    assert username_suggest("Құрманғали", "Әсел") == "qurmangali.asel"
    User.objects.create(username="ivanov.petr")
    assert username_suggest("Иванов", "Пётр") == "ivanov.petr2"


def test_r_role_4_admin_reads_the_log_of_his_school_only(client, people):
    client.force_login(people.class_teacher)
    client.post(url(people), {"person": [f"s{people.other_student_record.pk}"]})
    gym_teacher = f.UserFactory(username="gymt")
    CredentialIssue.objects.create(
        school=people.gymnasium,
        user=gym_teacher,
        person_name="Чужой Человек",
        role=Role.STUDENT,
        kind="first",
        issued_by=people.outsider,
    )
    client.force_login(people.admin)
    response = client.get(reverse("admin:accounts_credentialissue_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Другов Дмитрий" in html and "Чужой Человек" not in html
    entry = CredentialIssue.objects.get(school=people.lyceum)
    change = reverse("admin:accounts_credentialissue_change", args=[entry.pk])
    assert client.post(change, {"person_name": "подделка"}).status_code == 403
    entry.refresh_from_db()
    assert entry.person_name == "Другов Дмитрий"


def application_url(p, school_class=None):
    return reverse(
        "class_parent_application", args=[p.lyceum.slug, (school_class or p.class_5a).pk]
    )


def new_parent(p, student, last_name="Новикова"):
    from accounts.models import Parent, ParentLink

    parent = Parent.objects.create(school=p.lyceum, last_name=last_name, first_name="Нина")
    ParentLink.objects.create(school=p.lyceum, parent=parent, student=student, relation="mother")
    return parent


def test_r_role_7_no_login_for_a_parent_without_an_accepted_application(client, people):
    parent = new_parent(people, people.other_student_record)
    client.force_login(people.class_teacher)
    response = client.post(url(people), {"person": [f"p{parent.pk}"]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "согласием на обработку персональных данных" in html and "Новикова Нина" in html
    parent.refresh_from_db()
    assert parent.user is None


def test_r_role_7_class_teacher_records_the_application_then_issues(client, people):
    parent = new_parent(people, people.other_student_record)
    client.force_login(people.class_teacher)
    response = client.post(
        application_url(people),
        {
            "parent": parent.pk,
            "received_on": "2026-10-05",
            "number": "17",
            "pd_consent": "on",
            "decision": "accepted",
        },
    )
    assert response.status_code == 302 and response.url == url(people)
    application = ParentApplication.objects.get(parent=parent)
    assert application.recorded_by == people.class_teacher and application.pd_consent
    assert client.post(url(people), {"person": [f"p{parent.pk}"]}).status_code == 200
    parent.refresh_from_db()
    assert parent.user is not None
    assert parent.user.memberships.filter(role=Role.PARENT, school=people.lyceum).exists()


def test_r_role_7_refusal_needs_a_reason_and_access_needs_consent(client, people):
    parent = new_parent(people, people.other_student_record)
    client.force_login(people.class_teacher)
    refused = {"parent": parent.pk, "received_on": "2026-10-05", "decision": "refused"}
    response = client.post(application_url(people), refused)
    assert response.status_code == 400
    assert "Укажите причину отказа" in response.content.decode()
    no_consent = {"parent": parent.pk, "received_on": "2026-10-05", "decision": "accepted"}
    assert client.post(application_url(people), no_consent).status_code == 400
    future = {**no_consent, "pd_consent": "on", "received_on": "2026-10-07"}
    assert client.post(application_url(people), future).status_code == 400
    assert not ParentApplication.objects.exists()
    refused["reason"] = "нет документа, удостоверяющего личность"
    assert client.post(application_url(people), refused).status_code == 302
    # a refused parent still gets no login
    assert client.post(url(people), {"person": [f"p{parent.pk}"]}).status_code == 400


def test_r_role_7_parent_of_another_class_cannot_be_chosen(client, people):
    parent = new_parent(people, people.sibling_record)  # 5Б
    client.force_login(people.class_teacher)
    response = client.post(
        application_url(people),
        {
            "parent": parent.pk,
            "received_on": "2026-10-05",
            "pd_consent": "on",
            "decision": "accepted",
        },
    )
    assert response.status_code == 400
    assert not ParentApplication.objects.exists()


def test_r_role_7_who_may_record_applications(client, people):
    secretary = f.UserFactory(username="secretary")
    f.member(secretary, people.lyceum, Role.SECRETARY)
    client.force_login(secretary)
    assert client.get(url(people)).status_code == 200
    for user in (people.teacher, people.deputy, people.parent):
        client.force_login(user)
        assert client.post(application_url(people), {}).status_code == 403
    client.force_login(people.outsider)
    assert client.post(application_url(people), {}).status_code == 404
    client.force_login(people.class_teacher)
    assert client.get(application_url(people)).status_code == 405


def test_r_role_7_application_date_defaults_to_the_schools_today(client, people):
    client.force_login(people.class_teacher)
    html = client.get(url(people)).content.decode()
    # an <input type="date"> only accepts ISO dates
    assert 'type="date" name="received_on" value="2026-10-06"' in html
