"""Communication (R-NOT-4, R-NOT-5): notifications (a row first, e-mail second), message
threads with attachments, class news and the school events calendar."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import School, Student
from schedule.models import Lesson, ReportingPeriod, SchoolClass, SchoolOwned, Subject

User = settings.AUTH_USER_MODEL


class Kind(models.TextChoices):
    """What a notification is about; each user picks a channel per kind."""

    MARK_NEW = "mark_new", _("new mark")
    MARK_CHANGED = "mark_changed", _("changed mark")
    ABSENCE = "absence", _("absence")
    HOMEWORK = "homework", _("homework")
    MESSAGE = "message", _("message")
    NEWS = "news", _("news and events")
    REMINDER = "reminder", _("deadline reminders")
    REPORT = "report", _("progress reports and forecasts")


class Channel(models.TextChoices):
    APP = "app", _("in the app")
    EMAIL = "email", _("in the app and by e-mail")
    OFF = "off", _("off")


# what a user gets for a kind he has not chosen a channel for
DEFAULT_CHANNELS = {
    Kind.MARK_NEW: Channel.APP,
    Kind.MARK_CHANGED: Channel.EMAIL,
    Kind.ABSENCE: Channel.EMAIL,
    Kind.HOMEWORK: Channel.APP,
    Kind.MESSAGE: Channel.EMAIL,
    Kind.NEWS: Channel.APP,
    Kind.REMINDER: Channel.APP,
    # R-NOT-1: the weekly report goes by e-mail with its PDF unless the parent says no
    Kind.REPORT: Channel.EMAIL,
}


class Notification(models.Model):
    """One notice to one user. Written in the transaction of the change it is about; the
    e-mail, when the user wants one, is delivered afterwards and retried until it goes."""

    class Email(models.TextChoices):
        NONE = "none", _("not wanted")
        PENDING = "pending", _("waiting")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    school = models.ForeignKey(School, models.CASCADE, verbose_name=_("school"))
    user = models.ForeignKey(
        User, models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=15, choices=Kind)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # a notice sent in a person's name (the weekly report: the class teacher, R-NOT-1); the
    # e-mail carries his name and answers go to him
    sender = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("from")
    )
    # a file the e-mail carries (the report's PDF); in the app the link leads to it
    attachment = models.FileField(_("attachment"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email = models.CharField(_("e-mail"), max_length=8, choices=Email, default=Email.NONE)
    # quiet hours: the e-mail waits until then
    email_not_before = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "created_at"], name="notification_by_user"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(
                fields=["email_not_before"],
                condition=Q(email="pending"),
                name="notification_email_due",
            ),
        ]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """A user's channel for one kind (R-NOT-5)."""

    user = models.ForeignKey(User, models.CASCADE, related_name="notification_preferences")
    kind = models.CharField(_("kind"), max_length=15, choices=Kind)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.get_channel_display()}"


class QuietHours(models.Model):
    """No e-mail between `starts_at` and `ends_at` (local time of the notice's school);
    a window may cross midnight (22:00–07:00)."""

    user = models.OneToOneField(User, models.CASCADE, related_name="quiet_hours")
    starts_at = models.TimeField(_("from"))
    ends_at = models.TimeField(_("until"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="quiet_hours_not_empty", condition=~Q(starts_at=models.F("ends_at"))
            )
        ]

    def __str__(self):
        return f"{self.starts_at:%H:%M}–{self.ends_at:%H:%M}"

    def covers(self, moment: dt.time) -> bool:
        if self.starts_at < self.ends_at:
            return self.starts_at <= moment < self.ends_at
        return moment >= self.starts_at or moment < self.ends_at


class Thread(SchoolOwned):
    """A conversation between people with a real relation: a parent or student and the
    child's teachers, class teacher or administration (R-NOT-4)."""

    subject = models.CharField(_("subject"), max_length=200)
    # the child the conversation is about, when there is one
    student = models.ForeignKey(
        Student, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("about")
    )
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("started at"))
    last_message_at = models.DateTimeField(_("last message at"))

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        default_related_name = "threads"

    def __str__(self):
        return self.subject


class ThreadMember(SchoolOwned):
    thread = models.ForeignKey(Thread, models.CASCADE, related_name="members")
    user = models.ForeignKey(User, models.CASCADE, related_name="thread_memberships")
    last_read_at = models.DateTimeField(null=True, blank=True)
    unread = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["school", "thread", "user"], name="thread_member_unique"
            )
        ]
        indexes = [
            models.Index(fields=["user", "school"], name="thread_member_by_user"),
        ]


class Message(SchoolOwned):
    thread = models.ForeignKey(Thread, models.CASCADE, related_name="messages")
    author = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("author"))
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["thread", "created_at"], name="message_by_thread")]


def attachment_path(instance, filename):
    return f"messages/{instance.school_id}/{instance.message_id}/{filename}"


class MessageAttachment(SchoolOwned):
    message = models.ForeignKey(Message, models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))


class NewsPost(SchoolOwned):
    """An item of a class's news feed, kept by the class teacher."""

    school_class = models.ForeignKey(SchoolClass, models.CASCADE, verbose_name=_("class"))
    author = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("author"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"))
    updated_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("class news")
        default_related_name = "news"
        indexes = [
            models.Index(fields=["school_class", "published_at"], name="news_by_class"),
        ]

    def __str__(self):
        return self.title


class SchoolEvent(SchoolOwned):
    """An event of the school calendar. A teacher proposes it; it is published once the
    administration approves it (R-NOT-4)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("awaiting approval")
        APPROVED = "approved", _("published")
        REJECTED = "rejected", _("rejected")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    # empty: the whole school
    classes = models.ManyToManyField(
        SchoolClass, blank=True, related_name="events", verbose_name=_("classes")
    )
    status = models.CharField(_("status"), max_length=8, choices=Status)
    proposed_by = models.ForeignKey(
        User, models.PROTECT, related_name="+", verbose_name=_("proposed by")
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events calendar")
        default_related_name = "events"
        indexes = [models.Index(fields=["school", "starts_at"], name="event_by_school")]
        constraints = [
            models.CheckConstraint(
                name="event_ends_after_start",
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
            ),
            models.CheckConstraint(
                name="event_decision_complete",
                condition=Q(status="proposed", decided_at__isnull=True)
                | Q(~Q(status="proposed"), decided_at__isnull=False, decided_by__isnull=False),
            ),
        ]

    def __str__(self):
        return self.title


class DeadlineKind(models.TextChoices):
    """The deadline jobs (issue 6). Each runs at most once per school and local date."""

    FIRST_ATTENDANCE = "first_attendance", _("first lesson's attendance (teacher)")
    FIRST_ATTENDANCE_DEPUTY = "first_attendance_deputy", _("first lesson's attendance (deputy)")
    ABSENCE_REASONS = "absence_reasons", _("reasons of today's absences")
    ABSENCE_DIGEST = "absence_digest", _("the day's absences to the class teacher")
    LESSON_CONTENT = "lesson_content", _("topic, attendance and homework (teacher)")
    LESSON_CONTENT_DEPUTY = "lesson_content_deputy", _("unfilled lessons (deputy)")
    RECONCILIATION = "reconciliation", _("Monday reconciliation of absences")
    PARENT_REPORT = "parent_report", _("weekly parent report")
    PRINT_BATCH = "print_batch", _("monthly printed reports")
    FAILING = "failing", _("failing students")
    FORECAST = "forecast", _("forecast of period marks")
    PERIOD_MARKS = "period_marks", _("missing period marks (teacher)")
    PERIOD_MARKS_DEPUTY = "period_marks_deputy", _("missing period marks (deputy)")


class DeadlineRun(models.Model):
    """One deadline job for one school and local date. The unique key makes the job run
    once, whatever ticks, duplicate messages or restarts of the beat happen; the row is
    finished in the same transaction as the notices the job writes."""

    school = models.ForeignKey(School, models.CASCADE, verbose_name=_("school"))
    kind = models.CharField(_("deadline"), max_length=30, choices=DeadlineKind)
    date = models.DateField(_("date"))
    due_at = models.DateTimeField(_("due at"))
    created_at = models.DateTimeField(_("found at"))
    # created well after due_at: the beat or the worker was down (catch-up)
    late = models.BooleanField(_("ran late"), default=False)
    queued_at = models.DateTimeField(_("queued at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    notices = models.PositiveIntegerField(_("notices"), default=0)
    error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("deadline run")
        verbose_name_plural = _("deadline runs")
        constraints = [
            models.UniqueConstraint(fields=["school", "kind", "date"], name="deadline_run_unique"),
        ]
        indexes = [
            models.Index(
                fields=["queued_at"],
                condition=Q(finished_at__isnull=True),
                name="deadline_run_unfinished",
            ),
            models.Index(fields=["date"], name="deadline_run_by_date"),
        ]

    def __str__(self):
        return f"{self.school_id} {self.kind} {self.date}"


class DeadlineFinding(SchoolOwned):
    """Something a deadline job found missing: the next check (the deputy's) and the
    deputy's status page read these rows. Whether it has been put right since is read
    from the journal (notifications.deadlines.findings)."""

    class What(models.TextChoices):
        ATTENDANCE = "attendance", _("attendance")
        TOPIC = "topic", _("topic")
        HOMEWORK = "homework", _("homework")
        REASON = "reason", _("absence reason")
        PERIOD_MARK = "period_mark", _("period mark")

    run = models.ForeignKey(DeadlineRun, models.CASCADE, related_name="findings")
    what = models.CharField(_("what"), max_length=12, choices=What)
    teacher = models.ForeignKey(
        User, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("teacher")
    )
    school_class = models.ForeignKey(
        SchoolClass,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("class"),
    )
    lesson = models.ForeignKey(
        Lesson, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("lesson")
    )
    student = models.ForeignKey(
        Student, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("student")
    )
    subject = models.ForeignKey(
        Subject, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("subject")
    )
    period = models.ForeignKey(
        ReportingPeriod,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("period"),
    )
    date = models.DateField(_("date"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline finding")
        verbose_name_plural = _("deadline findings")
        indexes = [models.Index(fields=["run", "what"], name="deadline_finding_by_run")]

    def __str__(self):
        return f"{self.run_id} {self.what}"
