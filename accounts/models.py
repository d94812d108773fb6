"""Schools, users and who they are in which school.

A user is global; everything he may do in a school comes from dated memberships
(user × school × role, R-ROLE-1). Students and parents are also contingent records of the
school (with or without an account yet, R-ROLE-4)."""

import datetime as dt
import zoneinfo
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz)


class User(AbstractUser):
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"

    @property
    def full_name(self) -> str:
        parts = [self.last_name, self.first_name, self.middle_name]
        return " ".join(p for p in parts if p) or self.username

    @property
    def short_name(self) -> str:
        initials = "".join(f"{p[0]}." for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name} {initials}".strip() or self.username

    def __str__(self):
        return self.full_name


class Municipality(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    def __str__(self):
        return self.name


class School(models.Model):
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=100)
    slug = models.SlugField(_("address in URLs"), max_length=60, unique=True)
    municipality = models.ForeignKey(
        Municipality, models.PROTECT, related_name="schools", verbose_name=_("municipality")
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Moscow"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["short_name"]

    def __str__(self):
        return self.short_name

    @cached_property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def today(self) -> dt.date:
        """The school's local date: every 'day' rule uses it (R-TEN-2)."""
        return timezone.localdate(timezone.now(), self.tz)

    def local(self, moment: dt.datetime) -> dt.datetime:
        return timezone.localtime(moment, self.tz)


WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
]


class SchoolSettings(models.Model):
    """What a school may configure, with the regulation defaults (R-TEN-3)."""

    class MarkScale(models.TextChoices):
        ONE_TO_FIVE = "1-5", _("five-point, 1 to 5")
        TWO_TO_FIVE = "2-5", _("five-point, 2 to 5")
        PASS_FAIL = "pass", _("pass / fail")

    class EditWindow(models.IntegerChoices):
        NEVER_LOCKED = 0, _("never locked")
        ONE_WEEK = 7, _("1 week after the lesson")
        TWO_WEEKS = 14, _("2 weeks after the lesson")
        THREE_WEEKS = 21, _("3 weeks after the lesson")
        ONE_MONTH = 31, _("1 month after the lesson")

    class Languages(models.TextChoices):
        RU = "ru", _("Russian")
        KK = "kk", _("Kazakh")
        RU_KK = "ru,kk", _("Russian and Kazakh")

    school = models.OneToOneField(
        School, models.CASCADE, related_name="settings", verbose_name=_("school")
    )
    instruction_languages = models.CharField(
        _("languages of instruction"), max_length=8, choices=Languages, default=Languages.RU
    )
    mark_scale = models.CharField(
        _("mark scale"), max_length=4, choices=MarkScale, default=MarkScale.ONE_TO_FIVE
    )
    grade_one_without_marks = models.BooleanField(_("no marks in grade 1"), default=True)
    # R-MRK-5
    current_marks_deadline = models.TimeField(
        _("current marks are entered on the lesson day until"), default=dt.time(16, 0)
    )
    marks_limit_days = models.PositiveSmallIntegerField(
        _("absolute limit for current marks, days after the lesson"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
    )
    # R-MRK-6
    edit_window_days = models.PositiveSmallIntegerField(
        _("edit window"), choices=EditWindow, default=EditWindow.ONE_WEEK
    )
    # R-ATT-1..3
    first_lesson_attendance_deadline = models.TimeField(
        _("first lesson absences are marked by"), default=dt.time(9, 30)
    )
    absence_reason_deadline = models.TimeField(
        _("class teacher records absence reasons by"), default=dt.time(10, 0)
    )
    weekly_reconciliation_deadline = models.TimeField(
        _("Monday reconciliation of last week's absences by"), default=dt.time(16, 0)
    )
    attendance_limit_days = models.PositiveSmallIntegerField(
        _("absences and lateness are marked within, days"),
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(14)],
    )
    # R-LES-2
    homework_entry_hours = models.PositiveSmallIntegerField(
        _("homework is entered within, hours after the lesson"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(48)],
    )
    # R-FIN-1
    period_marks_days_after_end = models.PositiveSmallIntegerField(
        _("period marks are set within, days after the period ends"),
        default=2,
        validators=[MaxValueValidator(14)],
    )
    attestation_days_before_end = models.PositiveSmallIntegerField(
        _("intermediate attestation ends, days before the period ends"),
        default=1,
        validators=[MaxValueValidator(14)],
    )
    # R-MRK-8
    forecast_days_before_end = models.PositiveSmallIntegerField(
        _("forecast is shown, days before the period ends"),
        default=14,
        validators=[MaxValueValidator(60)],
    )
    # Rounding of the suggested period mark: the weighted average from which 5, 4 and 3 are
    # suggested. Default "half rounds up"; some schools use 4.65 / 3.65 / 2.65.
    threshold_five = models.DecimalField(
        _("suggest 5 from"), max_digits=3, decimal_places=2, default=Decimal("4.50")
    )
    threshold_four = models.DecimalField(
        _("suggest 4 from"), max_digits=3, decimal_places=2, default=Decimal("3.50")
    )
    threshold_three = models.DecimalField(
        _("suggest 3 from"), max_digits=3, decimal_places=2, default=Decimal("2.50")
    )
    # R-MRK-9: minimum marks per period for 1, 2 and 3+ weekly hours
    min_marks_one_hour = models.PositiveSmallIntegerField(
        _("minimum marks per period at 1 hour a week"), default=3
    )
    min_marks_two_hours = models.PositiveSmallIntegerField(
        _("minimum marks per period at 2 hours a week"), default=5
    )
    min_marks_three_hours = models.PositiveSmallIntegerField(
        _("minimum marks per period at 3 or more hours a week"), default=7
    )
    # R-NOT-1
    parent_report_weekday = models.PositiveSmallIntegerField(
        _("weekly parent report day"), default=4, choices=WEEKDAY_CHOICES
    )
    # The deadline jobs (R-ATT-1, R-ATT-3, R-ATT-5, R-MRK-5, R-LES-2, R-MRK-8, R-NOT-1..3,
    # R-FIN-1): each can be switched off; every time is the school's local time (R-TEN-2).
    first_lesson_reminders = models.BooleanField(
        _("remind the first lesson's teacher to mark attendance"), default=True
    )
    first_lesson_escalation_minutes = models.PositiveSmallIntegerField(
        _("tell the deputy when attendance is still not marked after, minutes"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    absence_reason_reminders = models.BooleanField(
        _("remind the class teacher of absences without a reason"), default=True
    )
    absence_digest = models.BooleanField(
        _("send the class teacher the day's absences and parents' notices"), default=True
    )
    absence_digest_time = models.TimeField(
        _("the day's absences are sent at"), default=dt.time(14, 0)
    )
    lesson_content_reminders = models.BooleanField(
        _("remind teachers of lessons without topic, attendance or homework"), default=True
    )
    deputy_morning_time = models.TimeField(
        _("the deputy gets yesterday's unfilled lessons at"), default=dt.time(8, 0)
    )
    reconciliation_reminders = models.BooleanField(
        _("remind class teachers of the Monday reconciliation"), default=True
    )
    parent_reports = models.BooleanField(_("send the weekly parent report"), default=True)
    parent_report_time = models.TimeField(
        _("the weekly parent report is sent at"), default=dt.time(15, 0)
    )
    print_batches = models.BooleanField(
        _("collect printed reports for parents without electronic access monthly"),
        default=True,
    )
    failing_reports = models.BooleanField(
        _("send the weekly list of failing students"), default=True
    )
    failing_report_weekday = models.PositiveSmallIntegerField(
        _("failing students are reported on"), default=4, choices=WEEKDAY_CHOICES
    )
    failing_report_time = models.TimeField(
        _("failing students are reported at"), default=dt.time(15, 30)
    )
    failing_average_below = models.DecimalField(
        _("failing: the period's weighted average so far is below"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("2.50"),
        validators=[MinValueValidator(0), MaxValueValidator(5)],
        help_text=_("0 turns this rule off."),
    )
    failing_recent_marks = models.PositiveSmallIntegerField(
        _("failing: unsatisfactory marks in the last 7 days, at least"),
        default=2,
        validators=[MaxValueValidator(20)],
        help_text=_("0 turns this rule off."),
    )
    forecast_notices = models.BooleanField(
        _("send the forecast of period marks before the period ends"), default=True
    )
    period_marks_reminders = models.BooleanField(
        _("remind of missing period marks after the period ends"), default=True
    )
    period_notices_time = models.TimeField(
        _("forecasts and period mark reminders are sent at"), default=dt.time(12, 0)
    )
    # R-TT-5
    max_control_works_per_day = models.PositiveSmallIntegerField(
        _("control works per class and day before a warning"), default=1
    )

    class Meta:
        verbose_name = _("school settings")
        verbose_name_plural = _("school settings")
        constraints = [
            models.CheckConstraint(
                name="settings_thresholds_ordered",
                condition=Q(threshold_five__gt=models.F("threshold_four"))
                & Q(threshold_four__gt=models.F("threshold_three"))
                & Q(threshold_three__gt=1)
                & Q(threshold_five__lte=5),
            ),
        ]

    def __str__(self):
        return str(_("Settings of %(school)s") % {"school": self.school})

    def clean(self):
        if not (5 >= self.threshold_five > self.threshold_four > self.threshold_three > 1):
            raise ValidationError(
                _("Thresholds must decrease: 5 > for «5» > for «4» > for «3» > 1.")
            )


class WorkType(models.Model):
    """A kind of work a mark column is for, with its weight (R-LES-3)."""

    school = models.ForeignKey(School, models.CASCADE, related_name="work_types")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    weight = models.DecimalField(
        _("weight"),
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("10"))],
    )
    double_mark = models.BooleanField(_("two marks (content / literacy)"), default=False)
    is_control = models.BooleanField(
        _("control, written, laboratory or practical work"), default=False
    )
    check_days = models.PositiveSmallIntegerField(
        _("days allowed to check"),
        null=True,
        blank=True,
        help_text=_("Empty: marks are due by the school's general deadline."),
    )
    check_days_grades = models.CharField(
        _("grades the longer check applies to"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^(\d{1,2}(,\d{1,2})*)?$", _("Grades separated by commas."))],
    )
    position = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("work type")
        verbose_name_plural = _("work types")
        ordering = ["school", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "code"], name="worktype_unique_code"),
            models.UniqueConstraint(fields=["school", "name"], name="worktype_unique_name"),
            models.CheckConstraint(name="worktype_weight_positive", condition=Q(weight__gt=0)),
        ]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    """R-ROLE-1. A class teacher is not a separate membership: he is the teacher named as
    class teacher of a class (schedule.SchoolClass), so the two can never disagree."""

    ADMIN = "admin", _("school administrator")
    DIRECTOR = "director", _("director")
    DEPUTY = "deputy", _("deputy head")
    TEACHER = "teacher", _("teacher")
    SUBSTITUTE = "substitute", _("substitute teacher")
    PSYCHOLOGIST = "psychologist", _("psychologist")
    SOCIAL_PEDAGOGUE = "social", _("social pedagogue")
    SECRETARY = "secretary", _("secretary")
    PARENT = "parent", _("parent")
    TRUSTED = "trusted", _("trusted person")
    STUDENT = "student", _("student")
    MONITORING = "monitoring", _("monitoring")


STAFF_ROLES = frozenset(
    {
        Role.ADMIN,
        Role.DIRECTOR,
        Role.DEPUTY,
        Role.TEACHER,
        Role.SUBSTITUTE,
        Role.PSYCHOLOGIST,
        Role.SOCIAL_PEDAGOGUE,
        Role.SECRETARY,
    }
)
LEADERSHIP_ROLES = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.ADMIN})


def active_on(on: dt.date, prefix: str = "") -> Q:
    """Rows whose [starts_on, ends_on] range contains the date (ends_on empty = open)."""
    return Q(**{f"{prefix}starts_on__lte": on}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": on})
    )


class DatedQuerySet(models.QuerySet):
    def active_on(self, on: dt.date):
        return self.filter(active_on(on))


class DatedRange(models.Model):
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)

    objects = DatedQuerySet.as_manager()

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end date is before the start date.")})

    def is_active_on(self, on: dt.date) -> bool:
        return self.starts_on <= on and (self.ends_on is None or on <= self.ends_on)


class Membership(DatedRange):
    """User × school × role, dated (R-ROLE-1)."""

    user = models.ForeignKey(
        User, models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    school = models.ForeignKey(
        School, models.CASCADE, related_name="memberships", verbose_name=_("school")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role)
    position = models.CharField(
        _("position"), max_length=200, blank=True, help_text=_("e.g. «teacher of mathematics»")
    )

    class Meta:
        verbose_name = _("role in school")
        verbose_name_plural = _("roles in school")
        ordering = ["school", "role", "user__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "user", "role", "starts_on"], name="membership_unique_start"
            ),
            models.CheckConstraint(
                name="membership_dates_ordered",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
            ),
        ]
        indexes = [models.Index(fields=["user", "school", "role"], name="membership_by_user")]

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} ({self.school})"


class CoordinatorAssignment(DatedRange):
    """A municipal coordinator sees his municipality's schools (R-CTL-6, R-TEN-1)."""

    user = models.ForeignKey(User, models.CASCADE, related_name="coordinator_assignments")
    municipality = models.ForeignKey(
        Municipality, models.CASCADE, related_name="coordinators", verbose_name=_("municipality")
    )

    class Meta:
        verbose_name = _("municipal coordinator")
        verbose_name_plural = _("municipal coordinators")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "user", "starts_on"], name="coordinator_unique_start"
            ),
            models.CheckConstraint(
                name="coordinator_dates_ordered",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.municipality}"


class Person(models.Model):
    school = models.ForeignKey(School, models.CASCADE, verbose_name=_("school"))
    last_name = models.CharField(_("last name"), max_length=150)
    first_name = models.CharField(_("first name"), max_length=150)
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    user = models.ForeignKey(
        User,
        models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("account"),
        help_text=_("Empty until credentials are issued."),
    )

    class Meta:
        abstract = True
        ordering = ["last_name", "first_name", "middle_name"]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def short_name(self) -> str:
        return f"{self.last_name} {self.first_name}"


class Student(Person):
    class Gender(models.TextChoices):
        MALE = "m", _("male")
        FEMALE = "f", _("female")

    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender, blank=True)
    personal_file = models.CharField(_("personal file number"), max_length=30, blank=True)

    class Meta(Person.Meta):
        verbose_name = _("student")
        verbose_name_plural = _("students")
        default_related_name = "students"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "user"],
                condition=Q(user__isnull=False),
                name="student_one_record_per_account",
            ),
            models.UniqueConstraint(
                fields=["school", "personal_file"],
                condition=~Q(personal_file=""),
                name="student_unique_personal_file",
            ),
        ]
        indexes = [models.Index(fields=["school", "last_name"], name="student_by_name")]


class Parent(Person):
    """A parent or legal representative known to the school."""

    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta(Person.Meta):
        verbose_name = _("parent")
        verbose_name_plural = _("parents")
        default_related_name = "parents"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "user"],
                condition=Q(user__isnull=False),
                name="parent_one_record_per_account",
            ),
        ]


class ParentLink(models.Model):
    class Relation(models.TextChoices):
        MOTHER = "mother", _("mother")
        FATHER = "father", _("father")
        GUARDIAN = "guardian", _("guardian")

    school = models.ForeignKey(School, models.CASCADE, verbose_name=_("school"))
    parent = models.ForeignKey(
        Parent, models.CASCADE, related_name="links", verbose_name=_("parent")
    )
    student = models.ForeignKey(
        Student, models.CASCADE, related_name="parent_links", verbose_name=_("student")
    )
    relation = models.CharField(_("relation"), max_length=10, choices=Relation)

    class Meta:
        verbose_name = _("parent link")
        verbose_name_plural = _("parent links")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "parent", "student"], name="parentlink_unique"
            ),
        ]

    def __str__(self):
        return f"{self.parent} — {self.student} ({self.get_relation_display()})"

    def clean(self):
        if (
            self.parent_id
            and self.student_id
            and (
                self.parent.school_id != self.school_id or self.student.school_id != self.school_id
            )
        ):
            raise ValidationError(_("The parent and the student must be of this school."))


class CredentialIssue(models.Model):
    """Журнал выдачи учётных данных (R-ROLE-4): every login or new password handed to a
    person, by whom and when. Rows are only ever added."""

    class Kind(models.TextChoices):
        FIRST = "first", _("first issue")
        RESTORE = "restore", _("restored on a written request")

    school = models.ForeignKey(School, models.CASCADE, verbose_name=_("school"))
    user = models.ForeignKey(
        User, models.CASCADE, related_name="credential_issues", verbose_name=_("account")
    )
    person_name = models.CharField(_("issued to"), max_length=300)
    role = models.CharField(_("role"), max_length=20, choices=Role)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    request_note = models.CharField(
        _("written request"),
        max_length=200,
        blank=True,
        help_text=_("Number and date of the written request for restored credentials."),
    )
    issued_by = models.ForeignKey(
        User, models.PROTECT, related_name="credentials_given", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("credentials issue")
        verbose_name_plural = _("credentials issue log")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["school", "issued_at"], name="credissue_by_school")]
        constraints = [
            models.CheckConstraint(
                name="credissue_restore_has_request",
                condition=Q(kind="first") | ~Q(request_note=""),
            ),
        ]

    def __str__(self):
        return f"{self.person_name} — {self.issued_at:%d.%m.%Y}"


class ParentApplication(models.Model):
    """A parent's signed application for the electronic diary with his consent to the
    processing of personal data, and the school's decision (R-ROLE-7). The latest one
    decides whether the parent may be given a login."""

    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("access granted")
        REFUSED = "refused", _("refused by the school")
        DECLINED = "declined", _("the parent declined electronic access")

    school = models.ForeignKey(School, models.CASCADE, verbose_name=_("school"))
    parent = models.ForeignKey(
        Parent, models.CASCADE, related_name="applications", verbose_name=_("parent")
    )
    received_on = models.DateField(_("received on"))
    number = models.CharField(_("registration number"), max_length=30, blank=True)
    pd_consent = models.BooleanField(_("consent to personal data processing"), default=False)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision)
    reason = models.CharField(
        _("reason"),
        max_length=300,
        blank=True,
        help_text=_("Required when the school refuses: what was wrong with the application."),
    )
    recorded_by = models.ForeignKey(
        User, models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("parent's application")
        verbose_name_plural = _("parents' applications and consents")
        ordering = ["-received_on", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                name="application_access_needs_consent",
                condition=~Q(decision="accepted") | Q(pd_consent=True),
            ),
            models.CheckConstraint(
                name="application_refusal_has_reason",
                condition=~Q(decision="refused") | ~Q(reason=""),
            ),
        ]
        indexes = [models.Index(fields=["parent", "received_on"], name="application_by_parent")]

    def __str__(self):
        return f"{self.parent} — {self.get_decision_display()} ({self.received_on:%d.%m.%Y})"

    def clean(self):
        if self.decision == self.Decision.ACCEPTED and not self.pd_consent:
            raise ValidationError(
                {
                    "pd_consent": _(
                        "Access is granted only with a consent to personal data processing."
                    )
                }
            )
        if self.decision == self.Decision.REFUSED and not self.reason.strip():
            raise ValidationError({"reason": _("Write the reason for the refusal.")})
        if self.parent_id and self.school_id and self.parent.school_id != self.school_id:
            raise ValidationError(_("The parent must be of this school."))
        if self.received_on and self.school_id and self.received_on > self.school.today():
            raise ValidationError({"received_on": _("An application cannot come from the future.")})


class TrustedPerson(models.Model):
    """R-ROLE-5: a parent lets a named person (a grandmother, a nanny) read one child's
    diary until a date. The person's account has a `trusted` membership in the school for
    as long as one of his grants there is in force; the parent may revoke it at any time.
    The rows are the log: a revoked grant keeps who revoked it and when."""

    school = models.ForeignKey(School, models.CASCADE, verbose_name=_("school"))
    student = models.ForeignKey(
        Student, models.CASCADE, related_name="trusted_persons", verbose_name=_("student")
    )
    parent = models.ForeignKey(
        Parent, models.CASCADE, related_name="trusted_grants", verbose_name=_("parent")
    )
    user = models.ForeignKey(
        User, models.CASCADE, related_name="trusted_grants", verbose_name=_("account")
    )
    full_name = models.CharField(_("full name"), max_length=300)
    valid_until = models.DateField(_("valid until"))
    granted_by = models.ForeignKey(
        User, models.PROTECT, related_name="+", verbose_name=_("granted by")
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    revoked_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("revoked by")
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("trusted person")
        verbose_name_plural = _("trusted persons")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student", "user"],
                condition=Q(revoked_at__isnull=True),
                name="trusted_one_open_grant",
            ),
            models.CheckConstraint(
                name="trusted_revocation_complete",
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["user", "valid_until"], name="trusted_by_user")]

    def __str__(self):
        return f"{self.full_name} → {self.student}"

    def is_active_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and day <= self.valid_until
