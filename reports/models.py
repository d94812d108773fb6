"""Reports generated from the journal: the weekly report for parents (R-NOT-1) and the
monthly printed reports for parents who refused electronic access (R-NOT-2)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Student
from schedule.models import SchoolClass, SchoolOwned

User = settings.AUTH_USER_MODEL


def report_path(instance, filename):
    return f"reports/{instance.school_id}/{filename}"


class ParentReport(SchoolOwned):
    """One student's weekly report (marks, averages and absences per subject), a PDF sent
    to his parents in the class teacher's name. One per student and week: a job that runs
    again finds it and sends nothing twice."""

    student = models.ForeignKey(
        Student, models.CASCADE, related_name="parent_reports", verbose_name=_("student")
    )
    school_class = models.ForeignKey(
        SchoolClass, models.CASCADE, related_name="parent_reports", verbose_name=_("class")
    )
    week_start = models.DateField(_("week from"))
    week_end = models.DateField(_("week until"))
    class_teacher = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("from")
    )
    file = models.FileField(_("PDF"), upload_to=report_path, max_length=300)
    created_at = models.DateTimeField(_("made at"))
    # how many parents got it electronically (0: only the printed batch)
    sent_to = models.PositiveSmallIntegerField(_("sent to parents"), default=0)

    class Meta:
        verbose_name = _("weekly parent report")
        verbose_name_plural = _("weekly parent reports")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student", "week_start"], name="parent_report_unique"
            ),
            models.CheckConstraint(
                name="parent_report_week_ordered", condition=Q(week_end__gte=models.F("week_start"))
            ),
        ]
        indexes = [
            models.Index(fields=["school_class", "week_start"], name="parent_report_by_class")
        ]

    def __str__(self):
        return f"{self.student} {self.week_start:%d.%m.%Y}"


class PrintBatch(SchoolOwned):
    """A month's printed reports of one class, for the parents who refused electronic
    access (R-NOT-2): one PDF the class teacher prints and hands out."""

    school_class = models.ForeignKey(
        SchoolClass, models.CASCADE, related_name="print_batches", verbose_name=_("class")
    )
    month = models.DateField(_("month"), help_text=_("the first day of the month"))
    first_day = models.DateField(_("from"))
    last_day = models.DateField(_("until"))
    students = models.ManyToManyField(Student, related_name="+", verbose_name=_("students"))
    file = models.FileField(_("PDF"), upload_to=report_path, max_length=300)
    created_at = models.DateTimeField(_("made at"))
    printed_at = models.DateTimeField(_("printed at"), null=True, blank=True)
    printed_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("printed by")
    )

    class Meta:
        verbose_name = _("printed reports of a month")
        verbose_name_plural = _("printed reports of a month")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_class", "month"], name="print_batch_unique"
            ),
        ]

    def __str__(self):
        return f"{self.school_class} {self.month:%m.%Y}"
