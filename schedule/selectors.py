"""Reads of the school structure, each a fixed number of queries."""

import datetime as dt

from django.db import models
from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import School, Student, active_on

from .models import AcademicYear, Enrolment, Group, SchoolClass


def group_students_on(group: Group, on: dt.date) -> QuerySet[Student]:
    """Who was in the group on that date: one query (R-STR-4, R-STR-5).

    A whole-class group is made of the class's enrolments; a subgroup of its dated
    memberships, limited to students still enrolled in the class that day."""
    enrolled = Q(
        enrolments__school_class=group.school_class_id,
        enrolments__starts_on__lte=on,
    ) & (Q(enrolments__ends_on__isnull=True) | Q(enrolments__ends_on__gte=on))
    students = Student.objects.filter(school=group.school_id).filter(enrolled)
    if not group.is_whole_class:
        students = students.filter(
            Q(group_memberships__group=group) & active_on(on, "group_memberships__")
        )
    return students.order_by("last_name", "first_name", "middle_name", "pk")


def class_students_on(school_class: SchoolClass, on: dt.date) -> QuerySet[Student]:
    return (
        Student.objects.filter(
            Q(enrolments__school_class=school_class) & active_on(on, "enrolments__")
        )
        .select_related("user")
        .order_by("last_name", "first_name", "middle_name", "pk")
    )


def current_year(school: School, on: dt.date | None = None) -> AcademicYear | None:
    """The year containing the date, or the nearest one starting after it (summer)."""
    on = on or school.today()
    years = AcademicYear.objects.filter(school=school, ends_on__gte=on).order_by("starts_on")
    return years.first()


def classes_with_counts(school: School, year: AcademicYear, on: dt.date):
    """Classes of the year with their class teacher and the number of students on `on`."""
    return (
        SchoolClass.objects.filter(school=school, year=year)
        .select_related("class_teacher")
        .annotate(
            student_count=Count(
                "enrolments",
                filter=Q(enrolments__starts_on__lte=on)
                & (Q(enrolments__ends_on__isnull=True) | Q(enrolments__ends_on__gte=on)),
            )
        )
        .order_by("grade", "letter")
    )


def teacher_loads(school: School, teacher, year: AcademicYear):
    """A teacher's courses of the year: group × subject × hours (one query)."""
    from .models import TeachingLoad

    return (
        TeachingLoad.objects.filter(school=school, teacher=teacher, group__school_class__year=year)
        .select_related("group__school_class", "subject")
        .order_by("group__school_class__grade", "group__school_class__letter", "subject__name")
    )


def class_roster(school_class: SchoolClass, on: dt.date):
    """The class list on a date with each student's parents (two queries)."""
    from accounts.models import ParentLink

    return class_students_on(school_class, on).prefetch_related(
        Prefetch(
            "parent_links",
            queryset=ParentLink.objects.select_related("parent__user").order_by("relation"),
        )
    )


def led_classes(school: School, teacher, year: AcademicYear):
    return SchoolClass.objects.filter(school=school, year=year, class_teacher=teacher).order_by(
        "grade", "letter"
    )


def parent_children(school: School, user, on: dt.date):
    """A parent's children in the school, each with the class he is in on `on`."""
    return (
        Student.objects.filter(school=school, parent_links__parent__user=user)
        .prefetch_related(
            Prefetch(
                "enrolments",
                queryset=Enrolment.objects.active_on(on).select_related(
                    "school_class__class_teacher"
                ),
                to_attr="current_enrolments",
            )
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


def student_courses(student: Student, on: dt.date):
    """The courses a student attends on `on`: his class's whole-class courses and those of
    his subgroups (one query)."""
    from .models import TeachingLoad

    enrolment = Q(
        group__school_class__enrolments__student=student,
        group__school_class__enrolments__starts_on__lte=on,
    ) & (
        Q(group__school_class__enrolments__ends_on__isnull=True)
        | Q(group__school_class__enrolments__ends_on__gte=on)
    )
    in_group = Q(group__is_whole_class=True) | (
        Q(group__memberships__student=student) & active_on(on, "group__memberships__")
    )
    return (
        TeachingLoad.objects.filter(school=student.school_id)
        .filter(enrolment)
        .filter(in_group)
        .select_related("subject", "teacher", "group__school_class")
        .distinct()
        .order_by("subject__name")
    )


def staff_on(school: School, on: dt.date):
    """Staff memberships active on `on`, people first (one query)."""
    from accounts.models import STAFF_ROLES, Membership

    return (
        Membership.objects.filter(school=school, role__in=STAFF_ROLES)
        .active_on(on)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "role")
    )


def coordinator_schools(user, on: dt.date):
    """The schools of the municipalities a coordinator serves, with their size today."""
    from accounts.models import CoordinatorAssignment

    municipalities = CoordinatorAssignment.objects.filter(user=user).active_on(on)
    enrolled = Q(classes__enrolments__starts_on__lte=on) & (
        Q(classes__enrolments__ends_on__isnull=True) | Q(classes__enrolments__ends_on__gte=on)
    )
    return (
        School.objects.filter(municipality__in=municipalities.values("municipality"))
        .select_related("municipality")
        .annotate(
            student_count=Count("classes__enrolments", filter=enrolled, distinct=True),
            class_count=Count(
                "classes",
                filter=Q(classes__year__starts_on__lte=on, classes__year__ends_on__gte=on),
                distinct=True,
            ),
        )
        .order_by("municipality__name", "short_name")
    )


def working_day_after(start: dt.date, days: int, public_holidays: set[dt.date]) -> dt.date:
    """The `days`-th working day (Monday to Friday, not a public holiday) after `start`."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in public_holidays:
            days -= 1
    return day


def public_holidays(school: School) -> set[dt.date]:
    from .models import Holiday

    dates = set()
    for start, end in Holiday.objects.filter(school=school, kind=Holiday.Kind.HOLIDAY).values_list(
        "starts_on", "ends_on"
    ):
        dates.update(start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    return dates


CREDENTIALS_WORKING_DAYS = 10  # R-ROLE-4: within 10 working days of arrival


def class_credentials(school_class: SchoolClass, on: dt.date):
    """The class on `on` with each student's and parent's login, when it was last issued,
    by when a missing one is due, and each parent's latest application (five queries)."""
    from django.db.models import OuterRef, Subquery

    from accounts.models import CredentialIssue

    first_arrival = (
        Enrolment.objects.filter(student=OuterRef("pk")).order_by("starts_on").values("starts_on")
    )
    students = list(class_roster(school_class, on).annotate(arrived_on=Subquery(first_arrival[:1])))
    user_ids = {s.user_id for s in students if s.user_id}
    user_ids |= {
        link.parent.user_id
        for s in students
        for link in s.parent_links.all()
        if link.parent.user_id
    }
    last_issued = dict(
        CredentialIssue.objects.filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(last=models.Max("issued_at"))
        .values_list("user_id", "last")
    )
    from accounts.selectors import latest_applications

    applications = latest_applications(
        {link.parent_id for s in students for link in s.parent_links.all()}
    )
    holidays = public_holidays(school_class.school)
    for student in students:
        student.due_on = working_day_after(
            student.arrived_on or on, CREDENTIALS_WORKING_DAYS, holidays
        )
        student.last_issued = last_issued.get(student.user_id)
        student.form_key = f"s{student.pk}"
        for link in student.parent_links.all():
            link.parent.last_issued = last_issued.get(link.parent.user_id)
            link.parent.form_key = f"p{link.parent.pk}"
            link.parent.application = applications.get(link.parent_id)
    return students


# ---------------------------------------------------------------- subgroups and courses
# (R-STR-5, R-STR-7)


def course_students_on(group: Group, subject, on: dt.date) -> QuerySet[Student]:
    """The students of a course (group × subject) on a date, as its journal lists them:
    the group's students on that date (group_students_on) without those exempted from the
    course and with those attached to it by an individual curriculum in force that day
    (R-STR-5, R-STR-7). One query.

    An attached student needs no enrolment in the group's class: a student on family
    education or home schooling is attached to the courses he is attested in."""
    from django.db.models import Exists, OuterRef

    from .models import GroupMembership, IndividualCurriculum

    subject_id = getattr(subject, "pk", subject)
    enrolled = Exists(
        Enrolment.objects.filter(student=OuterRef("pk"), school_class=group.school_class_id).filter(
            active_on(on)
        )
    )
    in_group = enrolled
    if not group.is_whole_class:
        in_group &= Exists(
            GroupMembership.objects.filter(student=OuterRef("pk"), group=group).filter(
                active_on(on)
            )
        )
    curricula = IndividualCurriculum.objects.filter(
        student=OuterRef("pk"), group=group, subject=subject_id
    ).filter(active_on(on))
    exempt = Exists(curricula.filter(kind=IndividualCurriculum.Kind.EXEMPT))
    attached = Exists(curricula.filter(kind=IndividualCurriculum.Kind.ATTACH))
    return (
        Student.objects.filter(school=group.school_id)
        .filter((in_group | attached) & ~exempt)
        .order_by("last_name", "first_name", "middle_name", "pk")
    )


def class_subgroups_on(school_class: SchoolClass, on: dt.date) -> list[Group]:
    """The subgroups of a class, each with its subject, its teachers (`loads`, from the
    teaching load) and `member_count`, the number of its students on `on` counted as
    group_students_on counts them (two queries)."""
    from django.db.models import Exists, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from .models import GroupMembership, TeachingLoad

    members = (
        GroupMembership.objects.filter(group=OuterRef("pk"))
        .filter(active_on(on))
        .filter(
            Exists(
                Enrolment.objects.filter(
                    student=OuterRef("student"), school_class=school_class
                ).filter(active_on(on))
            )
        )
        .order_by()
        .values("group")
        .annotate(n=Count("student", distinct=True))
        .values("n")
    )
    return list(
        Group.objects.filter(school_class=school_class, is_whole_class=False)
        .select_related("subject")
        .annotate(member_count=Coalesce(Subquery(members), 0))
        .prefetch_related(
            Prefetch(
                "teaching_loads",
                queryset=TeachingLoad.objects.select_related("teacher").order_by(
                    "teacher__last_name", "teacher__first_name"
                ),
                to_attr="loads",
            )
        )
        .order_by("subject__name", "name")
    )


def subject_memberships_on(school_class: SchoolClass, subject, on: dt.date):
    """For the split of a class for a subject (R-STR-5): {student id: group id} of the
    memberships in force on `on`, and the ids of the students who were ever placed in a
    group of the subject in this class (their later moves need an order). One query."""
    from .models import GroupMembership

    current: dict[int, int] = {}
    ever: set[int] = set()
    rows = GroupMembership.objects.filter(
        group__school_class=school_class, group__subject=subject
    ).values_list("student_id", "group_id", "starts_on", "ends_on")
    for student_id, group_id, starts_on, ends_on in rows:
        ever.add(student_id)
        if starts_on <= on and (ends_on is None or ends_on >= on):
            current[student_id] = group_id
    return current, ever


def class_individual_curricula(school_class: SchoolClass, on: dt.date):
    """Individual curricula in force on `on` or planned after it (R-STR-7) of the students
    of the class on `on`, and of anyone attached to a course of the class (one query)."""
    from django.db.models import Exists, OuterRef

    from .models import IndividualCurriculum

    in_class = Exists(
        Enrolment.objects.filter(student=OuterRef("student"), school_class=school_class).filter(
            active_on(on)
        )
    )
    return (
        IndividualCurriculum.objects.filter(school=school_class.school_id)
        .filter(in_class | Q(group__school_class=school_class))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .select_related("student", "group__school_class", "subject")
        .order_by("student__last_name", "student__first_name", "starts_on", "pk")
    )


def course_choices(school: School, year: AcademicYear) -> list[tuple]:
    """The courses of a year that have a teacher: distinct (group, subject) pairs of the
    teaching load, by class, group and subject (one query)."""
    from .models import TeachingLoad

    loads = (
        TeachingLoad.objects.filter(school=school, group__school_class__year=year)
        .select_related("group__school_class", "subject")
        .order_by(
            "group__school_class__grade",
            "group__school_class__letter",
            "-group__is_whole_class",
            "group__name",
            "subject__name",
        )
    )
    courses: dict[tuple[int, int], tuple] = {}
    for load in loads:
        courses.setdefault((load.group_id, load.subject_id), (load.group, load.subject))
    return list(courses.values())


def school_teachers(school: School, on: dt.date):
    """Teachers and substitutes of the school on `on` or from a later date: a load for the
    new period is given before a new teacher starts (one query)."""
    from accounts.models import Membership, Role, User

    memberships = Membership.objects.filter(
        school=school, role__in=[Role.TEACHER, Role.SUBSTITUTE]
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
    return User.objects.filter(pk__in=memberships.values("user_id")).order_by(
        "last_name", "first_name", "username"
    )
