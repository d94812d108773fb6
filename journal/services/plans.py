"""The teacher's calendar-thematic plan (КТП) of a course (R-PLAN-1, R-PLAN-2): saving the
imported items, filling the course's dated lessons with the planned topics in order, and
confirming the proposed topics.

The fill walks the course's lessons of the plan's year in order, against the plan's hours
laid end to end (a topic of 2 hours is two slots):
- a cancelled lesson takes nothing (a proposal it held is withdrawn);
- a lesson whose topic the teacher confirmed is kept as it is: when it is linked to a plan
  item (a planned topic he confirmed, or reworded), the plan goes on after that item's hour;
  when it is not (a topic he wrote before loading the plan), it takes the plan's next hour
  and is linked to it, its text untouched. Either way a new fill does not shift the plan
  behind the lessons already given;
- any other lesson (no record, an empty topic, or the plan's unconfirmed proposal) gets the
  next slot: the topic (unconfirmed), the planned homework where the homework was empty or
  the previous item's, and the item's work type as one more mark column;
- lessons left when the plan runs out lose their old proposal.
Lessons before `from_date` are only read, to know where the plan stands on that date.
Every topic and homework change is written to the school's history."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from schedule.models import Lesson

from ..history import chain_lock, change_record
from ..models import CoursePlan, JournalChange, LessonRecord, Mark, PlanItem
from ..permissions import TEACHING_ROLES
from ..rules import Refusal
from .lessons import _action, homework_text, lesson_label, school_work_types


def can_plan_course(user, school_id: int, group_id: int, subject_id: int, today) -> bool:
    """The course's teachers (by the teaching load) on the school's teaching staff load and
    fill its plan. One query."""
    from django.db.models import Exists, OuterRef

    from schedule.models import TeachingLoad

    load = TeachingLoad.objects.filter(
        school=school_id, group=group_id, subject=subject_id, teacher=OuterRef("user")
    )
    return (
        Membership.objects.filter(user=user, school=school_id, role__in=TEACHING_ROLES)
        .active_on(today)
        .filter(Exists(load))
        .exists()
    )


def plan_check(actor, school, group_id: int, subject_id: int) -> None:
    if not can_plan_course(actor, school.pk, group_id, subject_id, school.today()):
        raise Refusal(_("Only a teacher of this course loads and fills its plan."), "forbidden")


def course_lessons(plan: CoursePlan):
    """The course's dated lessons of the plan's year, in order."""
    return Lesson.objects.filter(
        school=plan.school_id,
        group=plan.group_id,
        subject=plan.subject_id,
        date__range=(plan.year.starts_on, plan.year.ends_on),
    ).order_by("date", "number")


@dataclass
class FillResult:
    filled: int = 0  # lessons given a (new) planned topic
    unchanged: int = 0  # lessons that already held their slot's proposal
    kept: int = 0  # lessons with a confirmed topic, left as they were
    withdrawn: int = 0  # proposals removed (cancelled lessons, plan ran out)
    cancelled: int = 0
    slots: int = 0  # the plan's hours
    placed: int = 0  # hours placed on lessons (filled, unchanged or confirmed)
    first: dt.date | None = None
    last: dt.date | None = None
    changed: list = field(default_factory=list, repr=False)

    @property
    def not_placed(self) -> int:
        """Plan hours left over after the year's last lesson."""
        return max(0, self.slots - self.placed)


def _slots(items: list[PlanItem]) -> list[PlanItem]:
    slots = []
    for item in items:
        slots.extend([item] * item.hours)
    return slots


def _after(slots: list[PlanItem], position: int, item_id: int) -> int:
    """The slot after the next hour of `item_id` at or after `position` (the plan moves
    on past a confirmed lesson's item); `position` when that item lies behind."""
    for index in range(position, len(slots)):
        if slots[index].pk == item_id:
            return index + 1
    return position


def _columns(record: LessonRecord, old_item, new_item, marked: set, default_id) -> list[int]:
    """The lesson's columns with the old item's work type swapped for the new one's; a
    column holding marks always stays."""
    ids = [i for i in (record.work_type_ids or []) if i]
    if not ids and default_id:
        ids = [default_id]
    old_type = getattr(old_item, "work_type_id", None)
    new_type = getattr(new_item, "work_type_id", None)
    if old_type and old_type != new_type and old_type != default_id and old_type not in marked:
        ids = [i for i in ids if i != old_type]
    if new_type and new_type not in ids:
        ids.append(new_type)
    return ids or ([default_id] if default_id else [])


@transaction.atomic
def plan_fill(
    *,
    actor,
    plan: CoursePlan,
    from_date: dt.date | None = None,
    ip: str | None = None,
    check_role: bool = True,
) -> FillResult:
    """R-PLAN-2: put the planned topics into the course's lessons in order (see the module's
    docstring). Queries: the items, the lessons with their records, the marks' columns, the
    work types, then the writes."""
    school = plan.school
    if check_role:
        plan_check(actor, school, plan.group_id, plan.subject_id)
    now = timezone.now()
    head = chain_lock(school.pk)
    items = list(plan.items.select_related("work_type").order_by("number"))
    by_id = {item.pk: item for item in items}
    slots = _slots(items)
    lessons = list(course_lessons(plan).select_related("record", "school_class", "subject"))
    marked: dict[int, set[int]] = {}
    for lesson_id, work_type_id in (
        Mark.objects.filter(lesson__in=[lesson.pk for lesson in lessons])
        .values_list("lesson", "work_type")
        .distinct()
    ):
        marked.setdefault(lesson_id, set()).add(work_type_id)
    work_types = school_work_types(school.pk)
    default_id = work_types[0].pk if work_types else None

    result = FillResult(slots=len(slots))
    position = 0
    new_records, changed_records = [], []
    for lesson in lessons:
        record = getattr(lesson, "record", None)
        confirmed = record is not None and record.topic_confirmed and bool(record.topic)
        if from_date is not None and lesson.date < from_date:
            if record is not None and record.plan_item_id in by_id:
                before = position
                position = _after(slots, position, record.plan_item_id)
                result.placed += position > before
            elif confirmed and not lesson.is_cancelled and position < len(slots):
                position += 1
                result.placed += 1
            continue
        if lesson.is_cancelled:
            result.cancelled += 1
            if record is not None and not confirmed and (record.topic or record.plan_item_id):
                _propose(record, None, lesson, marked, default_id, by_id)
                changed_records.append((lesson, record))
                result.withdrawn += 1
            continue
        if confirmed:
            result.kept += 1
            if record.plan_item_id in by_id:
                before = position
                position = _after(slots, position, record.plan_item_id)
                result.placed += position > before
            elif position < len(slots):
                # a topic the teacher wrote before the plan was loaded (or an extra lesson
                # of his): it takes the next hour of the plan, linked, its text kept
                record._old = (record.topic, _homework_of(record))
                record.plan_item = slots[position]
                changed_records.append((lesson, record))
                position += 1
                result.placed += 1
            continue
        item = slots[position] if position < len(slots) else None
        if item is not None:
            position += 1
            result.placed += 1
            result.first = result.first or lesson.date
            result.last = lesson.date
        if record is None:
            if item is None:
                continue
            record = LessonRecord(school=school, lesson=lesson, work_type_ids=[])
            _propose(record, item, lesson, marked, default_id, by_id)
            new_records.append((lesson, record))
            result.filled += 1
            continue
        if item is None and not record.topic and not record.plan_item_id:
            continue
        if (
            item is not None
            and record.plan_item_id == item.pk
            and record.topic == item.topic
            and (record.homework == item.homework or _own_homework(record))
        ):
            result.unchanged += 1
            continue
        _propose(record, item, lesson, marked, default_id, by_id)
        changed_records.append((lesson, record))
        if item is None:
            result.withdrawn += 1
        else:
            result.filled += 1

    for _lesson, record in new_records + changed_records:
        record.updated_by = actor
        record.updated_at = now
    LessonRecord.objects.bulk_create([record for _lesson, record in new_records])
    LessonRecord.objects.bulk_update(
        [record for _lesson, record in changed_records],
        [
            "topic",
            "topic_confirmed",
            "plan_item",
            "homework",
            "homework_pages",
            "homework_exercises",
            "work_type_ids",
            "updated_by",
            "updated_at",
        ],
    )
    for lesson, record in new_records + changed_records:
        _history(head, actor, ip, lesson, record, now)
    result.changed = new_records + changed_records
    return result


def _homework_of(record) -> str:
    return homework_text(record.homework, record.homework_pages, record.homework_exercises)


def _own_homework(record) -> bool:
    """Homework the plan did not give: any pages or exercises, or a text."""
    return bool(record.homework or record.homework_pages or record.homework_exercises)


def _propose(record, item, lesson, marked, default_id, by_id) -> None:
    """Put `item`'s proposal on the record (None withdraws the old one); the old values
    are kept on the record for the history."""
    old_item = by_id.get(record.plan_item_id)
    record._old = (record.topic, _homework_of(record))
    planned_homework = old_item.homework if old_item is not None else ""
    homework_was_planned = (
        not record.homework_pages
        and not record.homework_exercises
        and (not record.homework or record.homework == planned_homework)
    )
    record.topic = item.topic if item is not None else ""
    record.topic_confirmed = False
    record.plan_item = item
    if homework_was_planned:
        record.homework = item.homework if item is not None else ""
    record.work_type_ids = _columns(
        record, old_item, item, marked.get(lesson.pk, set()), default_id
    )


def _history(head, actor, ip, lesson, record, now) -> None:
    old_topic, old_homework = getattr(record, "_old", ("", ""))
    new_homework = _homework_of(record)
    for kind, what, old, new in (
        (JournalChange.Subject.TOPIC, _("topic"), old_topic, record.topic),
        (JournalChange.Subject.HOMEWORK, _("homework"), old_homework, new_homework),
    ):
        if old == new:
            continue
        change_record(
            head=head,
            actor=actor,
            ip=ip,
            action=_action(old, new),
            subject_kind=kind,
            object_id=record.pk,
            label=lesson_label(lesson, what),
            old=old,
            new=new,
            reason=_("filled from the lesson plan (КТП)"),
            lesson=lesson,
            at=now,
        )


@transaction.atomic
def plan_topics_confirm(*, actor, plan: CoursePlan, lesson_ids) -> int:
    """R-PLAN-2: confirm the proposed topics of several lessons of the course at once; the
    texts do not change. Returns how many were confirmed."""
    school = plan.school
    plan_check(actor, school, plan.group_id, plan.subject_id)
    ids = []
    for raw in lesson_ids or ():
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            continue
    chain_lock(school.pk)
    return (
        LessonRecord.objects.filter(
            school=school,
            lesson__in=course_lessons(plan).filter(pk__in=ids, is_cancelled=False),
            topic_confirmed=False,
        )
        .exclude(topic="")
        .update(topic_confirmed=True, updated_by=actor, updated_at=timezone.now())
    )


@dataclass
class ItemRow:
    """One item as read from a file."""

    number: int
    topic: str
    hours: int
    work_type: object
    homework: str


@dataclass
class PlanSave:
    plan: CoursePlan
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


def plan_save(
    *, actor, school, year, group, subject, items: list[ItemRow], file_name: str
) -> PlanSave:
    """R-PLAN-1: the file is the whole plan. Items are matched by number: the same number
    is updated in place (lessons linked to it keep the link), new numbers are added,
    numbers no longer in the file are deleted (their lessons keep a confirmed topic's text,
    and a new fill withdraws their unconfirmed proposals). Call inside a transaction."""
    now = timezone.now()
    plan, created = CoursePlan.objects.get_or_create(
        school=school,
        year=year,
        group=group,
        subject=subject,
        defaults={"imported_by": actor, "imported_at": now, "file_name": file_name[:200]},
    )
    if not created:
        plan.imported_by, plan.imported_at, plan.file_name = actor, now, file_name[:200]
        plan.save(update_fields=["imported_by", "imported_at", "file_name"])
    result = PlanSave(plan=plan)
    existing = {item.number: item for item in plan.items.all()}
    numbers = {row.number for row in items}
    gone = [item.pk for number, item in existing.items() if number not in numbers]
    if gone:
        result.deleted = len(gone)
        PlanItem.objects.filter(pk__in=gone).delete()
    new, changed = [], []
    for row in items:
        values = {
            "topic": row.topic,
            "hours": row.hours,
            "work_type": row.work_type,
            "homework": row.homework,
        }
        item = existing.get(row.number)
        if item is None:
            new.append(PlanItem(school=school, plan=plan, number=row.number, **values))
            continue
        if (item.topic, item.hours, item.work_type_id, item.homework) == (
            row.topic,
            row.hours,
            getattr(row.work_type, "pk", None),
            row.homework,
        ):
            result.unchanged += 1
            continue
        for name, value in values.items():
            setattr(item, name, value)
        changed.append(item)
    PlanItem.objects.bulk_create(new)
    PlanItem.objects.bulk_update(changed, ["topic", "hours", "work_type", "homework"])
    result.created, result.updated = len(new), len(changed)
    return result
