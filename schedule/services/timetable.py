"""The weekly timetable and the dated lessons generated from it.

A cell is entered, changed or removed from a date (R-TT-4): the old entry ends the day
before and its lessons from that date are deleted, except lessons holding work (a topic,
attendance, marks, a replacement, a control work), which are kept and reported. Clashes of a
teacher, a room or students are refused with a message naming them (R-TT-1)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Membership, Role, School, User

from .. import lesson_content
from ..models import (
    AcademicYear,
    Bell,
    GradeLevel,
    Group,
    GroupMembership,
    Holiday,
    Lesson,
    Room,
    SchoolClass,
    Subject,
    TimetableEntry,
    Weekday,
)

TIMETABLE_ROLES = {Role.ADMIN, Role.DIRECTOR, Role.DEPUTY}
TEACHING_ROLES = {Role.TEACHER, Role.SUBSTITUTE}
BULK_BATCH = 2000


@dataclass
class TimetableChange:
    """What a change did to the dated lessons."""

    entries: list[TimetableEntry] = field(default_factory=list)
    created: int = 0
    deleted: int = 0
    kept: list[Lesson] = field(default_factory=list)


def require_timetable_role(actor: User, school: School, on: dt.date) -> None:
    """The deputy, the director or the school admin keep the timetable (R-TT-1, R-TT-3)."""
    allowed = Membership.objects.filter(
        user=actor, school=school, role__in=TIMETABLE_ROLES
    ).active_on(on)
    if not allowed.exists():
        raise ValidationError(_("Only the administration may change the timetable."))


def _overlapping(qs, starts_on: dt.date, ends_on: dt.date | None):
    if ends_on is not None:
        qs = qs.filter(starts_on__lte=ends_on)
    return qs.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))


def _slot(entry) -> str:
    return _("%(day)s, lesson %(number)s") % {
        "day": Weekday(entry.weekday).label,
        "number": entry.number,
    }


def entry_clashes(entry: TimetableEntry) -> list[str]:
    """Every clash of the entry with the others in force at the same time (R-TT-1): the same
    teacher, the same room, the same group, the whole class with one of its subgroups, or a
    student who is a member of two subgroups meeting at once. Subgroups of one class meeting
    in parallel are fine."""
    others = _overlapping(
        TimetableEntry.objects.filter(
            school=entry.school_id,
            weekday=entry.weekday,
            starts_at__lt=entry.ends_at,
            ends_at__gt=entry.starts_at,
        ),
        entry.starts_on,
        entry.ends_on,
    ).exclude(pk=entry.pk)
    others = others.filter(
        Q(teacher=entry.teacher_id)
        | Q(school_class=entry.school_class_id)
        | (Q(room=entry.room_id) if entry.room_id else Q(pk__in=[]))
    ).select_related("school_class", "group", "subject", "teacher", "room")
    messages = []
    group = entry.group
    for other in others:
        where = {
            "class": other.school_class,
            "group": other.group,
            "subject": other.subject,
            "teacher": other.teacher.short_name,
            "slot": _slot(other),
        }
        if other.teacher_id == entry.teacher_id:
            messages.append(
                _(
                    "Teacher %(teacher)s already teaches %(subject)s in %(group)s "
                    "at this time (%(slot)s)."
                )
                % where
            )
        if entry.room_id and other.room_id == entry.room_id:
            messages.append(
                _("Room %(room)s is taken at this time: %(group)s, %(subject)s (%(teacher)s).")
                % {**where, "room": other.room}
            )
        if other.school_class_id != entry.school_class_id:
            continue
        if other.group_id == group.pk or group.is_whole_class or other.group.is_whole_class:
            messages.append(
                _("%(group)s already has %(subject)s (%(teacher)s) at this time (%(slot)s).")
                % {**where, "group": other.group if other.group.is_whole_class else group}
            )
            continue
        if other.group.subject_id == group.subject_id:
            continue  # subgroups of one subject are disjoint by construction
        start = max(entry.starts_on, other.starts_on)
        ends = [d for d in (entry.ends_on, other.ends_on) if d]
        end = min(ends) if ends else None
        in_other = _overlapping(
            GroupMembership.objects.filter(group=other.group_id), start, end
        ).values("student")
        shared = (
            _overlapping(GroupMembership.objects.filter(group=group.pk), start, end)
            .filter(student__in=in_other)
            .select_related("student")
        )
        for membership in shared:
            messages.append(
                _(
                    "%(student)s is a member of both %(group)s and %(other)s, which meet "
                    "at this time (%(slot)s)."
                )
                % {
                    "student": membership.student.full_name,
                    "group": f"{group} ({group.subject})",
                    "other": f"{other.group} ({other.subject})",
                    "slot": _slot(other),
                }
            )
    return list(dict.fromkeys(messages))


def _validate_entry(entry: TimetableEntry, year: AcademicYear) -> None:
    school_class = entry.school_class
    entry.same_school(school_class, entry.group, entry.subject, entry.room, year)
    if entry.group.school_class_id != school_class.pk:
        raise ValidationError(_("The group belongs to another class."))
    if entry.group.subject_id and entry.group.subject_id != entry.subject.pk:
        raise ValidationError(
            _("This subgroup is formed for %(subject)s.") % {"subject": entry.group.subject}
        )
    teaches = Membership.objects.filter(
        user=entry.teacher_id, school=entry.school_id, role__in=TEACHING_ROLES
    ).active_on(entry.starts_on)
    if not teaches.exists():
        raise ValidationError(
            _("%(teacher)s is not a teacher of this school on %(date)s.")
            % {"teacher": entry.teacher.short_name, "date": date_format(entry.starts_on)}
        )
    study_days = (
        GradeLevel.objects.filter(year=year, grade=school_class.grade)
        .values_list("study_days", flat=True)
        .first()
    ) or 5
    if entry.weekday > study_days:
        raise ValidationError(
            _("Grade %(grade)s studies %(days)s days a week.")
            % {"grade": school_class.grade, "days": study_days}
        )
    if not (year.starts_on <= entry.starts_on <= year.ends_on):
        raise ValidationError(_("The date must lie within the academic year."))
    if entry.ends_on and entry.ends_on < entry.starts_on:
        raise ValidationError(_("The end date is before the start date."))


def _bell(school_class: SchoolClass, number: int) -> Bell:
    if school_class.bell_schedule_id is None:
        raise ValidationError(
            _("Class %(class)s has no bell schedule; set it first.") % {"class": school_class}
        )
    bell = Bell.objects.filter(schedule=school_class.bell_schedule_id, number=number).first()
    if bell is None:
        raise ValidationError(
            _("The bell schedule of %(class)s has no lesson %(number)s.")
            % {"class": school_class, "number": number}
        )
    return bell


def _lock_school(school_id: int) -> None:
    """Timetable changes of one school run one at a time, so that two deputies cannot
    book the same teacher or room in parallel."""
    School.objects.select_for_update().filter(pk=school_id).first()


@transaction.atomic
def entry_add(
    *,
    actor: User | None,
    school_class: SchoolClass,
    group: Group,
    subject: Subject,
    teacher: User,
    room: Room | None,
    weekday: int,
    number: int,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    check_role: bool = True,
) -> TimetableChange:
    """Enter a weekly lesson from `starts_on` and generate its dated lessons."""
    school = school_class.school
    if check_role:
        require_timetable_role(actor, school, school.today())
    _lock_school(school.pk)
    year = school_class.year
    bell = _bell(school_class, number)
    entry = TimetableEntry(
        school=school,
        year=year,
        school_class=school_class,
        group=group,
        subject=subject,
        teacher=teacher,
        room=room,
        weekday=weekday,
        number=number,
        starts_at=bell.starts_at,
        ends_at=bell.ends_at,
        starts_on=starts_on,
        ends_on=ends_on if ends_on and ends_on < year.ends_on else None,
        created_by=actor,
    )
    _validate_entry(entry, year)
    clashes = entry_clashes(entry)
    if clashes:
        raise ValidationError(clashes)
    entry.save()
    change = TimetableChange(entries=[entry])
    change.created, change.kept = lessons_generate(entries=[entry], date_from=starts_on)
    return change


@transaction.atomic
def entry_end(
    *, actor: User | None, entry: TimetableEntry, from_date: dt.date, check_role: bool = True
) -> TimetableChange:
    """The entry no longer holds from `from_date`: its lessons from that date are deleted,
    except those holding work, which stay and are reported (R-TT-4)."""
    school = entry.school
    if check_role:
        require_timetable_role(actor, school, school.today())
    _lock_school(school.pk)
    entry = TimetableEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.ends_on is not None and entry.ends_on < from_date:
        raise ValidationError(_("This timetable entry has already ended."))
    future = Lesson.objects.filter(entry=entry, date__gte=from_date)
    keep = lesson_content.lesson_ids_with_content(future)
    change = TimetableChange(
        kept=list(
            Lesson.objects.filter(pk__in=keep)
            .select_related("school_class", "group", "subject")
            .order_by("date", "starts_at")
        )
    )
    change.deleted, _by_model = future.exclude(pk__in=keep).delete()
    if from_date <= entry.starts_on:
        Lesson.objects.filter(entry=entry).update(entry=None)
        entry.delete()
    else:
        entry.ends_on = from_date - dt.timedelta(days=1)
        entry.save(update_fields=["ends_on"])
        change.entries = [entry]
    return change


@transaction.atomic
def entry_replace(
    *, actor: User | None, entry: TimetableEntry, from_date: dt.date, **fields
) -> TimetableChange:
    """Change a cell from a date: the old entry ends, the new one begins (R-TT-4). Fields
    not given are taken from the old entry."""
    ended = entry_end(actor=actor, entry=entry, from_date=from_date)
    values = {
        "school_class": entry.school_class,
        "group": entry.group,
        "subject": entry.subject,
        "teacher": entry.teacher,
        "room": entry.room,
        "weekday": entry.weekday,
        "number": entry.number,
        **fields,
    }
    added = entry_add(
        actor=actor, starts_on=from_date, ends_on=entry.ends_on, check_role=False, **values
    )
    added.deleted, added.kept = ended.deleted, ended.kept + added.kept
    return added


def closed_dates(year: AcademicYear) -> dict[int | None, set[dt.date]]:
    """Holiday and non-study dates of the year: under None those of the whole school,
    under a grade those of that grade only (one query)."""
    closed: dict[int | None, set[dt.date]] = defaultdict(set)
    for holiday in Holiday.objects.filter(year=year):
        days = {
            holiday.starts_on + dt.timedelta(days=n)
            for n in range((holiday.ends_on - holiday.starts_on).days + 1)
        }
        grades = holiday.grade_list() or [None]
        for grade in grades:
            closed[grade].update(days)
    return closed


def _entry_dates(entry, year, closed, date_from, date_to):
    first = max(entry.starts_on, date_from, year.starts_on)
    last = min(entry.ends_on or year.ends_on, date_to, year.ends_on)
    # the first date on or after `first` falling on the entry's weekday
    day = first + dt.timedelta(days=(entry.weekday - first.isoweekday()) % 7)
    grade = entry.school_class.grade
    while day <= last:
        if day not in closed[None] and day not in closed[grade]:
            yield day
        day += dt.timedelta(days=7)


def lessons_generate(
    *,
    entries,
    date_from: dt.date = dt.date.min,
    date_to: dt.date = dt.date.max,
) -> tuple[int, list[Lesson]]:
    """Create the dated lessons of the entries between two dates, skipping holidays and
    non-study days of each class's grade (R-TT-2). A slot already taken by a lesson of the
    group that holds work is left alone and reported. Returns (created, kept).

    A year of a big school is ~50,000 rows: they are written as tuples of column values
    prepared once per entry (COPY on PostgreSQL, executemany elsewhere), not as Lesson
    instances through bulk_create, which spends most of its time per field per row."""
    entries = list(entries)
    if not entries:
        return 0, []
    connection = transaction.get_connection()
    meta = Lesson._meta
    # what an INSERT gives a value; a database default or a generated column is left out
    columns = [
        f
        for f in meta.concrete_fields
        if f is not meta.pk and not f.generated and not f.has_db_default()
    ]
    date_at = next(n for n, f in enumerate(columns) if f.attname == "date")
    date_field = columns[date_at]
    by_year: dict[int, list[TimetableEntry]] = defaultdict(list)
    for entry in entries:
        by_year[entry.year_id].append(entry)
    created, kept = 0, []
    for year_id, year_entries in by_year.items():
        year = AcademicYear.objects.get(pk=year_id)
        closed = closed_dates(year)
        dated = [
            (entry, day)
            for entry in year_entries
            for day in _entry_dates(entry, year, closed, date_from, date_to)
        ]
        if not dated:
            continue
        first = min(day for _entry, day in dated)
        last = max(day for _entry, day in dated)
        taken = {
            (lesson.group_id, lesson.date, lesson.number): lesson
            for lesson in Lesson.objects.filter(
                group__in={e.group_id for e in year_entries}, date__range=(first, last)
            ).select_related("school_class", "group", "subject")
        }
        # one Lesson per entry gives every column its value (defaults included)
        prepared: dict[int, list] = {}
        rows = []
        for entry, day in dated:
            other = taken.get((entry.group_id, day, entry.number))
            if other is not None:
                if other.entry_id != entry.pk:
                    kept.append(other)
                continue
            values = prepared.get(id(entry))
            if values is None:
                lesson = Lesson(
                    school_id=entry.school_id,
                    date=day,
                    number=entry.number,
                    starts_at=entry.starts_at,
                    ends_at=entry.ends_at,
                    school_class_id=entry.school_class_id,
                    group_id=entry.group_id,
                    subject_id=entry.subject_id,
                    teacher_id=entry.teacher_id,
                    room_id=entry.room_id,
                    entry_id=entry.pk,
                )
                values = prepared[id(entry)] = [
                    f.get_db_prep_save(f.pre_save(lesson, True), connection) for f in columns
                ]
            row = list(values)
            row[date_at] = date_field.get_db_prep_save(day, connection)
            rows.append(row)
        if not rows:
            continue
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        names = ", ".join(quote(f.column) for f in columns)
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            raw = cursor.cursor
            if (
                connection.vendor == "postgresql"
                and len(rows) > BULK_BATCH
                and hasattr(raw, "copy")
            ):
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            elif connection.vendor == "postgresql":
                # one statement per batch, as bulk_create would send
                for at in range(0, len(rows), BULK_BATCH):
                    batch = rows[at : at + BULK_BATCH]
                    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
                    cursor.execute(
                        f"INSERT INTO {table} ({names}) VALUES " + ", ".join([one] * len(batch)),
                        [value for row in batch for value in row],
                    )
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        created += len(rows)
    return created, kept


@transaction.atomic
def year_lessons_generate(*, year: AcademicYear) -> int:
    """All dated lessons of the year from its weekly timetable (used for a new year and by
    the demo); lessons that already exist are left alone."""
    entries = TimetableEntry.objects.filter(year=year).select_related("school_class")
    created, _kept = lessons_generate(entries=entries)
    return created
