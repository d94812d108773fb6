"""The journal's part of "which lessons hold work" (R-TT-4): a timetable change keeps the
dated lessons that already have a topic, homework, attendance or marks."""

from django.db.models import Exists, OuterRef, Q, QuerySet


def lessons_with_journal_content(lessons: QuerySet) -> QuerySet:
    from .models import Attendance, LessonRecord, Mark

    record = LessonRecord.objects.filter(lesson=OuterRef("pk")).filter(
        ~Q(topic="") | ~Q(homework="")
    )
    return lessons.filter(
        Exists(record)
        | Exists(Attendance.objects.filter(lesson=OuterRef("pk")))
        | Exists(Mark.objects.filter(lesson=OuterRef("pk")))
    )
