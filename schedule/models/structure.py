"""The school's structure before 1 September (R-STR-1..7): year, periods, holidays,
rooms, bells, subjects, classes, subgroups, orders, enrolments and teaching load."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import DatedRange, School, Student, User

GRADE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(11)]


def dates_ordered(name: str, start: str = "starts_on", end: str = "ends_on"):
    return models.CheckConstraint(name=name, condition=Q(**{f"{end}__gte": F(start)}))


def open_dates_ordered(name: str):
    return models.CheckConstraint(
        name=name, condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on"))
    )


class SchoolOwned(models.Model):
    school = models.ForeignKey(School, models.CASCADE, verbose_name=_("school"))

    class Meta:
        abstract = True

    def same_school(self, *others) -> None:
        """Refuse links to another school's rows (R-TEN-1)."""
        for other in others:
            if other is not None and other.school_id != self.school_id:
                raise ValidationError(_("«%(obj)s» belongs to another school.") % {"obj": other})


class AcademicYear(SchoolOwned):
    name = models.CharField(_("name"), max_length=20, help_text=_("e.g. 2026/2027"))
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("academic year")
        verbose_name_plural = _("academic years")
        default_related_name = "academic_years"
        ordering = ["school", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="year_unique_name"),
            dates_ordered("year_dates_ordered"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            raise ValidationError(_("The year must end after it starts."))


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", _("quarters")
    TRIMESTER = "trimester", _("trimesters")
    HALF = "half", _("half-years")


PERIOD_COUNTS = {PeriodKind.QUARTER: 4, PeriodKind.TRIMESTER: 3, PeriodKind.HALF: 2}


class GradeLevel(SchoolOwned):
    """How one grade (parallel) studies this year: its reporting periods and week."""

    year = models.ForeignKey(AcademicYear, models.CASCADE, verbose_name=_("academic year"))
    grade = models.PositiveSmallIntegerField(_("grade"), validators=GRADE_VALIDATORS)
    period_kind = models.CharField(
        _("reporting periods"), max_length=10, choices=PeriodKind, default=PeriodKind.QUARTER
    )
    study_days = models.PositiveSmallIntegerField(
        _("study days a week"), choices=[(5, _("5 days")), (6, _("6 days"))], default=5
    )

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        default_related_name = "grade_levels"
        ordering = ["year", "grade"]
        constraints = [
            models.UniqueConstraint(fields=["school", "year", "grade"], name="gradelevel_unique"),
            models.CheckConstraint(
                name="gradelevel_grade_range", condition=Q(grade__gte=1, grade__lte=11)
            ),
        ]

    def __str__(self):
        return _("grade %(grade)s") % {"grade": self.grade}

    def clean(self):
        self.same_school(getattr(self, "year", None))


class ReportingPeriod(SchoolOwned):
    """A quarter, trimester or half-year (R-STR-1)."""

    year = models.ForeignKey(AcademicYear, models.CASCADE, verbose_name=_("academic year"))
    kind = models.CharField(_("kind"), max_length=10, choices=PeriodKind)
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        default_related_name = "periods"
        ordering = ["year", "kind", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "kind", "number"], name="period_unique_number"
            ),
            dates_ordered("period_dates_ordered"),
        ]

    def __str__(self):
        names = {
            PeriodKind.QUARTER: _("quarter %(n)s"),
            PeriodKind.TRIMESTER: _("trimester %(n)s"),
            PeriodKind.HALF: _("half-year %(n)s"),
        }
        return names[self.kind] % {"n": self.number}

    def clean(self):
        year = getattr(self, "year", None)
        self.same_school(year)
        if not (year and self.starts_on and self.ends_on and self.kind and self.number):
            return
        if self.ends_on < self.starts_on:
            raise ValidationError(_("The period must end after it starts."))
        if self.starts_on < year.starts_on or self.ends_on > year.ends_on:
            raise ValidationError(_("The period must lie within the academic year."))
        if self.number > PERIOD_COUNTS[self.kind]:
            raise ValidationError({"number": _("There are not that many periods of this kind.")})
        if year.pk is None:
            return  # a year being created has no other periods yet
        overlapping = ReportingPeriod.objects.filter(
            school=self.school_id,
            year=year,
            kind=self.kind,
            starts_on__lte=self.ends_on,
            ends_on__gte=self.starts_on,
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError(_("The period overlaps another period of the same kind."))


class Holiday(SchoolOwned):
    """Vacations and non-study days of the calendar (календарный учебный график)."""

    class Kind(models.TextChoices):
        VACATION = "vacation", _("vacation")
        HOLIDAY = "holiday", _("public holiday")
        NON_STUDY = "nonstudy", _("non-study day")

    year = models.ForeignKey(AcademicYear, models.CASCADE, verbose_name=_("academic year"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.VACATION)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    grades = models.CharField(
        _("only for grades"),
        max_length=40,
        blank=True,
        help_text=_("Empty: the whole school. Otherwise grades separated by commas, e.g. 1"),
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays and vacations")
        default_related_name = "holidays"
        ordering = ["year", "starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "name", "starts_on"], name="holiday_unique"
            ),
            dates_ordered("holiday_dates_ordered"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        year = getattr(self, "year", None)
        self.same_school(year)
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(_("The holiday must end after it starts."))
        if (
            year
            and self.starts_on
            and self.ends_on
            and (self.starts_on < year.starts_on or self.ends_on > year.ends_on)
        ):
            raise ValidationError(_("The holiday must lie within the academic year."))
        try:
            grades = self.grade_list()
        except ValueError:
            raise ValidationError({"grades": _("Grades separated by commas, e.g. 1,2")}) from None
        if any(g < 1 or g > 11 for g in grades):
            raise ValidationError({"grades": _("Grades are from 1 to 11.")})

    def grade_list(self) -> list[int]:
        return [int(g) for g in self.grades.replace(" ", "").split(",") if g]


class Building(SchoolOwned):
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        default_related_name = "buildings"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="building_unique_name")
        ]

    def __str__(self):
        return self.name


class Room(SchoolOwned):
    building = models.ForeignKey(Building, models.CASCADE, verbose_name=_("building"))
    number = models.CharField(_("number"), max_length=20)
    name = models.CharField(_("name"), max_length=100, blank=True)
    capacity = models.PositiveSmallIntegerField(_("seats"), null=True, blank=True)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        default_related_name = "rooms"
        ordering = ["building", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "building", "number"], name="room_unique_number"
            )
        ]

    def __str__(self):
        return f"{self.number} {self.name}".strip()

    def clean(self):
        self.same_school(getattr(self, "building", None))


class BellSchedule(SchoolOwned):
    """Режим работы: the lesson times of one shift (R-STR-2)."""

    name = models.CharField(_("name"), max_length=100)
    shift = models.PositiveSmallIntegerField(
        _("shift"), choices=[(1, _("first shift")), (2, _("second shift"))], default=1
    )

    class Meta:
        verbose_name = _("bell schedule")
        verbose_name_plural = _("bell schedules")
        default_related_name = "bell_schedules"
        ordering = ["shift", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="bellschedule_unique_name")
        ]

    def __str__(self):
        return self.name


class Bell(SchoolOwned):
    schedule = models.ForeignKey(
        BellSchedule, models.CASCADE, related_name="bells", verbose_name=_("bell schedule")
    )
    number = models.PositiveSmallIntegerField(
        _("lesson number"), validators=[MinValueValidator(0), MaxValueValidator(12)]
    )
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))

    class Meta:
        verbose_name = _("bell")
        verbose_name_plural = _("bells")
        ordering = ["schedule", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "schedule", "number"], name="bell_unique_number"
            ),
            models.CheckConstraint(
                name="bell_times_ordered", condition=Q(ends_at__gt=F("starts_at"))
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    def clean(self):
        schedule = getattr(self, "schedule", None)
        self.same_school(schedule)
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(_("A lesson must end after it starts."))
        if schedule and schedule.pk and self.starts_at and self.ends_at:
            clash = Bell.objects.filter(
                schedule=schedule, starts_at__lt=self.ends_at, ends_at__gt=self.starts_at
            ).exclude(pk=self.pk)
            if clash.exists():
                raise ValidationError(_("This lesson overlaps another lesson of the schedule."))


class Subject(SchoolOwned):
    name = models.CharField(_("name"), max_length=150)
    short_name = models.CharField(_("short name"), max_length=30, blank=True)
    no_attestation = models.BooleanField(
        _("no attestation"), default=False, help_text=_("Electives: no period marks (R-STR-3).")
    )

    class Meta:
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        default_related_name = "subjects"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="subject_unique_name")
        ]

    def __str__(self):
        return self.name


class CurriculumHours(SchoolOwned):
    """Weekly hours of a subject in a grade by the school's curriculum (R-STR-3)."""

    year = models.ForeignKey(AcademicYear, models.CASCADE, verbose_name=_("academic year"))
    grade = models.PositiveSmallIntegerField(_("grade"), validators=GRADE_VALIDATORS)
    subject = models.ForeignKey(Subject, models.CASCADE, verbose_name=_("subject"))
    hours_per_week = models.DecimalField(
        _("hours a week"),
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("10"))],
    )

    class Meta:
        verbose_name = _("curriculum hours")
        verbose_name_plural = _("curriculum")
        default_related_name = "curriculum_hours"
        ordering = ["year", "grade", "subject__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "grade", "subject"], name="curriculum_unique"
            ),
            models.CheckConstraint(
                name="curriculum_hours_positive", condition=Q(hours_per_week__gt=0)
            ),
        ]

    def __str__(self):
        return f"{self.grade}: {self.subject} — {self.hours_per_week}"

    def clean(self):
        self.same_school(getattr(self, "year", None), getattr(self, "subject", None))


class SchoolClass(SchoolOwned):
    """A class of one year: parallel + letter, e.g. 5«А» (R-STR-4)."""

    year = models.ForeignKey(AcademicYear, models.CASCADE, verbose_name=_("academic year"))
    grade = models.PositiveSmallIntegerField(_("grade"), validators=GRADE_VALIDATORS)
    letter = models.CharField(_("letter"), max_length=5)
    class_teacher = models.ForeignKey(
        User,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_classes",
        verbose_name=_("class teacher"),
    )
    bell_schedule = models.ForeignKey(
        BellSchedule, models.RESTRICT, null=True, blank=True, verbose_name=_("bell schedule")
    )
    home_room = models.ForeignKey(
        Room, models.SET_NULL, null=True, blank=True, verbose_name=_("home room")
    )

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        default_related_name = "classes"
        ordering = ["year", "grade", "letter"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "grade", "letter"], name="class_unique_name"
            ),
            models.CheckConstraint(
                name="class_grade_range", condition=Q(grade__gte=1, grade__lte=11)
            ),
        ]

    def __str__(self):
        return f"{self.grade}{self.letter}"

    def clean(self):
        self.same_school(
            getattr(self, "year", None),
            getattr(self, "bell_schedule", None),
            getattr(self, "home_room", None),
        )
        if self.class_teacher_id and self.school_id:
            from accounts.models import Membership, Role

            staff = Membership.objects.filter(
                school=self.school_id, user=self.class_teacher_id, role=Role.TEACHER
            )
            if not staff.exists():
                raise ValidationError(
                    {"class_teacher": _("The class teacher must be a teacher of this school.")}
                )


class Group(SchoolOwned):
    """A group a course is taught to: the whole class, or a subgroup of it for one subject
    (languages, informatics, labour; R-STR-5). Every class has exactly one whole-class
    group, so a course is always group × subject."""

    school_class = models.ForeignKey(
        SchoolClass, models.CASCADE, related_name="groups", verbose_name=_("class")
    )
    name = models.CharField(_("name"), max_length=60)
    subject = models.ForeignKey(
        Subject,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="groups",
        verbose_name=_("subject"),
        help_text=_("The subject the class is split for; empty for the whole class."),
    )
    is_whole_class = models.BooleanField(_("whole class"), default=False, editable=False)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["school_class", "-is_whole_class", "subject__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_class", "subject", "name"], name="group_unique_name"
            ),
            models.UniqueConstraint(
                fields=["school", "school_class"],
                condition=Q(is_whole_class=True),
                name="group_one_whole_class",
            ),
            models.CheckConstraint(
                name="group_subgroup_has_subject",
                condition=Q(is_whole_class=True, subject__isnull=True)
                | Q(is_whole_class=False, subject__isnull=False),
            ),
        ]

    def __str__(self):
        if self.is_whole_class:
            return str(self.school_class)
        return f"{self.school_class} {self.name}"

    def clean(self):
        self.same_school(getattr(self, "school_class", None), getattr(self, "subject", None))
        if not self.is_whole_class and not self.subject_id:
            raise ValidationError({"subject": _("A subgroup is formed for a subject.")})


class Order(SchoolOwned):
    """A director's order (приказ) that changes the contingent (R-STR-4, R-STR-5)."""

    class Kind(models.TextChoices):
        ENROLMENT = "enrol", _("enrolment")
        TRANSFER = "transfer", _("transfer between classes")
        WITHDRAWAL = "withdraw", _("withdrawal")
        GROUPS = "groups", _("division into groups")

    number = models.CharField(_("order number"), max_length=30)
    date = models.DateField(_("order date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    title = models.CharField(_("title"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        default_related_name = "orders"
        ordering = ["-date", "number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number", "date"], name="order_unique_number")
        ]

    def __str__(self):
        return _("order no. %(number)s of %(date)s") % {
            "number": self.number,
            "date": self.date.strftime("%d.%m.%Y"),
        }


class Enrolment(SchoolOwned, DatedRange):
    """A student belongs to a class from one order to another (R-STR-4)."""

    student = models.ForeignKey(Student, models.CASCADE, verbose_name=_("student"))
    school_class = models.ForeignKey(SchoolClass, models.CASCADE, verbose_name=_("class"))
    order = models.ForeignKey(
        Order, models.RESTRICT, related_name="enrolments", verbose_name=_("order")
    )
    end_order = models.ForeignKey(
        Order,
        models.RESTRICT,
        null=True,
        blank=True,
        related_name="ended_enrolments",
        verbose_name=_("order ending it"),
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        default_related_name = "enrolments"
        ordering = ["school_class", "student__last_name", "starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student"],
                condition=Q(ends_on__isnull=True),
                name="enrolment_one_open_per_student",
            ),
            open_dates_ordered("enrolment_dates_ordered"),
        ]
        indexes = [
            models.Index(fields=["school_class", "starts_on"], name="enrolment_by_class"),
        ]

    def __str__(self):
        return f"{self.student} — {self.school_class}"

    def clean(self):
        super().clean()
        self.same_school(
            getattr(self, "student", None),
            getattr(self, "school_class", None),
            getattr(self, "order", None),
            getattr(self, "end_order", None),
        )
        if self.ends_on and not self.end_order_id:
            raise ValidationError({"end_order": _("An enrolment ends by an order.")})
        if self.student_id and self.starts_on:
            end = self.ends_on or dt.date.max
            overlap = Enrolment.objects.filter(student=self.student_id, starts_on__lte=end).filter(
                Q(ends_on__isnull=True) | Q(ends_on__gte=self.starts_on)
            )
            if overlap.exclude(pk=self.pk).exists():
                raise ValidationError(
                    _("The student is already in a class for some of these dates.")
                )


class GroupMembership(SchoolOwned, DatedRange):
    """A student in a subgroup from a date (R-STR-5); moves are made by an order."""

    group = models.ForeignKey(
        Group, models.CASCADE, related_name="memberships", verbose_name=_("group")
    )
    student = models.ForeignKey(
        Student, models.CASCADE, related_name="group_memberships", verbose_name=_("student")
    )
    order = models.ForeignKey(
        Order, models.RESTRICT, null=True, blank=True, verbose_name=_("order")
    )

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        ordering = ["group", "student__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "group", "student"],
                condition=Q(ends_on__isnull=True),
                name="groupmember_one_open",
            ),
            open_dates_ordered("groupmember_dates_ordered"),
        ]
        indexes = [models.Index(fields=["group", "starts_on"], name="groupmember_by_group")]

    def __str__(self):
        return f"{self.student} — {self.group}"

    def clean(self):
        super().clean()
        group = getattr(self, "group", None)
        self.same_school(group, getattr(self, "student", None), getattr(self, "order", None))
        if group and group.is_whole_class:
            raise ValidationError(
                {"group": _("The whole class is made of its enrolments, not of members.")}
            )
        if group and self.student_id and self.starts_on:
            end = self.ends_on or dt.date.max
            # the same student in two groups of one subject of his class at once
            clash = GroupMembership.objects.filter(
                student=self.student_id,
                group__school_class=group.school_class_id,
                group__subject=group.subject_id,
                starts_on__lte=end,
            ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=self.starts_on))
            if clash.exclude(pk=self.pk).exists():
                raise ValidationError(
                    _("The student is already in another group of this subject for these dates.")
                )


class TeachingLoad(SchoolOwned):
    """Распределение нагрузки: teacher × group × subject × hours a week (R-STR-6)."""

    teacher = models.ForeignKey(
        User, models.PROTECT, related_name="teaching_loads", verbose_name=_("teacher")
    )
    group = models.ForeignKey(
        Group, models.CASCADE, related_name="teaching_loads", verbose_name=_("group")
    )
    subject = models.ForeignKey(
        Subject, models.RESTRICT, related_name="teaching_loads", verbose_name=_("subject")
    )
    hours_per_week = models.DecimalField(
        _("hours a week"),
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("10"))],
    )

    class Meta:
        verbose_name = _("teaching load")
        verbose_name_plural = _("teaching load")
        ordering = ["group", "subject__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "group", "subject", "teacher"], name="load_unique"
            ),
            models.CheckConstraint(name="load_hours_positive", condition=Q(hours_per_week__gt=0)),
        ]
        indexes = [models.Index(fields=["teacher", "school"], name="load_by_teacher")]

    def __str__(self):
        return f"{self.group} — {self.subject} — {self.teacher.short_name}"

    def clean(self):
        group = getattr(self, "group", None)
        subject = getattr(self, "subject", None)
        self.same_school(group, subject)
        if group and subject and group.subject_id and group.subject_id != subject.pk:
            raise ValidationError(
                {
                    "subject": _("This subgroup is formed for %(subject)s.")
                    % {"subject": group.subject}
                }
            )
        if self.teacher_id and self.school_id:
            from accounts.models import Membership, Role

            if not Membership.objects.filter(
                school=self.school_id,
                user=self.teacher_id,
                role__in=[Role.TEACHER, Role.SUBSTITUTE],
            ).exists():
                raise ValidationError({"teacher": _("The teacher must be on this school's staff.")})
