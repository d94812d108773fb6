"""The demo generator (seed_demo) builds schools that keep the structure's rules
(R-TEN-1..3, R-ROLE-1, R-STR-1..6) and the timetable's (R-TT-1..3) although it writes with
bulk inserts that skip full_clean, and it builds the same schools from the same seed."""

import datetime as dt
import io
import itertools
import math
import re
from collections import defaultdict

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import (
    CoordinatorAssignment,
    Membership,
    Parent,
    Role,
    School,
    Student,
    User,
)
from schedule import demo
from schedule.models import (
    Bell,
    CurriculumHours,
    Enrolment,
    GradeLevel,
    Group,
    GroupMembership,
    Holiday,
    Lesson,
    Order,
    ReportingPeriod,
    SchoolClass,
    Subject,
    TeachingLoad,
    TimetableEntry,
)
from schedule.selectors import current_year, group_students_on
from schedule.services.timetable import entry_clashes

from .. import factories as f
from ..conftest import NOW

pytestmark = pytest.mark.django_db

LOGIN = re.compile(r"\b([a-z]+\d+-[a-z]+|coordinator-\d+)\b")


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", schools=2, students_per_class=3, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker) -> str:
    """Seeding two schools with a year of lessons takes seconds: done once for the class,
    inside a transaction rolled back after its last test (as TestCase.setUpTestData does),
    at the tests' frozen time."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield seed()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def output(seeded, db) -> str:
    return seeded


def people() -> list[tuple[str, str]]:
    return [(u.username, u.full_name) for u in User.objects.order_by("username")]


def test_logins_without_demo_data_is_an_error(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo", logins=True, stdout=io.StringIO())


def timetable() -> list[tuple]:
    """The weekly timetable by names, not ids (a flush does not reset the sequences)."""
    return sorted(
        TimetableEntry.objects.values_list(
            "school__slug",
            "school_class__grade",
            "school_class__letter",
            "weekday",
            "number",
            "group__name",
            "subject__name",
            "teacher__username",
            "room__number",
        )
    )


def changes() -> list[tuple]:
    return sorted(
        Lesson.objects.exclude(change_reason="").values_list(
            "school__slug",
            "date",
            "number",
            "group__school_class__grade",
            "group__school_class__letter",
            "group__name",
            "substitute__username",
            "is_cancelled",
            "change_reason",
        )
    )


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


# --- the timetable (R-TT-1..3) -------------------------------------------------------------


def overlap(a, b) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


class TestSeededSchools:
    """Two schools seeded once for the class (see `output`); each test runs in its own
    savepoint, so those that flush or seed again leave the next ones the same data."""

    def test_it_builds_two_schools_in_two_time_zones_with_kazakh_settings(self, output):
        """R-TEN-2, R-TEN-3: a Tomsk school (UTC+7) and a bilingual Kazakh school (UTC+5)."""
        schools = {s.slug: s for s in School.objects.select_related("settings")}
        assert set(schools) == {"tomsk1", "kostanay1"}
        assert schools["tomsk1"].time_zone == "Asia/Tomsk"
        assert schools["kostanay1"].time_zone == "Asia/Qostanay"
        assert schools["tomsk1"].settings.instruction_languages == "ru"
        assert schools["kostanay1"].settings.instruction_languages == "ru,kk"
        assert Subject.objects.filter(school=schools["kostanay1"], name="Казахский язык").exists()
        assert not Subject.objects.filter(school=schools["tomsk1"], name="Казахский язык").exists()
        assert re.search(
            r"Built 2 schools, \d+ students, \d+ users, \d+ lessons in \d+\.\d s", output
        )

    def test_it_gives_every_class_exactly_one_whole_class_group(self, output):
        """R-STR-5: a course is always group × subject, so no class may lack its whole group."""
        counts = SchoolClass.objects.annotate(
            whole=Count("groups", filter=Q(groups__is_whole_class=True))
        ).values_list("whole", flat=True)
        assert len(counts) > 40
        assert set(counts) == {1}

    def test_r_str_4_every_student_is_in_one_class_of_the_current_year_today(self, output):
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

    def test_r_str_5_subgroups_split_their_class_in_two(self, output):
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

    def test_r_str_6_teaching_load_covers_the_curriculum_by_teachers_of_the_school(self, output):
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

    def test_r_role_1_every_role_and_parents_of_two(self, output):
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

    def test_it_names_people_gender_consistently(self, output):
        for student in Student.objects.all():
            ending = ("ич",) if student.gender == "m" else ("на",)
            assert student.middle_name.endswith(ending), student
        kazakh = Student.objects.filter(school__slug="kostanay1")
        assert kazakh.filter(middle_name__regex=r"(Ерлан|Нурлан|Серик|Марат|Канат|Болат)").exists()

    def test_it_writes_rows_that_pass_the_models_own_validation(self, output):
        """Bulk inserts skip full_clean: the rows must still be what a form would accept."""
        models = [ReportingPeriod, Holiday, Bell, SchoolClass, Group, TeachingLoad, Enrolment]
        models += [GroupMembership, User, Membership, Student, Parent, CurriculumHours]
        models += [TimetableEntry, Lesson]
        for model in models:
            rows = list(model.objects.order_by("pk"))
            # a sample across the table: each full_clean costs queries
            for obj in rows[:: max(1, len(rows) // 15)]:
                obj.full_clean()

    def test_the_printed_logins_work_with_the_password(self, output):
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

    def test_logins_lists_the_table_again_without_building(self, output):
        """bin/demo-data shows the logins of a database seeded earlier."""
        again = io.StringIO()
        call_command("seed_demo", logins=True, stdout=again)
        table = output[output.index("Демо-входы") : output.index("Built")].strip()
        assert again.getvalue().strip() == table
        assert School.objects.count() == 2

    def test_it_refuses_to_build_twice_without_flush(self, output):
        with pytest.raises(CommandError, match="--flush"):
            seed()

    def test_it_builds_the_same_schools_from_the_same_seed(self, output):
        first, first_timetable, first_changes = people(), timetable(), changes()
        assert first_timetable and first_changes
        seed(flush=True)
        assert people() == first
        assert timetable() == first_timetable
        assert changes() == first_changes
        assert Lesson.objects.count() == int(re.search(r"(\d+) lessons in", output)[1])
        seed(flush=True, seed=2, quiet=True)
        assert people() != first
        assert timetable() != first_timetable
        assert School.objects.count() == 2

    def test_flush_deletes_only_the_demo_data(self, output):
        lyceum = f.school_make("lyceum", "Asia/Tomsk")
        teacher = f.UserFactory(username="teacher")
        f.member(teacher, lyceum, Role.TEACHER)
        seed(flush=True, quiet=True)
        assert School.objects.filter(slug="lyceum").exists()
        assert Membership.objects.filter(user__username="teacher", school=lyceum).exists()
        assert School.objects.count() == 3

    def test_r_tt_1_every_class_has_its_weekly_timetable_from_its_teaching_load(self, output):
        """Hours a week become as many weekly lessons; none is left without a place."""
        assert "не нашлось места" not in output
        classes = SchoolClass.objects.annotate(n=Count("timetable_entries"))
        assert classes.exists()
        assert not classes.filter(n=0).exists()
        entries = defaultdict(int)
        for key in TimetableEntry.objects.values_list("group", "subject", "teacher"):
            entries[key] += 1
        loads = TeachingLoad.objects.values_list("group", "subject", "teacher", "hours_per_week")
        assert {(g, s, t): math.ceil(h) for g, s, t, h in loads} == dict(entries)

    def test_r_tt_1_no_teacher_room_or_group_is_in_two_places_at_once(self, output):
        """Clashes by time, as the two shifts' bells overlap; the two subgroups of one subject
        of a class meet in parallel, with their own teachers and rooms."""
        parallel = 0
        entries = TimetableEntry.objects.select_related("group")
        for school in School.objects.all():
            by_day = defaultdict(list)
            for entry in entries.filter(school=school):
                by_day[entry.weekday].append(entry)
            for day in by_day.values():
                for a, b in itertools.combinations(day, 2):
                    if not overlap(a, b):
                        continue
                    assert a.teacher_id != b.teacher_id, (a, b)
                    assert a.room_id is None or a.room_id != b.room_id, (a, b)
                    if a.school_class_id == b.school_class_id:
                        assert a.subject_id == b.subject_id, (a, b)
                        assert a.group_id != b.group_id, (a, b)
                        assert not a.group.is_whole_class and not b.group.is_whole_class, (a, b)
                        parallel += 1
        assert parallel > 20
        # the service's own check (students of subgroups included) agrees
        sample = list(TimetableEntry.objects.order_by("pk"))
        for entry in sample[:: max(1, len(sample) // 20)]:
            assert entry_clashes(entry) == [], entry

    def test_r_tt_1_the_week_keeps_to_bells_study_days_and_lessons_a_day(self, output):
        bells = {(b.schedule_id, b.number): (b.starts_at, b.ends_at) for b in Bell.objects.all()}
        days = {(g.year_id, g.grade): g.study_days for g in GradeLevel.objects.all()}
        per_day = defaultdict(set)
        shifts = set()
        for entry in TimetableEntry.objects.select_related("school_class__bell_schedule"):
            klass = entry.school_class
            shifts.add(klass.bell_schedule.shift)
            assert bells[(klass.bell_schedule_id, entry.number)] == (entry.starts_at, entry.ends_at)
            assert entry.weekday <= days[(entry.year_id, klass.grade)], entry
            assert entry.starts_on == klass.year.starts_on and entry.ends_on is None
            per_day[(klass.pk, entry.weekday)].add(entry.number)
        assert shifts == {1, 2}
        grade_of = dict(SchoolClass.objects.values_list("pk", "grade"))
        for (class_id, _day), numbers in per_day.items():
            assert len(numbers) <= demo.lessons_per_day(grade_of[class_id])[1]
        # Kazakh grades 5-11 study six days a week, and do have Saturday lessons
        saturday = TimetableEntry.objects.filter(weekday=6)
        assert saturday.filter(school__slug="kostanay1", school_class__grade__gte=5).exists()
        assert not saturday.filter(school__slug="tomsk1").exists()

    def test_r_tt_2_dated_lessons_cover_the_year_but_no_holiday_or_day_off(self, output):
        for school in School.objects.all():
            year = current_year(school)
            lessons = Lesson.objects.filter(school=school)
            assert lessons.exists()
            first = lessons.order_by("date").first().date
            last = lessons.order_by("-date").first().date
            assert year.starts_on <= first < year.starts_on + dt.timedelta(days=7)
            assert year.ends_on - dt.timedelta(days=7) < last <= year.ends_on
            for holiday in Holiday.objects.filter(year=year):
                closed = lessons.filter(date__range=(holiday.starts_on, holiday.ends_on))
                if holiday.grade_list():
                    closed = closed.filter(school_class__grade__in=holiday.grade_list())
                assert not closed.exists(), holiday
            # Django's week_day: 1 is Sunday, 7 Saturday
            assert not lessons.filter(date__week_day=1).exists()
            five_days = GradeLevel.objects.filter(year=year, study_days=5).values("grade")
            assert not lessons.filter(date__week_day=7, school_class__grade__in=five_days).exists()
            assert not lessons.exclude(
                Q(entry__weekday=F("date__iso_week_day"))
                & Q(entry__number=F("number"))
                & Q(entry__teacher=F("teacher"))
            ).exists()
            # every weekly lesson gives one lesson a week outside the vacations
            weekly = TimetableEntry.objects.filter(school=school).count()
            assert weekly * 30 < lessons.count() < weekly * 40

    def test_r_tt_3_no_teacher_gives_two_lessons_at_once_substitutes_included(self, output):
        lessons = (
            Lesson.objects.filter(is_cancelled=False)
            .annotate(acting=Coalesce("substitute", "teacher"))
            .values_list("acting", "date", "starts_at", "ends_at")
            .order_by("acting", "date", "starts_at")
        )
        previous = None
        for row in lessons:
            if previous and previous[:2] == row[:2]:
                assert previous[3] <= row[2], (previous, row)
            previous = row

    def test_r_tt_3_replacements_and_cancellations_in_past_weeks_with_reasons(self, output):
        now = timezone.now()
        for school in School.objects.all():
            changed = Lesson.objects.filter(school=school).exclude(change_reason="")
            replaced = changed.filter(substitute__isnull=False)
            cancelled = changed.filter(is_cancelled=True)
            assert replaced.count() >= 5 and cancelled.exists(), school
            assert not replaced.filter(is_cancelled=True).exists()
            assert not cancelled.filter(substitute__isnull=False).exists()
            assert (
                not Lesson.objects.filter(school=school, change_reason="")
                .filter(Q(substitute__isnull=False) | Q(is_cancelled=True))
                .exists()
            )
            year, today = current_year(school), school.today()
            assert not changed.filter(Q(date__lt=year.starts_on) | Q(date__gte=today)).exists()
            assert not changed.filter(changed_at__gt=now).exists()
            deputies = Membership.objects.filter(school=school, role=Role.DEPUTY).values("user")
            assert not changed.exclude(changed_by__in=deputies).exists()
            for lesson in replaced:
                assert lesson.substitute_id != lesson.teacher_id
                same = TeachingLoad.objects.filter(
                    school=school, teacher=lesson.substitute_id, subject=lesson.subject_id
                ).exists()
                assert lesson.substitute_same_subject is same, lesson
        # both kinds of replacement for the report (R-TT-3)
        replaced = Lesson.objects.filter(substitute__isnull=False)
        assert replaced.filter(substitute_same_subject=True).exists()
        assert replaced.filter(substitute_same_subject=False).exists()
        assert replaced.filter(change_reason__startswith="Больничный").exists()
