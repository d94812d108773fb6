"""What the deadline jobs share: who the deputies are, whether a lesson's attendance was
taken, and which findings of a check are still not put right (read from the journal, so a
teacher who fills the lesson at 16:20 is "late", not "missing", on the deputy's page)."""

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet

from accounts.models import Membership, Role, School
from journal.models import (
    AbsenceReason,
    Attendance,
    AttendanceCheck,
    FinalKind,
    HomeworkFile,
    LessonRecord,
    PeriodMark,
)
from schedule.models import Lesson

from ..models import DeadlineFinding, DeadlineRun

What = DeadlineFinding.What


def deputies(school: School, day: dt.date) -> QuerySet:
    """The school's deputy heads on `day`, or its director when it has no deputy: who a
    deadline is reported to. A queryset, so notify() reads it as a subquery."""
    leaders = Membership.objects.filter(school=school).active_on(day)
    users = get_user_model().objects.filter(is_active=True)
    wanted = users.filter(
        pk__in=leaders.filter(role=Role.DEPUTY).values("user"),
    )
    fallback = users.filter(pk__in=leaders.filter(role=Role.DIRECTOR).values("user"))
    return wanted | fallback.exclude(Exists(leaders.filter(role=Role.DEPUTY)))


def attendance_taken(lesson_ref: str = "pk") -> Exists:
    """An annotation: the register was taken at the lesson (a check row, or an absence or
    lateness the teacher confirmed)."""
    check = AttendanceCheck.objects.filter(lesson=OuterRef(lesson_ref))
    rows = Attendance.objects.filter(lesson=OuterRef(lesson_ref), pending=False)
    return Exists(check) | Exists(rows)


# on LessonRecord annotated with `has_files` (Exists of its homework files; `files` is taken:
# it is the reverse relation of HomeworkFile, and Django refuses the annotation)
HOMEWORK_GIVEN = (
    ~Q(homework="") | ~Q(homework_pages="") | ~Q(homework_exercises="") | Q(has_files=True)
)


def records_with_files():
    """LessonRecord annotated with `has_files`, for HOMEWORK_GIVEN."""
    files = HomeworkFile.objects.filter(record=OuterRef("pk"))
    return LessonRecord.objects.annotate(has_files=Exists(files))


def findings_open(findings: Iterable[DeadlineFinding]) -> set[int]:
    """The ids of the findings still not put right (one query per kind of finding: the
    register, the lesson record for topics and homework, reasons, period marks)."""
    findings = list(findings)
    by_what: dict[str, list[DeadlineFinding]] = {}
    for finding in findings:
        by_what.setdefault(finding.what, []).append(finding)
    done: set[int] = set()
    lessons = {f.lesson_id for f in findings if f.lesson_id}
    if What.ATTENDANCE in by_what:
        taken = set(
            Lesson.objects.filter(pk__in={f.lesson_id for f in by_what[What.ATTENDANCE]})
            .filter(attendance_taken())
            .values_list("pk", flat=True)
        )
        done |= {f.pk for f in by_what[What.ATTENDANCE] if f.lesson_id in taken}
    if What.TOPIC in by_what or What.HOMEWORK in by_what:
        topics, homework = set(), set()
        for lesson, topic, given in (
            records_with_files()
            .filter(lesson__in=lessons)
            .annotate(given=ExpressionWrapper(HOMEWORK_GIVEN, output_field=BooleanField()))
            .values_list("lesson", "topic", "given")
        ):
            if topic.strip():
                topics.add(lesson)
            if given:
                homework.add(lesson)
        done |= {f.pk for f in by_what.get(What.TOPIC, ()) if f.lesson_id in topics}
        done |= {f.pk for f in by_what.get(What.HOMEWORK, ()) if f.lesson_id in homework}
    if What.REASON in by_what:
        wanted = by_what[What.REASON]
        given = set(
            AbsenceReason.objects.filter(
                student__in={f.student_id for f in wanted}, date__in={f.date for f in wanted}
            ).values_list("student", "date")
        )
        done |= {f.pk for f in wanted if (f.student_id, f.date) in given}
    if What.PERIOD_MARK in by_what:
        wanted = by_what[What.PERIOD_MARK]
        given = set(
            PeriodMark.objects.filter(
                kind=FinalKind.PERIOD,
                student__in={f.student_id for f in wanted},
                period__in={f.period_id for f in wanted},
            ).values_list("student", "subject", "period")
        )
        done |= {f.pk for f in wanted if (f.student_id, f.subject_id, f.period_id) in given}
    return {f.pk for f in findings} - done


def findings_copy(run: DeadlineRun, findings: list[DeadlineFinding]) -> None:
    """The still-open findings of the teacher's run, copied onto the deputy's run: his
    status page reads what the deputy was told (one query)."""
    DeadlineFinding.objects.bulk_create(
        DeadlineFinding(
            school_id=f.school_id,
            run=run,
            what=f.what,
            teacher_id=f.teacher_id,
            school_class_id=f.school_class_id,
            lesson_id=f.lesson_id,
            student_id=f.student_id,
            subject_id=f.subject_id,
            period_id=f.period_id,
            date=f.date,
        )
        for f in findings
    )
