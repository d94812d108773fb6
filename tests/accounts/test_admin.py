"""The admin site of the school administrator (R-TEN-1, R-ROLE-1, R-ROLE-4, R-STR): who may
enter, which school he manages, and that no row or choice of another school reaches him.
Assertions are on status codes, the database and the forms, never on English UI text."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.admin_site import SESSION_KEY
from accounts.models import Membership, Role, School, Student, User
from schedule.models import BellSchedule, SchoolClass, Subject

from .. import factories as f


def admin_url(model, action="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def gymnasium_rows(people):
    """Rows of the other school that the lyceum admin must never see."""
    gym = people.gymnasium
    year = gym.academic_years.get()
    chemist = f.UserFactory(username="chemist", last_name="Химикова")
    f.member(chemist, gym, Role.TEACHER)
    school_class = f.class_make(gym, year, 7, "В", class_teacher=chemist)
    subject = f.subject_make(gym, "Химия")
    student = f.student_make(gym, school_class, "Гимназистов", "Глеб")
    bells = BellSchedule.objects.create(school=gym, name="Гимназические звонки")
    return {
        "year": year,
        "teacher": chemist,
        "class": school_class,
        "subject": subject,
        "student": student,
        "bells": bells,
    }


def listed(response):
    return list(response.context["cl"].result_list)


# ---------------------------------------------------------------- who may enter


def test_r_role_1_school_admin_enters_without_is_staff(client, people):
    """R-ROLE-1: the school administrator is a role, not a Django staff flag."""
    assert not people.admin.is_staff and not people.admin.is_superuser
    client.force_login(people.admin)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.context["admin_school"] == people.lyceum


@pytest.mark.parametrize("name", ["teacher", "director", "parent", "student", "coordinator"])
def test_r_role_1_other_roles_are_denied(client, people, name):
    """R-ROLE-1: a teacher (or any non-admin) gets no admin page: sent to the login, which
    refuses a signed-in user without the right."""
    client.force_login(getattr(people, name))
    response = client.get(admin_url(Student))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert client.get(response.url).status_code == 403
    assert client.get(reverse("admin:index")).status_code == 302


def test_r_role_6_anonymous_goes_to_the_site_login(client, people):
    """R-ROLE-6: the admin has no login of its own that would skip the second factor."""
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("account_login"))
    assert "next=/admin/" in response.redirect_chain[-1][0]


def test_r_role_1_ended_admin_role_gives_no_access(client, people):
    Membership.objects.filter(user=people.admin, role=Role.ADMIN).update(
        ends_on=dt.date(2026, 10, 5)
    )
    client.force_login(people.admin)
    assert client.get(reverse("admin:index")).status_code == 302


# ---------------------------------------------------------------- scoping of lists and objects


@pytest.mark.parametrize(
    ("model", "ours", "theirs"),
    [
        (SchoolClass, "class_5a", "class"),
        (Subject, "maths", "subject"),
        (Student, "student_record", "student"),
    ],
)
def test_r_ten_1_lists_show_only_the_managed_school(
    client, people, gymnasium_rows, model, ours, theirs
):
    client.force_login(people.admin)
    response = client.get(admin_url(model))
    assert response.status_code == 200
    rows = listed(response)
    assert getattr(people, ours) in rows
    assert gymnasium_rows[theirs] not in rows
    assert all(row.school_id == people.lyceum.pk for row in rows)
    assert str(gymnasium_rows[theirs]).encode() not in response.content


def test_r_ten_1_outsider_sees_only_the_gymnasium(client, people, gymnasium_rows):
    """R-TEN-1: the gymnasium's admin manages the gymnasium, and nothing of the lyceum."""
    client.force_login(people.outsider)
    assert client.get(reverse("admin:index")).context["admin_school"] == people.gymnasium
    for model, theirs in [(SchoolClass, "class"), (Subject, "subject"), (Student, "student")]:
        rows = listed(client.get(admin_url(model)))
        assert rows == [gymnasium_rows[theirs]]
    response = client.get(admin_url(SchoolClass, "change", people.class_5a.pk), follow=True)
    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    assert "adminform" not in response.context


@pytest.mark.parametrize("action", ["change", "delete", "history"])
def test_r_ten_1_foreign_row_by_id_shows_nothing(client, people, gymnasium_rows, action):
    """R-TEN-1: another school's id in the URL ends in the admin's "no such object"."""
    client.force_login(people.admin)
    foreign = gymnasium_rows["student"]
    response = client.get(admin_url(Student, action, foreign.pk))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    page = client.get(response.url)
    assert foreign.last_name.encode() not in page.content


def test_r_ten_1_foreign_row_cannot_be_changed_or_deleted(client, people, gymnasium_rows):
    client.force_login(people.admin)
    foreign = gymnasium_rows["subject"]
    client.post(admin_url(Subject, "change", foreign.pk), {"name": "Взлом"})
    client.post(admin_url(Subject, "delete", foreign.pk), {"post": "yes"})
    client.post(
        admin_url(Subject),
        {"action": "delete_selected", "_selected_action": [foreign.pk], "post": "yes"},
    )
    foreign.refresh_from_db()
    assert foreign.name == "Химия"


def test_r_ten_1_foreign_filter_value_lists_nothing(client, people, gymnasium_rows):
    client.force_login(people.admin)
    response = client.get(admin_url(Student), {"school_class": gymnasium_rows["class"].pk})
    assert listed(response) == []


def test_r_ten_1_autocomplete_offers_only_own_students(client, people, gymnasium_rows):
    """The student picker of enrolments searches the managed school only."""
    client.force_login(people.admin)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "schedule", "model_name": "enrolment", "field_name": "student", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(r["id"]) for r in response.json()["results"]}
    assert ids == set(Student.objects.filter(school=people.lyceum).values_list("pk", flat=True))


def test_r_ten_1_account_picker_offers_only_people_of_the_school(client, people, gymnasium_rows):
    """A student's account is picked among the lyceum's people, never another school's."""
    client.force_login(people.admin)
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "accounts", "model_name": "student", "field_name": "user", "term": ""},
    )
    assert response.status_code == 200
    ids = {int(r["id"]) for r in response.json()["results"]}
    assert people.student.pk in ids and people.teacher.pk in ids
    assert people.outsider.pk not in ids and gymnasium_rows["teacher"].pk not in ids


def test_r_ten_1_filter_sidebar_has_no_foreign_names(client, people, gymnasium_rows):
    client.force_login(people.admin)
    response = client.get(admin_url(Student))
    choices = [
        choice["display"]
        for spec in response.context["cl"].filter_specs
        for choice in spec.choices(response.context["cl"])
    ]
    assert not any(str(c).startswith(str(gymnasium_rows["class"])) for c in choices)
    assert any(str(c).startswith(str(people.class_5a)) for c in choices)


# ---------------------------------------------------------------- the managed school and switching


@pytest.fixture
def two_school_admin(people):
    f.member(people.admin, people.gymnasium, Role.ADMIN)
    return people.admin


def test_r_ten_1_managed_school_follows_the_school_pages(client, people, two_school_admin):
    """The school last opened under /s/<slug>/ is the one managed, if he administers it."""
    client.force_login(two_school_admin)
    session = client.session
    session[SESSION_KEY] = people.lyceum.pk
    session.save()
    response = client.get(admin_url(Subject))
    assert response.context["admin_school"] == people.lyceum
    assert set(response.context["admin_schools"]) == {people.lyceum, people.gymnasium}
    assert {s.school_id for s in listed(response)} == {people.lyceum.pk}


def test_r_ten_1_session_school_he_does_not_administer_is_ignored(client, people):
    client.force_login(people.admin)
    session = client.session
    session[SESSION_KEY] = people.gymnasium.pk
    session.save()
    response = client.get(admin_url(Subject))
    assert response.context["admin_school"] == people.lyceum


def test_r_ten_1_switch_school_by_post(client, people, two_school_admin, gymnasium_rows):
    client.force_login(two_school_admin)
    url = reverse("admin:switch_school")
    for school, subject in [(people.gymnasium, "Химия"), (people.lyceum, "Математика")]:
        response = client.post(url, {"school": school.pk})
        assert response.status_code == 302
        assert client.session[SESSION_KEY] == school.pk
        names = {s.name for s in listed(client.get(admin_url(Subject)))}
        assert subject in names
        assert all(s.school_id == school.pk for s in listed(client.get(admin_url(Subject))))


def test_r_ten_1_switch_school_refuses_get_and_foreign_schools(client, people, gymnasium_rows):
    client.force_login(people.admin)
    url = reverse("admin:switch_school")
    assert client.get(url, {"school": people.lyceum.pk}).status_code == 405
    assert client.post(url, {"school": people.gymnasium.pk}).status_code == 404
    assert client.post(url, {"school": "x"}).status_code == 404
    assert client.session.get(SESSION_KEY) != people.gymnasium.pk


def test_r_ten_1_switch_school_needs_csrf(people, two_school_admin):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(two_school_admin)
    response = client.post(reverse("admin:switch_school"), {"school": people.lyceum.pk})
    assert response.status_code == 403


def test_r_ten_1_index_names_the_school_and_offers_the_switch(client, people, two_school_admin):
    client.force_login(two_school_admin)
    content = client.get(reverse("admin:index")).content.decode()
    assert people.gymnasium.name in content
    assert reverse("admin:switch_school") in content
    assert f'name="school" value="{people.lyceum.pk}"' in content


def test_r_ten_1_superuser_sees_every_school(client, people, gymnasium_rows):
    root = User.objects.create_superuser("root", "root@example.org", "secret-pass-123")
    client.force_login(root)
    rows = listed(client.get(admin_url(Subject)))
    assert {s.school_id for s in rows} == {people.lyceum.pk, people.gymnasium.pk}
    assert client.get(admin_url(School)).status_code == 200
    assert client.get(admin_url(School, "add")).status_code == 200


# ---------------------------------------------------------------- the school card


def test_r_ten_2_admin_edits_his_school_card_only(client, people):
    client.force_login(people.admin)
    rows = listed(client.get(admin_url(School)))
    assert rows == [people.lyceum]
    url = admin_url(School, "change", people.lyceum.pk)
    page = client.get(url)
    form = page.context["adminform"].form
    assert set(form.fields) == {"name", "short_name", "address", "time_zone"}
    data = {
        "name": "Лицей №1 имени Н. Н.",
        "short_name": "Лицей №1",
        "address": "Томск",
        "time_zone": "Asia/Novosibirsk",
        "slug": "stolen",
        **inline_data(page),
    }
    response = client.post(url, data)
    assert response.status_code == 302, page_errors(response)
    people.lyceum.refresh_from_db()
    assert people.lyceum.time_zone == "Asia/Novosibirsk"
    assert people.lyceum.slug == "lyceum"
    assert client.get(admin_url(School, "add")).status_code == 403
    assert client.get(admin_url(School, "change", people.gymnasium.pk)).status_code == 302


def test_r_ten_3_settings_errors_show_on_the_form(client, people):
    """R-TEN-3: thresholds out of order are a form error, not a database error."""
    client.force_login(people.admin)
    url = admin_url(School, "change", people.lyceum.pk)
    page = client.get(url)
    data = {**form_data(page), **inline_data(page)}
    prefix = page.context["inline_admin_formsets"][0].formset.prefix
    data[f"{prefix}-0-threshold_four"] = "4.80"
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]
    people.lyceum.settings.refresh_from_db()
    assert str(people.lyceum.settings.threshold_four) == "3.50"


# ---------------------------------------------------------------- users and roles (R-ROLE-4)


def test_r_role_4_user_list_has_only_people_of_the_school(client, people, gymnasium_rows):
    client.force_login(people.admin)
    rows = listed(client.get(admin_url(User)))
    assert people.teacher in rows and people.parent in rows and people.admin in rows
    assert people.outsider not in rows
    assert gymnasium_rows["teacher"] not in rows
    assert people.coordinator not in rows


def test_r_role_4_admin_cannot_grant_superuser(client, people):
    client.force_login(people.admin)
    url = admin_url(User, "change", people.teacher.pk)
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert not {"is_superuser", "is_staff", "groups", "user_permissions"} & set(form.fields)
    data = {
        **form_data(page),
        **inline_data(page),
        "is_superuser": "on",
        "is_staff": "on",
        "last_name": "Учителев-Новый",
    }
    response = client.post(url, data)
    assert response.status_code == 302, page_errors(response)
    people.teacher.refresh_from_db()
    assert people.teacher.last_name == "Учителев-Новый"
    assert not people.teacher.is_superuser and not people.teacher.is_staff


def test_r_role_4_admin_cannot_edit_people_of_other_schools(client, people):
    """A teacher who also works in the gymnasium is visible but not editable: changing his
    password would hand the lyceum admin a gymnasium account."""
    f.member(people.outsider, people.lyceum, Role.TEACHER)
    client.force_login(people.admin)
    assert people.outsider in listed(client.get(admin_url(User)))
    url = admin_url(User, "change", people.outsider.pk)
    page = client.get(url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = client.post(url, {"username": "outsider", "last_name": "Взломанный"})
    assert response.status_code == 403
    password = reverse("admin:auth_user_password_change", args=[people.outsider.pk])
    assert client.get(password).status_code == 403
    people.outsider.refresh_from_db()
    assert people.outsider.last_name == "Чужаков"


def test_r_role_4_foreign_user_by_id_shows_nothing(client, people):
    client.force_login(people.admin)
    response = client.get(admin_url(User, "change", people.outsider.pk))
    assert response.status_code == 302
    password = reverse("admin:auth_user_password_change", args=[people.outsider.pk])
    assert client.get(password).status_code in (302, 404)


def test_r_role_4_admin_cannot_edit_a_coordinator_or_superuser(client, people):
    root = User.objects.create_superuser("root", "root@example.org", "secret-pass-123")
    f.member(root, people.lyceum, Role.TEACHER)
    f.member(people.coordinator, people.lyceum, Role.PARENT)
    client.force_login(people.admin)
    for user in (root, people.coordinator):
        page = client.get(admin_url(User, "change", user.pk))
        assert page.status_code == 200
        assert not page.context["has_change_permission"]


def test_r_role_4_new_user_gets_a_role_in_the_school(client, people):
    client.force_login(people.admin)
    url = admin_url(User, "add")
    page = client.get(url)
    inline = page.context["inline_admin_formsets"][0].formset
    data = {
        "username": "newteacher",
        "usable_password": "true",
        "password1": "Very-long-pass-2026",
        "password2": "Very-long-pass-2026",
        "last_name": "Новикова",
        "first_name": "Нина",
        **management(inline.prefix, total=1),
        f"{inline.prefix}-0-role": Role.TEACHER,
        f"{inline.prefix}-0-starts_on": "2026-10-06",
    }
    response = client.post(url, data)
    assert response.status_code == 302, page_errors(response)
    user = User.objects.get(username="newteacher")
    assert not user.is_staff and not user.is_superuser
    assert user.check_password("Very-long-pass-2026")
    membership = user.memberships.get()
    assert (membership.school, membership.role) == (people.lyceum, Role.TEACHER)
    assert user in listed(client.get(admin_url(User)))
    # the issue of his credentials is in the school's log
    from accounts.models import CredentialIssue

    entry = CredentialIssue.objects.get(user=user)
    assert (entry.school, entry.role, entry.kind) == (people.lyceum, Role.TEACHER, "first")
    assert entry.issued_by == people.admin and entry.person_name == "Новикова Нина"


def test_r_role_4_new_user_without_a_role_is_refused(client, people):
    client.force_login(people.admin)
    url = admin_url(User, "add")
    page = client.get(url)
    inline = page.context["inline_admin_formsets"][0].formset
    data = {
        "username": "nobody",
        "usable_password": "true",
        "password1": "Very-long-pass-2026",
        "password2": "Very-long-pass-2026",
        **management(inline.prefix, total=1, min_num=1),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.total_error_count()
    assert not User.objects.filter(username="nobody").exists()


def test_r_role_4_admin_cannot_delete_accounts(client, people):
    client.force_login(people.admin)
    client.post(admin_url(User, "delete", people.teacher.pk), {"post": "yes"})
    assert User.objects.filter(pk=people.teacher.pk).exists()


def test_r_role_1_role_for_an_existing_account_by_login(client, people):
    """R-ROLE-1: a teacher of the gymnasium starts also in the lyceum; the admin types his
    login, he is never shown a list of other schools' accounts."""
    client.force_login(people.admin)
    url = admin_url(Membership, "add")
    page = client.get(url)
    assert "user" not in page.context["adminform"].form.fields
    data = {"username": "outsider", "role": Role.TEACHER, "starts_on": "2026-11-01"}
    response = client.post(url, data)
    assert response.status_code == 302, page_errors(response)
    membership = Membership.objects.get(user=people.outsider, school=people.lyceum)
    assert membership.role == Role.TEACHER
    # the same role from the same day again is a form error, not an IntegrityError
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    # an unknown login is a form error
    response = client.post(url, {**data, "username": "ghost"})
    assert response.status_code == 200
    assert "username" in response.context["adminform"].form.errors


def test_r_role_1_membership_list_is_the_schools_staff(client, people):
    client.force_login(people.admin)
    rows = listed(client.get(admin_url(Membership)))
    assert rows and all(m.school_id == people.lyceum.pk for m in rows)
    assert people.outsider not in {m.user for m in rows}
    active = listed(client.get(admin_url(Membership), {"status": "active"}))
    assert {m.user for m in active} >= {people.teacher, people.admin}


def test_r_role_1_admin_cannot_delete_his_own_admin_role(client, people):
    client.force_login(people.admin)
    own = Membership.objects.get(user=people.admin, role=Role.ADMIN)
    client.post(admin_url(Membership, "delete", own.pk), {"post": "yes"})
    assert Membership.objects.filter(pk=own.pk).exists()


def test_r_ten_1_cross_school_modules_are_for_the_system_administrator(client, people):
    from accounts.models import CoordinatorAssignment, Municipality

    client.force_login(people.admin)
    for model in (Municipality, CoordinatorAssignment):
        assert client.get(admin_url(model)).status_code == 403
    apps = client.get(reverse("admin:index")).context["app_list"]
    names = {m["object_name"] for app in apps for m in app["models"]}
    assert "Municipality" not in names and "CoordinatorAssignment" not in names
    assert {"SchoolClass", "Student", "Subject", "TeachingLoad", "User"} <= names


# ---------------------------------------------------------------- helpers for admin forms


def management(prefix, total=0, initial=0, min_num=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": str(min_num),
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _bound_fields(form, data):
    for bound in form:
        if bound.field.disabled:
            continue
        value = bound.value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        data[bound.html_name] = value
    return data


def form_data(page) -> dict:
    """What the browser would send back for the page's main form, unchanged."""
    return _bound_fields(page.context["adminform"].form, {})


def inline_data(page) -> dict:
    """The page's inline formsets as they are: existing rows, no new ones."""
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        initial = formset.initial_form_count()
        data.update(management(formset.prefix, total=initial, initial=initial))
        for form in formset.forms[:initial]:
            _bound_fields(form, data)
    return data


def page_errors(response):
    context = getattr(response, "context", None)
    if not context or "adminform" not in context:
        return response.status_code
    errors = [context["adminform"].form.errors]
    errors += [i.formset.errors for i in context.get("inline_admin_formsets", [])]
    errors += [i.formset.non_form_errors() for i in context.get("inline_admin_formsets", [])]
    return errors


def test_it_shows_every_school_setting_in_the_settings_inline():
    """R-TEN-3: whatever a school may configure (the deadline jobs' times and switches
    included) is on the school's admin page; a field left out of the fieldsets would be
    silently uneditable."""
    from accounts.admin import SchoolSettingsInline
    from accounts.models import SchoolSettings

    shown = set()
    for _name, options in SchoolSettingsInline.fieldsets:
        for entry in options["fields"]:
            shown.update(entry if isinstance(entry, tuple) else (entry,))
    editable = {
        f.name
        for f in SchoolSettings._meta.get_fields()
        if getattr(f, "editable", False) and not f.auto_created and f.name != "school"
    }
    assert shown == editable
