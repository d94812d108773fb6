"""Writing a lesson's details (R-LES-1..4): its topic, the homework given at it (shown for
the next lesson of the course, R-LES-2), the work types of its mark columns (R-LES-3) and the
homework's files. Each service checks who (the course's teacher or the lesson's substitute,
R-LES-4), checks what, writes in one transaction and appends topic and homework changes to
the school's history (journal/history.py).

Topic confirmation (R-PLAN-2): a topic the plan (КТП) put on a lesson is a proposal
(`topic_confirmed=False`) until the teacher confirms it. A topic the teacher types himself
is always confirmed, so an unconfirmed non-empty topic always comes from the plan and a new
fill of the plan may replace it."""

import datetime as dt
import hashlib

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import WorkType
from config.files import upload_name
from schedule.models import Lesson

from .. import rules, signals
from ..history import chain_lock, change_record
from ..models import HomeworkFile, JournalChange, LessonRecord, Mark
from ..permissions import can_edit_lesson
from ..rules import Refusal

HOMEWORK_FILE_MAX_BYTES = 10 * 1024 * 1024
HOMEWORK_FILES_MAX = 10
TOPIC_MAX = 500
PAGES_MAX = 100
HOMEWORK_MAX = 5000


def lesson_started(lesson: Lesson, now: dt.datetime | None = None) -> bool:
    return (now or timezone.now()) >= rules.lesson_start(lesson.school, lesson)


def lesson_conducted(lesson: Lesson, now: dt.datetime | None = None) -> bool:
    """A lesson that has started and was not cancelled: it must have a topic (R-LES-1)."""
    return not lesson.is_cancelled and lesson_started(lesson, now)


def record_token(record: LessonRecord | None) -> str:
    """What the lesson's details were when read: a digest of what the form edits, so that
    any change by someone else (in the same second, too) gives another token."""
    if record is None or record._state.adding:
        return ""
    content = "\x1f".join(
        str(v)
        for v in (
            record.topic,
            record.topic_confirmed,
            record.homework,
            record.homework_pages,
            record.homework_exercises,
            record.work_type_ids,
        )
    )
    return f"{record.pk}.{hashlib.sha256(content.encode()).hexdigest()[:16]}"


def homework_text(homework: str, pages: str, exercises: str, files: list[str] = ()) -> str:
    """The homework as one line for the history: text, pages, exercises, files."""
    parts = [" ".join(homework.split())]
    if pages:
        parts.append(_("p. %(pages)s") % {"pages": pages})
    if exercises:
        parts.append(_("ex. %(exercises)s") % {"exercises": exercises})
    parts.extend(_("file %(name)s") % {"name": name} for name in files)
    return "; ".join(p for p in parts if p)


def lesson_label(lesson: Lesson, what: str) -> str:
    return " · ".join(
        [
            str(lesson.school_class),
            str(lesson.subject),
            f"{lesson.date:%d.%m.%Y} №{lesson.number}",
            what,
        ]
    )


def _action(old: str, new: str) -> str:
    if not old:
        return JournalChange.Action.CREATE
    if not new:
        return JournalChange.Action.DELETE
    return JournalChange.Action.UPDATE


def _who_check(actor, lesson: Lesson) -> None:
    if not can_edit_lesson(actor, lesson, lesson.school.today()):
        raise Refusal(
            _("Only the teacher of this course or the lesson's substitute fills it in."),
            "forbidden",
        )


def _open_check(lesson: Lesson) -> None:
    if lesson.is_cancelled:
        raise Refusal(
            _("The lesson was cancelled: it has no topic or homework."),
            "cancelled",
        )


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def _length_check(value: str, limit: int, what: str) -> None:
    if len(value) > limit:
        raise Refusal(
            _("%(what)s: at most %(limit)s characters.") % {"what": what, "limit": limit},
            "invalid",
        )


def school_work_types(school_id: int) -> list[WorkType]:
    """The school's work types in their order: the first is the default column."""
    return list(WorkType.objects.filter(school=school_id).order_by("position", "name", "pk"))


def columns_resolve(work_type_ids, work_types: list[WorkType]) -> list[int]:
    """The ordered, de-duplicated column ids; an empty list is the default column (the
    school's first work type). Raises a Refusal for a work type of another school."""
    known = {w.pk for w in work_types}
    ids: list[int] = []
    for raw in work_type_ids or ():
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            raise Refusal(_("Unknown work type."), "invalid") from None
        if pk not in known:
            raise Refusal(_("Unknown work type."), "invalid")
        if pk not in ids:
            ids.append(pk)
    if not ids and work_types:
        ids = [work_types[0].pk]
    return ids


def _columns_with_marks_check(lesson: Lesson, ids: list[int]) -> None:
    """R-LES-3: a column that holds marks stays until its marks are removed."""
    names = sorted(
        set(
            Mark.objects.filter(lesson=lesson)
            .exclude(work_type__in=ids)
            .values_list("work_type__name", flat=True)
        )
    )
    if names:
        raise Refusal(
            _(
                "The column «%(names)s» already holds marks and cannot be removed; "
                "remove its marks first."
            )
            % {"names": "», «".join(names)},
            "columns",
        )


@transaction.atomic
def lesson_record_save(
    *,
    actor,
    lesson: Lesson,
    topic: str,
    homework: str,
    homework_pages: str,
    homework_exercises: str,
    work_type_ids,
    ip: str | None = None,
    confirm_topic: bool = True,
    expected: str | None = None,
) -> LessonRecord:
    """Save the details of a lesson (R-LES-1..3). A conducted lesson needs a topic; a
    future one may have none yet, or the plan's. `confirm_topic` confirms a topic proposed
    by the plan; a topic the teacher changed is confirmed anyway. `expected` is the
    record's token when the caller read it (None skips the check)."""
    school = lesson.school
    now = timezone.now()
    _who_check(actor, lesson)
    _open_check(lesson)
    topic = _clean(topic)
    homework = (homework or "").strip().replace("\r\n", "\n")
    homework_pages = _clean(homework_pages)
    homework_exercises = _clean(homework_exercises)
    _length_check(topic, TOPIC_MAX, _("Topic"))
    _length_check(homework, HOMEWORK_MAX, _("Homework"))
    _length_check(homework_pages, PAGES_MAX, _("Pages"))
    _length_check(homework_exercises, PAGES_MAX, _("Exercises"))
    if not topic and lesson_conducted(lesson, now):
        raise Refusal(
            _("The lesson has taken place: write its topic."),
            "topic",
        )
    ids = columns_resolve(work_type_ids, school_work_types(school.pk))

    head = chain_lock(school.pk)
    record = LessonRecord.objects.filter(school=school, lesson=lesson).first()
    if expected is not None and record_token(record) != expected:
        raise Refusal(
            _(
                "Someone has changed this lesson's details meanwhile. "
                "Check the saved values and save again."
            ),
            "conflict",
        )
    _columns_with_marks_check(lesson, ids)
    if record is None:
        record = LessonRecord(school=school, lesson=lesson)
    old_topic = record.topic
    old_homework = homework_text(record.homework, record.homework_pages, record.homework_exercises)
    new_homework = homework_text(homework, homework_pages, homework_exercises)
    if topic != old_topic:
        record.topic_confirmed = bool(topic)
        if not topic:
            record.plan_item = None
    elif confirm_topic and topic:
        record.topic_confirmed = True
    record.topic = topic
    record.homework = homework
    record.homework_pages = homework_pages
    record.homework_exercises = homework_exercises
    record.work_type_ids = ids
    record.updated_by = actor
    record.save(force_insert=record._state.adding)

    for kind, old, new in (
        (JournalChange.Subject.TOPIC, old_topic, topic),
        (JournalChange.Subject.HOMEWORK, old_homework, new_homework),
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
            label=lesson_label(
                lesson, _("topic") if kind == JournalChange.Subject.TOPIC else _("homework")
            ),
            old=old,
            new=new,
            lesson=lesson,
            at=now,
        )
    if old_homework != new_homework and new_homework:
        signals.homework_changed.send(LessonRecord, record=record, lesson=lesson, actor=actor)
    return record


@transaction.atomic
def homework_file_add(*, actor, lesson: Lesson, upload, ip: str | None = None) -> HomeworkFile:
    """Attach a file to the homework given at the lesson (R-LES-2), at most 10 MB."""
    school = lesson.school
    _who_check(actor, lesson)
    _open_check(lesson)
    if upload is None:
        raise Refusal(_("Choose a file to attach."), "invalid")
    if upload.size > HOMEWORK_FILE_MAX_BYTES:
        raise Refusal(
            _("The file is larger than %(size)s MB; attach a smaller one or give a link.")
            % {"size": HOMEWORK_FILE_MAX_BYTES // (1024 * 1024)},
            "size",
        )
    if upload.size == 0:
        raise Refusal(_("The file is empty."), "invalid")
    head = chain_lock(school.pk)
    record, _created = LessonRecord.objects.get_or_create(
        school=school,
        lesson=lesson,
        defaults={"updated_by": actor, "work_type_ids": []},
    )
    if record.files.count() >= HOMEWORK_FILES_MAX:
        raise Refusal(
            _("A lesson's homework has at most %(count)s files.") % {"count": HOMEWORK_FILES_MAX},
            "invalid",
        )
    name = upload_name(upload.name)
    attached = HomeworkFile(
        school=school, record=record, name=name, size=upload.size, uploaded_by=actor
    )
    attached.file.save(name, upload, save=False)
    try:
        attached.save()
        change_record(
            head=head,
            actor=actor,
            ip=ip,
            action=JournalChange.Action.CREATE,
            subject_kind=JournalChange.Subject.HOMEWORK,
            object_id=record.pk,
            label=lesson_label(lesson, _("homework")),
            new=homework_text("", "", "", [name]),
            lesson=lesson,
        )
    except BaseException:
        attached.file.storage.delete(attached.file.name)  # no row, no file
        raise
    return attached


@transaction.atomic
def homework_file_remove(*, actor, lesson: Lesson, file_id: int, ip: str | None = None) -> None:
    """Detach a file from the lesson's homework; the stored file goes after the commit."""
    school = lesson.school
    _who_check(actor, lesson)
    head = chain_lock(school.pk)
    attached = (
        HomeworkFile.objects.filter(school=school, record__lesson=lesson, pk=file_id)
        .select_related("record")
        .first()
    )
    if attached is None:
        raise Refusal(_("The file is no longer attached."), "gone")
    storage, stored, name, record_id = (
        attached.file.storage,
        attached.file.name,
        attached.name,
        attached.record_id,
    )
    attached.delete()
    transaction.on_commit(lambda: storage.delete(stored))
    change_record(
        head=head,
        actor=actor,
        ip=ip,
        action=JournalChange.Action.DELETE,
        subject_kind=JournalChange.Subject.HOMEWORK,
        object_id=record_id,
        label=lesson_label(lesson, _("homework")),
        old=homework_text("", "", "", [name]),
        lesson=lesson,
    )
