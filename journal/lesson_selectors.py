"""Reads of lesson details (R-LES-2, R-LES-3) and of the lesson plans (R-PLAN-2,
R-PLAN-3), each a fixed number of queries."""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Q, Subquery, Sum

from accounts.models import WorkType
from schedule.models import Group, Lesson, ReportingPeriod, Subject

from .models import CoursePlan, LessonRecord, PlanItem


def previous_lesson_ids(lessons: Iterable[Lesson]) -> dict[int, int]:
    """Lesson id → the id of the course's (group × subject) previous lesson that took
    place, i.e. was not cancelled. Cancelled lessons have none: the homework given before
    them is due at the next lesson held. One query."""
    ids = [lesson.pk for lesson in lessons]
    if not ids:
        return {}
    earlier = (
        Lesson.objects.filter(
            group=OuterRef("group"), subject=OuterRef("subject"), is_cancelled=False
        )
        .filter(
            Q(date__lt=OuterRef("date")) | Q(date=OuterRef("date"), number__lt=OuterRef("number"))
        )
        .order_by("-date", "-number")
        .values("pk")[:1]
    )
    rows = (
        Lesson.objects.filter(pk__in=ids, is_cancelled=False)
        .annotate(previous=Subquery(earlier))
        .values_list("pk", "previous")
    )
    return {pk: previous for pk, previous in rows if previous is not None}


def has_homework(record: LessonRecord) -> bool:
    """Files must be prefetched (`files`)."""
    return bool(
        record.homework
        or record.homework_pages
        or record.homework_exercises
        or list(record.files.all())
    )


def homework_due(lessons: Iterable[Lesson]) -> dict[int, LessonRecord]:
    """R-LES-2: lesson id → the record of the previous lesson of its course, whose homework
    is due at this lesson; lessons with nothing due are left out. The records come with
    their lesson and files. Three queries, whatever the number of lessons."""
    previous = previous_lesson_ids(list(lessons))
    if not previous:
        return {}
    records = {
        record.lesson_id: record
        for record in LessonRecord.objects.filter(lesson__in=set(previous.values()))
        .select_related("lesson")
        .prefetch_related("files")
    }
    due = {}
    for lesson_id, previous_id in previous.items():
        record = records.get(previous_id)
        if record is not None and has_homework(record):
            due[lesson_id] = record
    return due


def lesson_columns(record: LessonRecord | None, work_types: list[WorkType]) -> list[WorkType]:
    """R-LES-3: the work types of a lesson's mark columns in order; a lesson without chosen
    columns has the default one, the school's first work type (`work_types` is the school's
    list in its order). Work types deleted since are left out."""
    by_id = {w.pk: w for w in work_types}
    ids = list(record.work_type_ids) if record is not None and record.work_type_ids else []
    columns = [by_id[i] for i in ids if i in by_id]
    if not columns and work_types:
        columns = [work_types[0]]
    return columns


# --- the lesson plan (КТП) -----------------------------------------------------------------


def course_year_lessons(group: Group, subject_id: int, start: dt.date, end: dt.date):
    """The course's dated lessons between two dates with their records and plan items, in
    order (one query)."""
    return (
        Lesson.objects.filter(group=group, subject=subject_id, date__range=(start, end))
        .select_related("record__plan_item", "substitute")
        .order_by("date", "number")
    )


def plan_items_placed(plan: CoursePlan) -> list[tuple[PlanItem, int]]:
    """The plan's items with the number of lessons each is placed on (two queries)."""
    placed = dict(
        LessonRecord.objects.filter(plan_item__plan=plan)
        .values_list("plan_item")
        .annotate(n=Count("pk"))
        .values_list("plan_item", "n")
    )
    items = plan.items.select_related("work_type").order_by("number")
    return [(item, placed.get(item.pk, 0)) for item in items]


@dataclass
class ProgressRow:
    """R-PLAN-3: one course in one reporting period."""

    group: Group
    subject: Subject
    teachers: list[str] = field(default_factory=list)
    plan_hours: int | None = None  # the plan's hours for the year; None: no plan loaded
    timetable: int = 0  # lessons of the period in the timetable, not cancelled
    cancelled: int = 0
    planned: int = 0  # lessons of the period carrying a planned topic (by the fill)
    held: int = 0  # lessons of the period that took place and have a topic
    unconfirmed: int = 0  # held lessons whose planned topic is not confirmed yet
    year_lessons: int = 0  # lessons of the year in the timetable, not cancelled
    due: int = 0  # the course's lessons from the year's start to the limit, cancelled too
    held_to_limit: int = 0  # held lessons from the year's start to the limit

    @property
    def lag(self) -> int | None:
        """Plan hours that should have been given by today (or by the period's end) had no
        lesson been cancelled, minus the lessons held with a topic since the year began."""
        if self.plan_hours is None:
            return None
        return max(0, min(self.plan_hours, self.due) - self.held_to_limit)

    @property
    def not_placed(self) -> int | None:
        """Plan hours more than the year's lessons (not cancelled) can hold."""
        if self.plan_hours is None:
            return None
        return max(0, self.plan_hours - self.year_lessons)


def plan_progress(
    *,
    loads: list,
    year,
    period: ReportingPeriod,
    now_local: dt.datetime,
) -> list[ProgressRow]:
    """R-PLAN-3: planned, held, timetable lessons and the lag of each course of `loads`
    (teaching loads with their group, class and subject) in the period. Two queries: the
    plans' hours and the lessons' counts, whatever the number of courses and lessons."""
    rows: dict[tuple[int, int], ProgressRow] = {}
    for load in loads:
        key = (load.group_id, load.subject_id)
        row = rows.get(key)
        if row is None:
            row = rows[key] = ProgressRow(group=load.group, subject=load.subject)
        row.teachers.append(load.teacher.short_name)
    if not rows:
        return []
    group_ids = {g for g, _s in rows}
    for group_id, subject_id, hours in (
        CoursePlan.objects.filter(year=year, group__in=group_ids)
        .annotate(hours=Sum("items__hours"))
        .values_list("group", "subject", "hours")
    ):
        if (group_id, subject_id) in rows:
            rows[(group_id, subject_id)].plan_hours = hours or 0

    today, time_now = now_local.date(), now_local.time()
    limit = min(today, period.ends_on)
    started = Q(date__lt=today) | Q(date=today, starts_at__lte=time_now)
    in_period = Q(date__gte=period.starts_on, date__lte=period.ends_on)
    held = started & Q(is_cancelled=False) & Q(record__isnull=False) & ~Q(record__topic="")
    planned = Q(record__plan_item__isnull=False)
    counts = (
        Lesson.objects.filter(group__in=group_ids, date__gte=year.starts_on, date__lte=year.ends_on)
        .values("group", "subject")
        .annotate(
            timetable=Count("pk", filter=in_period & Q(is_cancelled=False)),
            cancelled=Count("pk", filter=in_period & Q(is_cancelled=True)),
            planned=Count("pk", filter=in_period & planned),
            held=Count("pk", filter=in_period & held),
            unconfirmed=Count(
                "pk", filter=in_period & held & planned & Q(record__topic_confirmed=False)
            ),
            year_lessons=Count("pk", filter=Q(is_cancelled=False)),
            due=Count("pk", filter=started & Q(date__lte=limit)),
            held_to_limit=Count("pk", filter=held & Q(date__lte=limit)),
        )
        .order_by()
    )
    for values in counts:
        row = rows.get((values.pop("group"), values.pop("subject")))
        if row is not None:
            for name, value in values.items():
                setattr(row, name, value)
    return list(rows.values())
