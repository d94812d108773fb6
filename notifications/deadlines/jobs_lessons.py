"""Lessons left unfilled (R-MRK-5, R-LES-1, R-LES-2): at the school's deadline for the
day's journal (16:00 or 21:00, `current_marks_deadline`) each teacher is reminded of his
lessons of the day that were conducted (not cancelled, begun before the deadline) and lack
a topic, the register or the homework; the next morning the deputy gets those still not
put right.

- Who: the acting teacher (the substitute when there is one, R-LES-4).
- Homework is not asked of grade 1 (no homework in the first grade).
- One DeadlineFinding per lesson and missing item: the deputy's check of the next morning
  and his status page read them, and whether they were put right since is read from the
  journal (findings.findings_open).

Cost, whatever the number of lessons and teachers: the teacher's job reads the settings and
the lessons with what they have (2 queries), writes the findings (1) and the notices (2);
the deputy's reads the earlier run and its findings (2), what was put right (3), writes
the copies (1) and the notice (2)."""

import datetime as dt
from collections import defaultdict

from django.conf import settings as django_settings
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from schedule.models import Lesson

from ..models import DeadlineFinding, DeadlineKind, DeadlineRun, Kind
from ..services.notices import Notice, notify_many
from .engine import deadline_job
from .findings import (
    HOMEWORK_GIVEN,
    attendance_taken,
    deputies,
    findings_copy,
    findings_open,
    records_with_files,
)

What = DeadlineFinding.What

# the order the missing items are named in
ITEMS = (What.TOPIC, What.ATTENDANCE, What.HOMEWORK)


def person_name(last: str | None, first: str | None, middle: str | None = "") -> str:
    """«Учителев У. П.» from the parts of a name."""
    initials = "".join(f"{p[0]}." for p in (first, middle) if p)
    return f"{last or ''} {initials}".strip()


def course_name(grade, letter, group_name, whole_class: bool) -> str:
    """«5А» for the whole class, «5А 1 группа» for a subgroup."""
    name = f"{grade}{letter}"
    return name if whole_class else f"{name} {group_name}"


def missing_text(items) -> str:
    """«no topic, no attendance» in the order of ITEMS."""
    names = {
        What.TOPIC: _("no topic"),
        What.ATTENDANCE: _("attendance not marked"),
        What.HOMEWORK: _("no homework"),
    }
    return ", ".join(names[w] for w in ITEMS if w in items)


def lesson_line(row: dict, items) -> str:
    return _("%(date)s lesson %(number)s, %(course)s, %(subject)s: %(missing)s") % {
        "date": f"{row['date']:%d.%m}",
        "number": row["number"],
        "course": course_name(
            row["school_class__grade"],
            row["school_class__letter"],
            row["group__name"],
            row["group__is_whole_class"],
        ),
        "subject": row["subject__name"],
        "missing": missing_text(items),
    }


def lesson_row(lesson: Lesson) -> dict:
    """The fields lesson_line reads, from a Lesson with its class, group and subject."""
    return {
        "date": lesson.date,
        "number": lesson.number,
        "school_class__grade": lesson.school_class.grade,
        "school_class__letter": lesson.school_class.letter,
        "group__name": lesson.group.name,
        "group__is_whole_class": lesson.group.is_whole_class,
        "subject__name": lesson.subject.name,
    }


def lesson_url(school, lesson_id: int) -> str:
    return reverse("journal_lesson", args=[school.slug, lesson_id])


def _homework_given() -> Exists:
    return Exists(records_with_files().filter(HOMEWORK_GIVEN, lesson=OuterRef("pk")))


LESSON_FIELDS = (
    "pk",
    "date",
    "number",
    "school_class_id",
    "school_class__grade",
    "school_class__letter",
    "group__name",
    "group__is_whole_class",
    "subject_id",
    "subject__name",
)


def lessons_unfilled(school, day: dt.date, deadline: dt.time) -> list[tuple[dict, list[str]]]:
    """The school's lessons of `day` conducted before `deadline` (local time), each with
    the items it lacks, for those lacking something (one query)."""
    rows = (
        Lesson.objects.filter(school=school, date=day, is_cancelled=False, starts_at__lt=deadline)
        .annotate(
            topic_text=Coalesce(F("record__topic"), Value("")),
            taken=attendance_taken(),
            homework_given=_homework_given(),
            acting_id=Coalesce(F("substitute_id"), F("teacher_id")),
            acting_last=Coalesce(F("substitute__last_name"), F("teacher__last_name")),
            acting_first=Coalesce(F("substitute__first_name"), F("teacher__first_name")),
            acting_middle=Coalesce(F("substitute__middle_name"), F("teacher__middle_name")),
        )
        .order_by("starts_at", "number", "school_class__grade", "school_class__letter", "group")
        .values(
            *LESSON_FIELDS,
            "topic_text",
            "taken",
            "homework_given",
            "acting_id",
            "acting_last",
            "acting_first",
            "acting_middle",
        )
    )
    found = []
    for row in rows:
        items = []
        if not row["topic_text"].strip():
            items.append(What.TOPIC)
        if not row["taken"]:
            items.append(What.ATTENDANCE)
        # no homework is given in the first grade
        if row["school_class__grade"] > 1 and not row["homework_given"]:
            items.append(What.HOMEWORK)
        if items:
            found.append((row, items))
    return found


@deadline_job(DeadlineKind.LESSON_CONTENT)
def lesson_content(run: DeadlineRun) -> int:
    """R-MRK-5, R-LES-2: remind each teacher of his conducted lessons of the day that lack
    a topic, the register or the homework."""
    school = run.school
    settings = school.settings
    with translation.override(django_settings.LANGUAGE_CODE):
        found = lessons_unfilled(school, run.date, settings.current_marks_deadline)
        if not found:
            return 0
        by_teacher: dict[int, list[tuple[dict, list[str]]]] = defaultdict(list)
        findings = []
        for row, items in found:
            by_teacher[row["acting_id"]].append((row, items))
            findings.extend(
                DeadlineFinding(
                    school=school,
                    run=run,
                    what=what,
                    teacher_id=row["acting_id"],
                    school_class_id=row["school_class_id"],
                    lesson_id=row["pk"],
                    subject_id=row["subject_id"],
                    date=run.date,
                )
                for what in items
            )
        DeadlineFinding.objects.bulk_create(findings)
        title = _("Lessons of %(date)s are not filled in") % {"date": f"{run.date:%d.%m.%Y}"}
        notices = []
        for teacher_id, lessons in by_teacher.items():
            lines = [lesson_line(row, items) for row, items in lessons]
            body = "\n".join(
                [_("Fill in the journal for these lessons:"), *lines]
                if len(lines) > 1
                else [_("Fill in the journal for this lesson:"), *lines]
            )
            notices.append(
                Notice([teacher_id], title, body, lesson_url(school, lessons[0][0]["pk"]))
            )
        return len(notify_many(school=school, kind=Kind.REMINDER, notices=notices))


def previous_run(run: DeadlineRun, kind: str, deputy_kind: str) -> DeadlineRun | None:
    """The latest finished run of `kind` of the school before the run's day that no earlier
    finished `deputy_kind` run has reported yet (one query): a deputy hears of a day once,
    even when the teacher's job of some day did not run."""
    reported = (
        DeadlineRun.objects.filter(
            school=run.school_id,
            kind=deputy_kind,
            date__lt=run.date,
            finished_at__isnull=False,
        )
        .order_by("-date")
        .values("date")[:1]
    )
    return (
        DeadlineRun.objects.filter(
            school=run.school_id, kind=kind, date__lt=run.date, finished_at__isnull=False
        )
        .filter(Q(date__gte=Coalesce(Subquery(reported), Value(dt.date.min))))
        .order_by("-date")
        .first()
    )


@deadline_job(DeadlineKind.LESSON_CONTENT_DEPUTY)
def lesson_content_deputy(run: DeadlineRun) -> int:
    """R-MRK-5, R-LES-2: the next morning, the lessons still unfilled go to the deputy,
    by teacher."""
    school = run.school
    with translation.override(django_settings.LANGUAGE_CODE):
        earlier = previous_run(run, DeadlineKind.LESSON_CONTENT, DeadlineKind.LESSON_CONTENT_DEPUTY)
        if earlier is None:
            return 0
        findings = list(
            DeadlineFinding.objects.filter(run=earlier)
            .select_related("teacher", "lesson__school_class", "lesson__group", "lesson__subject")
            .order_by("teacher__last_name", "teacher__first_name", "teacher", "lesson__starts_at")
        )
        still = findings_open(findings)
        open_ = [f for f in findings if f.pk in still]
        if not open_:
            return 0
        findings_copy(run, open_)
        teachers: dict[int, dict[int, tuple[dict, list[str]]]] = {}
        names: dict[int, str] = {}
        for f in open_:
            teacher = f.teacher
            names[f.teacher_id] = (
                person_name(teacher.last_name, teacher.first_name, teacher.middle_name)
                if teacher
                else "—"
            )
            lessons = teachers.setdefault(f.teacher_id, {})
            if f.lesson_id not in lessons:
                lessons[f.lesson_id] = (lesson_row(f.lesson), [])
            lessons[f.lesson_id][1].append(f.what)
        lines = [
            _("Lessons of %(date)s still not filled in:") % {"date": f"{earlier.date:%d.%m.%Y}"}
        ]
        for teacher_id, lessons in teachers.items():
            lines.append("")
            lines.append(f"{names[teacher_id]}:")
            lines.extend(f"— {lesson_line(row, items)}" for row, items in lessons.values())
        title = _("Unfilled lessons of %(date)s: %(count)s") % {
            "date": f"{earlier.date:%d.%m.%Y}",
            "count": sum(len(lessons) for lessons in teachers.values()),
        }
        url = reverse("journal_index", args=[school.slug])
        notice = Notice(deputies(school, run.date), title, "\n".join(lines), url)
        return len(notify_many(school=school, kind=Kind.REMINDER, notices=[notice]))
