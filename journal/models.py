"""The class journal: what happened at each dated lesson (topic, homework, mark columns),
marks and attendance per student, absence reasons, period and final marks, the teacher's
lesson plan (КТП), correction requests and the tamper-evident history of every change."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import School, Student, WorkType
from schedule.models import AcademicYear, Group, Lesson, ReportingPeriod, SchoolOwned, Subject

User = settings.AUTH_USER_MODEL


class LessonRecord(SchoolOwned):
    """The teacher's record of a dated lesson (R-LES-1..3): its topic, the homework given at
    it (shown for the *next* lesson of the course, R-LES-2) and the work types of its mark
    columns. A lesson without a record has the school's first work type as its one column."""

    # the lesson is the key: a one-to-one field's own unique index would not start with
    # the school (R-TEN-1, Citus-ready)
    lesson = models.OneToOneField(
        Lesson, models.CASCADE, primary_key=True, related_name="record", verbose_name=_("lesson")
    )
    topic = models.CharField(_("topic"), max_length=500, blank=True)
    plan_item = models.ForeignKey(
        "PlanItem",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="records",
        verbose_name=_("plan item"),
    )
    # a topic filled from the plan is a proposal until the teacher confirms or edits it
    topic_confirmed = models.BooleanField(_("topic confirmed"), default=False)
    homework = models.TextField(_("homework"), blank=True)
    homework_pages = models.CharField(_("pages"), max_length=100, blank=True)
    homework_exercises = models.CharField(_("exercises"), max_length=100, blank=True)
    # ids of the work types of the lesson's mark columns, in order (R-LES-3); kept on the
    # record so that the grid reads a lesson and its columns in one query
    work_type_ids = models.JSONField(_("mark columns"), default=list, blank=True)
    updated_by = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("lesson record")
        verbose_name_plural = _("lesson records")
        constraints = [
            models.UniqueConstraint(fields=["school", "lesson"], name="record_unique_lesson"),
        ]

    def __str__(self):
        return self.topic or str(self.lesson)


def homework_upload_to(instance, filename):
    return f"homework/{instance.school_id}/{instance.record.lesson_id}/{filename}"


class HomeworkFile(SchoolOwned):
    record = models.ForeignKey(
        LessonRecord, models.CASCADE, related_name="files", verbose_name=_("lesson record")
    )
    file = models.FileField(_("file"), upload_to=homework_upload_to, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size, bytes"))
    uploaded_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("homework file")
        verbose_name_plural = _("homework files")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.name


class Mark(SchoolOwned):
    """A current mark (R-MRK-1..3) in one cell: lesson × student × work type × part. A work
    type with two marks (R-MRK-2) has parts 1 (content) and 2 (literacy)."""

    # school and student need no index of their own: the unique cell and mark_by_student
    # start with them, and every index is paid for on each mark saved
    school = models.ForeignKey(School, models.CASCADE, db_index=False, verbose_name=_("school"))
    lesson = models.ForeignKey(Lesson, models.RESTRICT, related_name="marks")
    student = models.ForeignKey(Student, models.RESTRICT, db_index=False, related_name="marks")
    work_type = models.ForeignKey(WorkType, models.RESTRICT, related_name="marks")
    part = models.PositiveSmallIntegerField(_("part"), default=1)
    value = models.CharField(_("mark"), max_length=4)
    # 1..5 for averages; empty for зачёт/незачёт
    points = models.PositiveSmallIntegerField(_("points"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    # R-MRK-6: the real time of entry, never the lesson's date
    created_at = models.DateTimeField(_("entered at"))
    created_by = models.ForeignKey(User, models.RESTRICT, related_name="+")
    updated_at = models.DateTimeField(_("changed at"))
    updated_by = models.ForeignKey(User, models.RESTRICT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "lesson", "student", "work_type", "part"],
                name="mark_unique_cell",
            ),
            models.CheckConstraint(name="mark_part_1_or_2", condition=Q(part__in=[1, 2])),
            models.CheckConstraint(
                name="mark_points_range",
                condition=Q(points__isnull=True) | Q(points__gte=1, points__lte=5),
            ),
        ]
        indexes = [models.Index(fields=["student", "lesson"], name="mark_by_student")]

    def __str__(self):
        return self.value


class Attendance(SchoolOwned):
    """An absence or a lateness at one lesson (R-ATT-1, R-ATT-2). Present is no row."""

    class Kind(models.TextChoices):
        ABSENT = "absent", _("absent")
        LATE = "late", _("late")

    school = models.ForeignKey(School, models.CASCADE, db_index=False, verbose_name=_("school"))
    lesson = models.ForeignKey(Lesson, models.RESTRICT, related_name="attendance")
    student = models.ForeignKey(Student, models.RESTRICT, db_index=False, related_name="attendance")
    kind = models.CharField(_("kind"), max_length=6, choices=Kind)
    created_at = models.DateTimeField(_("entered at"))
    created_by = models.ForeignKey(User, models.RESTRICT, related_name="+")
    updated_at = models.DateTimeField(_("changed at"))
    updated_by = models.ForeignKey(User, models.RESTRICT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    # an absence pre-filled from a parent's notice (R-ATT-4) stays `pending` until the
    # teacher confirms it at the lesson or removes it because the child came
    notice = models.ForeignKey(
        "AbsenceNotice",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="absences",
        verbose_name=_("parent's notice"),
    )
    pending = models.BooleanField(_("awaiting the teacher"), default=False)

    class Meta:
        verbose_name = _("absence or lateness")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "lesson", "student"], name="attendance_unique_cell"
            ),
            models.CheckConstraint(
                name="attendance_pending_has_notice",
                condition=Q(pending=False) | Q(notice__isnull=False, kind="absent"),
            ),
        ]
        indexes = [models.Index(fields=["student", "lesson"], name="attendance_by_student")]

    def __str__(self):
        return self.get_kind_display()


class AttendanceCheck(SchoolOwned):
    """The teacher took the register at this lesson (R-ATT-1, R-ATT-2). Present is no
    Attendance row, so a lesson where everybody came needs this row to show that
    attendance was marked; the first attendance cell saved at the lesson writes it too.
    `taken_at` is the first time: the deadline jobs compare it with the deadline."""

    lesson = models.OneToOneField(
        Lesson,
        models.CASCADE,
        primary_key=True,
        related_name="attendance_check",
        verbose_name=_("lesson"),
    )
    taken_at = models.DateTimeField(_("attendance marked at"))
    taken_by = models.ForeignKey(User, models.RESTRICT, related_name="+", verbose_name=_("by"))

    class Meta:
        verbose_name = _("attendance check")
        verbose_name_plural = _("attendance checks")
        constraints = [
            models.UniqueConstraint(fields=["school", "lesson"], name="attendance_check_unique"),
        ]

    def __str__(self):
        return f"{self.lesson_id}: {self.taken_at:%Y-%m-%d %H:%M}"


class AbsenceNotice(SchoolOwned):
    """A parent's advance notice that the child will miss days or some lessons (R-ATT-4).
    Filing it pre-fills pending absences at the lessons it covers; the class teacher sees
    it on his attendance page and decides the reason of the days."""

    class Reason(models.TextChoices):
        ILLNESS = "illness", _("illness")
        FAMILY = "family", _("family circumstances")
        MEDICAL = "medical", _("doctor's appointment")
        COMPETITION = "event", _("competition or olympiad")
        OTHER = "other", _("other")

    student = models.ForeignKey(Student, models.RESTRICT, related_name="absence_notices")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    # empty: the whole days; otherwise the lesson numbers, e.g. "3,4"
    lesson_numbers = models.CharField(_("lessons"), max_length=40, blank=True)
    reason = models.CharField(_("reason"), max_length=8, choices=Reason)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    created_by = models.ForeignKey(User, models.RESTRICT, related_name="+")
    created_at = models.DateTimeField(_("sent at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("absence notice")
        verbose_name_plural = _("absence notices")
        constraints = [
            models.CheckConstraint(
                name="absence_notice_dates_ordered", condition=Q(ends_on__gte=models.F("starts_on"))
            ),
        ]
        indexes = [
            models.Index(fields=["school", "student", "starts_on"], name="notice_by_student"),
        ]

    def __str__(self):
        return f"{self.student} {self.starts_on:%d.%m}–{self.ends_on:%d.%m}"

    @property
    def numbers(self) -> set[int]:
        return {int(n) for n in self.lesson_numbers.split(",") if n.strip()}


class AbsenceReason(SchoolOwned):
    """Why a student missed a school day, set by the class teacher (R-ATT-3)."""

    class Reason(models.TextChoices):
        ILLNESS = "illness", _("illness")
        VALID = "valid", _("valid reason")
        INVALID = "invalid", _("without a valid reason")

    student = models.ForeignKey(Student, models.RESTRICT, related_name="absence_reasons")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=8, choices=Reason)
    note = models.CharField(_("note"), max_length=300, blank=True)
    set_by = models.ForeignKey(User, models.RESTRICT, related_name="+")
    set_at = models.DateTimeField(_("set at"))

    class Meta:
        verbose_name = _("absence reason")
        verbose_name_plural = _("absence reasons")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student", "date"], name="absence_reason_unique_day"
            ),
        ]

    def __str__(self):
        return self.get_reason_display()

    @property
    def is_valid(self) -> bool:
        return self.reason != self.Reason.INVALID


class FinalKind(models.TextChoices):
    PERIOD = "period", _("period")
    YEAR = "year", _("year")
    EXAM = "exam", _("exam")
    FINAL = "final", _("final")


class PeriodMark(SchoolOwned):
    """A period, year, exam or final mark of a student in a subject (R-FIN-1, R-FIN-2)."""

    student = models.ForeignKey(Student, models.RESTRICT, related_name="period_marks")
    subject = models.ForeignKey(Subject, models.RESTRICT, related_name="period_marks")
    year = models.ForeignKey(AcademicYear, models.RESTRICT, related_name="period_marks")
    kind = models.CharField(_("kind"), max_length=6, choices=FinalKind)
    period = models.ForeignKey(
        ReportingPeriod, models.RESTRICT, null=True, blank=True, related_name="marks"
    )
    # the course whose journal the mark was set in
    group = models.ForeignKey(Group, models.RESTRICT, related_name="period_marks")
    value = models.CharField(_("mark"), max_length=4)
    points = models.PositiveSmallIntegerField(_("points"), null=True, blank=True)
    set_at = models.DateTimeField(_("set at"))
    set_by = models.ForeignKey(User, models.RESTRICT, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("period or final mark")
        verbose_name_plural = _("period and final marks")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "student", "subject", "period"],
                condition=Q(kind="period"),
                name="periodmark_unique_period",
            ),
            models.UniqueConstraint(
                fields=["school", "student", "subject", "year", "kind"],
                condition=~Q(kind="period"),
                name="periodmark_unique_final",
            ),
            models.CheckConstraint(
                name="periodmark_period_iff_kind",
                condition=Q(kind="period", period__isnull=False)
                | (~Q(kind="period") & Q(period__isnull=True)),
            ),
        ]

    def __str__(self):
        return self.value


class CoursePlan(SchoolOwned):
    """The teacher's calendar-thematic plan (КТП) of a course for a year (R-PLAN-1)."""

    year = models.ForeignKey(AcademicYear, models.CASCADE, related_name="course_plans")
    group = models.ForeignKey(Group, models.CASCADE, related_name="plans")
    subject = models.ForeignKey(Subject, models.CASCADE, related_name="plans")
    imported_by = models.ForeignKey(User, models.SET_NULL, null=True, related_name="+")
    imported_at = models.DateTimeField(_("loaded at"))
    file_name = models.CharField(_("file"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("lesson plan (КТП)")
        verbose_name_plural = _("lesson plans (КТП)")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "year", "group", "subject"], name="plan_unique_course"
            ),
        ]

    def __str__(self):
        return f"{self.group} — {self.subject}"


class PlanItem(SchoolOwned):
    """One planned topic; `hours` of them fill that many consecutive lessons (R-PLAN-2)."""

    plan = models.ForeignKey(CoursePlan, models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField(_("number"))
    topic = models.CharField(_("topic"), max_length=500)
    hours = models.PositiveSmallIntegerField(_("hours"), default=1)
    work_type = models.ForeignKey(
        WorkType, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    homework = models.TextField(_("planned homework"), blank=True)

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "plan", "number"], name="planitem_unique"),
            models.CheckConstraint(name="planitem_hours_positive", condition=Q(hours__gte=1)),
        ]

    def __str__(self):
        return f"{self.number}. {self.topic}"


class CorrectionRequest(SchoolOwned):
    """A change to a locked cell asked for by the teacher and decided by a deputy (R-MRK-6)."""

    class Kind(models.TextChoices):
        MARK = "mark", _("mark")
        ATTENDANCE = "attendance", _("attendance")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    lesson = models.ForeignKey(Lesson, models.RESTRICT, related_name="correction_requests")
    student = models.ForeignKey(Student, models.RESTRICT, related_name="+")
    work_type = models.ForeignKey(
        WorkType, models.RESTRICT, null=True, blank=True, related_name="+"
    )
    part = models.PositiveSmallIntegerField(default=1)
    old_value = models.CharField(_("current value"), max_length=4, blank=True)
    new_value = models.CharField(_("new value"), max_length=4, blank=True)
    new_comment = models.CharField(_("comment"), max_length=300, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=8, choices=Status, default=Status.PENDING)
    requested_by = models.ForeignKey(User, models.RESTRICT, related_name="+")
    requested_at = models.DateTimeField(_("asked at"))
    decided_by = models.ForeignKey(User, models.RESTRICT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("correction request")
        verbose_name_plural = _("correction requests")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(name="correction_has_reason", condition=~Q(reason="")),
            models.CheckConstraint(
                name="correction_decided",
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
            ),
        ]
        indexes = [
            models.Index(
                fields=["school", "status"],
                condition=Q(status="pending"),
                name="correction_pending",
            )
        ]

    def __str__(self):
        return f"{self.lesson} — {self.student}: {self.old_value} → {self.new_value}"


class ChainHead(models.Model):
    """The last entry of a school's history chain; locking it orders the school's writes."""

    school = models.OneToOneField(School, models.CASCADE, primary_key=True, related_name="+")
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self):
        return f"{self.school_id}: {self.seq}"


class JournalChange(models.Model):
    """One append-only entry of the journal's history (R-MRK-6): who, when, from where,
    old → new and why. `hash` is sha256 of the previous entry's hash and this entry's
    content, so an edited or deleted row breaks the chain of its school."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")

    class Subject(models.TextChoices):
        MARK = "mark", _("mark")
        ATTENDANCE = "attendance", _("attendance")
        TOPIC = "topic", _("topic")
        HOMEWORK = "homework", _("homework")
        PERIOD_MARK = "period_mark", _("period mark")
        ABSENCE_REASON = "reason", _("absence reason")

    # plain ids, not foreign keys: history outlives and never blocks what it describes
    school_id = models.BigIntegerField(_("school"))
    seq = models.PositiveBigIntegerField(_("number"))
    at = models.DateTimeField(_("when"))
    actor_id = models.BigIntegerField(_("who"))
    actor_name = models.CharField(_("who"), max_length=150)
    ip = models.GenericIPAddressField(_("from"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=6, choices=Action)
    subject_kind = models.CharField(_("what"), max_length=12, choices=Subject)
    object_id = models.BigIntegerField()
    lesson_id = models.BigIntegerField(null=True, blank=True)
    lesson_date = models.DateField(_("date"), null=True, blank=True)
    school_class_id = models.BigIntegerField(null=True, blank=True)
    course_subject_id = models.BigIntegerField(null=True, blank=True)
    teacher_id = models.BigIntegerField(null=True, blank=True)
    student_id = models.BigIntegerField(null=True, blank=True)
    label = models.CharField(_("where"), max_length=300)
    old = models.CharField(_("was"), max_length=600, blank=True)
    new = models.CharField(_("became"), max_length=600, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("journal change")
        verbose_name_plural = _("journal history")
        ordering = ["school_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["school_id", "seq"], name="change_unique_seq"),
        ]
        indexes = [
            models.Index(fields=["school_id", "at"], name="change_by_time"),
            models.Index(fields=["school_id", "teacher_id", "at"], name="change_by_teacher"),
            models.Index(fields=["school_id", "school_class_id", "at"], name="change_by_class"),
        ]

    def __str__(self):
        return f"{self.seq}: {self.label}"
