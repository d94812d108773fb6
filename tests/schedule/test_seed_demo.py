"""The demo generator (seed_demo) builds schools that keep the structure's rules
(R-TEN-1..3, R-ROLE-1, R-STR-1..6) although it writes with bulk inserts that skip
full_clean, and it builds the same schools from the same seed."""

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Exists, OuterRef, Q

from accounts.models import (
    CoordinatorAssignment,
    Membership,
    Parent,
    Role,
    School,
    Student,
    User,
)
from schedule.models import (
    Bell,
    CurriculumHours,
    Enrolment,
    Group,
    GroupMembership,
    Holiday,
    Order,
    ReportingPeriod,
    SchoolClass,
    Subject,
    TeachingLoad,
)
from schedule.selectors import current_year, group_students_on

from .. import factories as f

pytestmark = pytest.mark.django_db

LOGIN = re.compile(r"\b([a-z]+\d+-[a-z]+|coordinator-\d+)\b")


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", schools=2, students_per_class=3, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def output() -> str:
    return seed()


def people() -> list[tuple[str, str]]:
    return [(u.username, u.full_name) for u in User.objects.order_by("username")]


def test_it_builds_two_schools_in_two_time_zones_with_kazakh_settings(output):
    """R-TEN-2, R-TEN-3: a Tomsk school (UTC+7) and a bilingual Kazakh school (UTC+5)."""
    schools = {s.slug: s for s in School.objects.select_related("settings")}
    assert set(schools) == {"tomsk1", "kostanay1"}
    assert schools["tomsk1"].time_zone == "Asia/Tomsk"
    assert schools["kostanay1"].time_zone == "Asia/Qostanay"
    assert schools["tomsk1"].settings.instruction_languages == "ru"
    assert schools["kostanay1"].settings.instruction_languages == "ru,kk"
    assert Subject.objects.filter(school=schools["kostanay1"], name="Казахский язык").exists()
    assert not Subject.objects.filter(school=schools["tomsk1"], name="Казахский язык").exists()
    assert re.search(r"Built 2 schools, \d+ students, \d+ users in \d+\.\d s", output)


def test_it_gives_every_class_exactly_one_whole_class_group(output):
    """R-STR-5: a course is always group × subject, so no class may lack its whole group."""
    counts = SchoolClass.objects.annotate(
        whole=Count("groups", filter=Q(groups__is_whole_class=True))
    ).values_list("whole", flat=True)
    assert len(counts) > 40
    assert set(counts) == {1}


def test_r_str_4_every_student_is_in_one_class_of_the_current_year_today(output):
    for school in School.objects.all():
        today, year = school.today(), current_year(school)
        assert year.starts_on <= today <= year.ends_on
        students = Student.objects.filter(school=school).annotate(
            active=Count(
                "enrolments",
                filter=Q(enrolments__starts_on__lte=today)
                & (Q(enrolments__ends_on__isnull=True) | Q(enrolments__ends_on__gte=today))
                & Q(enrolments__school_class__year=year),
            )
        )
        assert students.exists()
        assert set(students.values_list("active", flat=True)) == {1}
    assert not Enrolment.objects.exclude(order__kind=Order.Kind.ENROLMENT).exists()


def test_r_str_5_subgroups_split_their_class_in_two(output):
    enrolled = Enrolment.objects.filter(
        student=OuterRef("student"), school_class=OuterRef("group__school_class")
    )
    assert GroupMembership.objects.exists()
    assert not GroupMembership.objects.exclude(Exists(enrolled)).exists()
    assert not GroupMembership.objects.exclude(order__kind=Order.Kind.GROUPS).exists()
    # each student of a split class is in exactly one group of each split subject
    twice = (
        GroupMembership.objects.values("student", "group__subject")
        .annotate(n=Count("id"))
        .exclude(n=1)
    )
    assert not twice.exists()
    group = Group.objects.filter(is_whole_class=False, school_class__grade=7).first()
    other = group.school_class.groups.exclude(pk=group.pk).get(subject=group.subject)
    whole = group.school_class.groups.get(is_whole_class=True)
    today = group.school.today()
    one, two = group_students_on(group, today), group_students_on(other, today)
    assert one.exists() and two.exists()
    assert sorted(s.pk for s in [*one, *two]) == sorted(
        s.pk for s in group_students_on(whole, today)
    )


def test_r_str_6_teaching_load_covers_the_curriculum_by_teachers_of_the_school(output):
    teaches = Membership.objects.filter(
        user=OuterRef("teacher"), school=OuterRef("school"), role=Role.TEACHER
    )
    assert TeachingLoad.objects.exists()
    assert not TeachingLoad.objects.exclude(Exists(teaches)).exists()
    # every class has a load for every subject of its grade's curriculum
    for school_class in SchoolClass.objects.all()[:12]:
        planned = set(
            CurriculumHours.objects.filter(
                school=school_class.school, year=school_class.year, grade=school_class.grade
            ).values_list("subject", flat=True)
        )
        taught = set(
            TeachingLoad.objects.filter(group__school_class=school_class).values_list(
                "subject", flat=True
            )
        )
        assert planned == taught, school_class
    assert Subject.objects.filter(no_attestation=True).exists()
    leaders = Membership.objects.filter(
        user=OuterRef("class_teacher"), school=OuterRef("school"), role=Role.TEACHER
    )
    assert not SchoolClass.objects.exclude(Exists(leaders)).exists()
    led = SchoolClass.objects.values("class_teacher").annotate(n=Count("id"))
    assert {row["n"] for row in led} == {1}


def test_r_role_1_every_role_and_parents_of_two(output):
    for school in School.objects.all():
        roles = set(Membership.objects.filter(school=school).values_list("role", flat=True))
        assert roles >= set(Role.values) - {Role.TRUSTED}, school
    two = Parent.objects.annotate(n=Count("links")).filter(n=2)
    assert two.exists()
    assert CoordinatorAssignment.objects.count() == 2
    # every account is somebody in a school or a coordinator
    assert (
        not User.objects.exclude(memberships__isnull=False)
        .exclude(coordinator_assignments__isnull=False)
        .exists()
    )


def test_it_names_people_gender_consistently(output):
    for student in Student.objects.all():
        ending = ("ич",) if student.gender == "m" else ("на",)
        assert student.middle_name.endswith(ending), student
    kazakh = Student.objects.filter(school__slug="kostanay1")
    assert kazakh.filter(middle_name__regex=r"(Ерлан|Нурлан|Серик|Марат|Канат|Болат)").exists()


def test_it_writes_rows_that_pass_the_models_own_validation(output):
    """Bulk inserts skip full_clean: the rows must still be what a form would accept."""
    models = [ReportingPeriod, Holiday, Bell, SchoolClass, Group, TeachingLoad, Enrolment]
    models += [GroupMembership, User, Membership, Student, Parent, CurriculumHours]
    for model in models:
        rows = list(model.objects.order_by("pk"))
        # a sample across the table: each full_clean costs queries
        for obj in rows[:: max(1, len(rows) // 15)]:
            obj.full_clean()


def test_the_printed_logins_work_with_the_password(output):
    logins = set(LOGIN.findall(output))
    for suffix in ("admin", "director", "deputy", "teacher", "classteacher", "parent"):
        assert f"tomsk1-{suffix}" in logins
    assert {"student", "psychologist", "social", "secretary", "substitute", "monitoring"} <= {
        name.split("-")[1] for name in logins
    }
    assert {"coordinator-1", "coordinator-2"} <= logins
    assert "demo12345" in output
    for username in logins:
        assert authenticate(username=username, password="demo12345"), username
    parent = Parent.objects.get(user__username="tomsk1-parent")
    assert parent.links.count() == 2
    child = Student.objects.get(user__username="tomsk1-student")
    assert parent.links.filter(student=child).exists()
    school_class = child.enrolments.get().school_class
    assert school_class.class_teacher.username == "tomsk1-classteacher"
    assert TeachingLoad.objects.filter(
        teacher__username="tomsk1-teacher", group__school_class=school_class
    ).exists()


def test_logins_lists_the_table_again_without_building(output):
    """bin/demo-data shows the logins of a database seeded earlier."""
    again = io.StringIO()
    call_command("seed_demo", logins=True, stdout=again)
    table = output[output.index("Демо-входы") : output.index("Built")].strip()
    assert again.getvalue().strip() == table
    assert School.objects.count() == 2


def test_logins_without_demo_data_is_an_error(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo", logins=True, stdout=io.StringIO())


def test_it_refuses_to_build_twice_without_flush(output):
    with pytest.raises(CommandError, match="--flush"):
        seed()


def test_it_builds_the_same_schools_from_the_same_seed(output):
    first = people()
    seed(flush=True)
    assert people() == first
    seed(flush=True, seed=2, quiet=True)
    assert people() != first
    assert School.objects.count() == 2


def test_flush_deletes_only_the_demo_data(output):
    lyceum = f.school_make("lyceum", "Asia/Tomsk")
    teacher = f.UserFactory(username="teacher")
    f.member(teacher, lyceum, Role.TEACHER)
    seed(flush=True, quiet=True)
    assert School.objects.filter(slug="lyceum").exists()
    assert Membership.objects.filter(user__username="teacher", school=lyceum).exists()
    assert School.objects.count() == 3


def test_r_role_4_demo_credentials_are_logged(db):
    """Every demo account has its first issue in the log, by the admin or a class teacher."""
    from accounts.models import CredentialIssue, Role, Student, User

    call_command("seed_demo", schools=1, students_per_class=2, stdout=io.StringIO())
    issued = set(CredentialIssue.objects.values_list("user_id", flat=True))
    accounts = set(
        User.objects.filter(memberships__school__slug="tomsk1").values_list("pk", flat=True)
    )
    admin = User.objects.get(username="tomsk1-admin")
    assert accounts - issued == {admin.pk}
    student = Student.objects.select_related("user").first()
    entry = CredentialIssue.objects.get(user=student.user)
    assert entry.role == Role.STUDENT
    assert entry.issued_by.led_classes.filter(enrolments__student=student).exists()


def test_r_role_7_every_demo_parent_has_an_accepted_application(db):
    from accounts.models import Parent, ParentApplication

    call_command("seed_demo", schools=1, students_per_class=2, stdout=io.StringIO())
    accepted = ParentApplication.objects.filter(decision="accepted", pd_consent=True)
    assert accepted.count() == Parent.objects.count() > 0
    assert set(accepted.values_list("parent_id", flat=True)) == set(
        Parent.objects.values_list("pk", flat=True)
    )
