"""The weekly timetable (R-TT-1), the dated lessons generated from it (R-TT-2) with their
replacements and cancellations (R-TT-3) and planned control works (R-TT-5), and the
exceptions of individual curricula (R-STR-7)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import DatedRange, Student

from .structure import (
    AcademicYear,
    Group,
    Room,
    SchoolClass,
    SchoolOwned,
    Subject,
    open_dates_ordered,
)


class Weekday(models.IntegerChoices):
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")


class TimetableEntry(SchoolOwned, DatedRange):
    """One cell of a class's weekly timetable, valid over a range of dates: a change from a
    date ends the old entry the day before and opens a new one (R-TT-4)."""

    year = models.ForeignKey(AcademicYear, models.RESTRICT, verbose_name=_("academic year"))
    school_class = models.ForeignKey(SchoolClass, models.RESTRICT, verbose_name=_("class"))
    group = models.ForeignKey(Group, models.RESTRICT, verbose_name=_("group"))
    subject = models.ForeignKey(Subject, models.RESTRICT, verbose_name=_("subject"))
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.RESTRICT,
        related_name="timetable_entries",
        verbose_name=_("teacher"),
    )
    room = models.ForeignKey(Room, models.RESTRICT, null=True, blank=True, verbose_name=_("room"))
    weekday = models.PositiveSmallIntegerField(_("day of the week"), choices=Weekday)
    number = models.PositiveSmallIntegerField(
        _("lesson number"), validators=[MinValueValidator(0), MaxValueValidator(12)]
    )
    # copied from the class's bell schedule, so that clashes between shifts and schedules
    # are found by time, not by lesson number
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    created_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("timetable entry")
        verbose_name_plural = _("weekly timetable")
        default_related_name = "timetable_entries"
        ordering = ["school_class", "weekday", "number", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "group", "weekday", "number", "starts_on"],
                name="entry_unique_slot",
            ),
            open_dates_ordered("entry_dates_ordered"),
            models.CheckConstraint(
                name="entry_times_ordered", condition=Q(ends_at__gt=F("starts_at"))
            ),
            models.CheckConstraint(
                name="entry_weekday_range", condition=Q(weekday__gte=1, weekday__lte=6)
            ),
        ]
        indexes = [
            models.Index(fields=["school", "weekday", "starts_at"], name="entry_by_time"),
            models.Index(fields=["school_class", "starts_on"], name="entry_by_class"),
        ]

    def __str__(self):
        return f"{self.school_class}, {self.get_weekday_display()}, {self.number}: {self.subject}"


class Lesson(SchoolOwned):
    """A dated lesson of a course (group × subject), generated from the weekly timetable
    (R-TT-2). The deputy may give it a substitute, another room, or cancel it (R-TT-3)."""

    date = models.DateField(_("date"))
    number = models.PositiveSmallIntegerField(_("lesson number"))
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"))
    school_class = models.ForeignKey(SchoolClass, models.RESTRICT, verbose_name=_("class"))
    group = models.ForeignKey(Group, models.RESTRICT, verbose_name=_("group"))
    subject = models.ForeignKey(Subject, models.RESTRICT, verbose_name=_("subject"))
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.RESTRICT,
        related_name="lessons",
        verbose_name=_("teacher"),
    )
    room = models.ForeignKey(Room, models.RESTRICT, null=True, blank=True, verbose_name=_("room"))
    entry = models.ForeignKey(
        TimetableEntry,
        models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("timetable entry"),
    )
    # R-TT-3
    substitute = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.RESTRICT,
        null=True,
        blank=True,
        related_name="substituted_lessons",
        verbose_name=_("substitute"),
    )
    substitute_same_subject = models.BooleanField(
        _("replacement by the same subject"),
        null=True,
        blank=True,
        help_text=_("Whether the substitute teaches this subject himself (equivalence)."),
    )
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    change_reason = models.CharField(_("reason of the change"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)
    # R-TT-5
    control_work = models.CharField(
        _("control work"),
        max_length=200,
        blank=True,
        help_text=_("Empty when no control work is planned for the lesson."),
    )

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        default_related_name = "lessons"
        ordering = ["date", "starts_at", "school_class", "group"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "group", "date", "number"], name="lesson_unique_slot"
            ),
            models.CheckConstraint(
                name="lesson_times_ordered", condition=Q(ends_at__gt=F("starts_at"))
            ),
            models.CheckConstraint(
                name="lesson_substitute_not_teacher",
                condition=Q(substitute__isnull=True) | ~Q(substitute=F("teacher")),
            ),
            models.CheckConstraint(
                name="lesson_change_has_reason",
                condition=(Q(substitute__isnull=True) & Q(is_cancelled=False))
                | ~Q(change_reason=""),
            ),
        ]
        indexes = [
            models.Index(fields=["school", "date", "school_class"], name="lesson_by_class"),
            models.Index(fields=["teacher", "date"], name="lesson_by_teacher"),
            models.Index(
                fields=["substitute", "date"],
                condition=Q(substitute__isnull=False),
                name="lesson_by_substitute",
            ),
            models.Index(fields=["room", "date"], name="lesson_by_room"),
            models.Index(fields=["group", "subject", "date"], name="lesson_by_course"),
        ]

    def __str__(self):
        return f"{self.date:%d.%m.%Y} {self.number}. {self.school_class} — {self.subject}"

    @property
    def acting_teacher_id(self):
        """Who gives the lesson: the substitute when there is one."""
        return self.substitute_id or self.teacher_id


class IndividualCurriculum(SchoolOwned, DatedRange):
    """An individual curriculum (R-STR-7): a student exempted from a course of his class,
    or attached to a course he would not otherwise attend (home schooling, family
    education, an individual course), for a range of dates and on a documented basis."""

    class Kind(models.TextChoices):
        EXEMPT = "exempt", _("exempted from the course")
        ATTACH = "attach", _("attached to the course")

    student = models.ForeignKey(
        Student,
        models.CASCADE,
        related_name="individual_curricula",
        verbose_name=_("student"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    group = models.ForeignKey(Group, models.CASCADE, verbose_name=_("group"))
    subject = models.ForeignKey(Subject, models.RESTRICT, verbose_name=_("subject"))
    basis = models.CharField(
        _("basis"),
        max_length=300,
        help_text=_("The order or document, e.g. «order no. 12 of 01.09, medical certificate»."),
    )

    class Meta:
        verbose_name = _("individual curriculum")
        verbose_name_plural = _("individual curricula")
        default_related_name = "individual_curricula"
        ordering = ["student__last_name", "starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student", "group", "subject", "starts_on"],
                name="individual_unique",
            ),
            open_dates_ordered("individual_dates_ordered"),
        ]
        indexes = [
            models.Index(fields=["group", "subject", "starts_on"], name="individual_by_course")
        ]

    def __str__(self):
        return f"{self.student} — {self.get_kind_display()}: {self.subject}"

    def clean(self):
        super().clean()
        group = getattr(self, "group", None)
        subject = getattr(self, "subject", None)
        self.same_school(getattr(self, "student", None), group, subject)
        if group and subject and group.subject_id and group.subject_id != subject.pk:
            raise ValidationError(
                {
                    "subject": _("This subgroup is formed for %(subject)s.")
                    % {"subject": group.subject}
                }
            )
