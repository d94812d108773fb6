"""Import of a weekly timetable from a CSV or XLSX file (R-TT-1, R-TT-4).

The file is read with django-import-export's formats into a tablib Dataset. Each row names
a class, a day, a lesson number, a subject, a subgroup (empty for the whole class), a
teacher and a room; the names are looked up in a fixed number of queries and every row is
then entered with `entry_add`, one after another in one transaction, so that the clash
checks of R-TT-1 apply against the timetable in force and between rows of the same file.
Any failing row rolls the whole file back: nothing is saved. A preview is the same run,
always rolled back.

An import_export Resource is not used: it saves model instances itself, while an entry
must go through the timetable service (clashes, bells, generated lessons).

With "replace", the entries of the classes in the file end the day before the chosen date
(via `entry_end`, so lessons holding work are kept), and the file's rows start that date.
"""

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field

import tablib
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from import_export.formats.base_formats import CSV, XLSX

from accounts.models import Membership, School, User

from .models import (
    AcademicYear,
    Bell,
    Group,
    Lesson,
    Room,
    SchoolClass,
    Subject,
    TimetableEntry,
    Weekday,
)
from .services.timetable import (
    TEACHING_ROLES,
    entry_add,
    entry_end,
    require_timetable_role,
)

MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 3000
KINDS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as written in the file: the format is fixed, not translated
    required: bool
    aliases: tuple[str, ...] = ()  # Kazakh headers are accepted too


COLUMNS = (
    Column("school_class", "Класс", True, ("Сынып",)),
    Column("weekday", "День", True, ("День недели", "Күн", "Апта күні")),
    Column("number", "Урок", True, ("Номер урока", "Сабақ")),
    Column("subject", "Предмет", True, ("Пән",)),
    Column("group", "Группа", False, ("Подгруппа", "Топ")),
    Column("teacher", "Учитель", True, ("Мұғалім",)),
    Column("room", "Кабинет", False, ()),
)
HEADERS = [column.header for column in COLUMNS]

SAMPLE_ROWS = [
    ["5А", "Понедельник", 1, "Математика", "", "Иванова Мария Петровна", "201"],
    ["5А", "Понедельник", 2, "Английский язык", "1 группа", "petrov", "305"],
    ["5А", "Понедельник", 2, "Английский язык", "2 группа", "Сидорова А. В.", "306"],
    ["5 Б", "вт", 1, "Русский язык", "", "Кузнецова Е. И.", ""],
    ["5 Б", "2", 2, "Математика", "", "Иванова Мария Петровна", "202"],
]

WEEKDAY_NAMES = {
    1: ("понедельник", "пн", "пнд", "дүйсенбі", "дс"),
    2: ("вторник", "вт", "втр", "сейсенбі", "сс"),
    3: ("среда", "ср", "срд", "сәрсенбі"),
    4: ("четверг", "чт", "чтв", "бейсенбі", "бс"),
    5: ("пятница", "пт", "птн", "жұма", "жм"),
    6: ("суббота", "сб", "суб", "сенбі"),
}
WEEKDAYS = {name: day for day, names in WEEKDAY_NAMES.items() for name in names}
WEEKDAYS.update({str(day): day for day in WEEKDAY_NAMES})

# Latin letters typed instead of their Cyrillic twins in class names ("5A" for "5А")
LATIN_TO_CYRILLIC = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")


def _norm(text: str) -> str:
    """Case, ё and spaces do not matter in names."""
    return " ".join(str(text).casefold().replace("ё", "е").split())


def _class_key(text: str) -> str:
    """«5 А», «5-а», «5«А»», «5A» are all 5А."""
    key = re.sub(r"[\s\-«»\"'()]", "", str(text)).upper().replace("Ё", "Е")
    return key.translate(LATIN_TO_CYRILLIC)


def _person_key(text: str) -> tuple[str, ...]:
    """«Иванова М. П.», «Иванова М.П.» and «иванова м п» are the same key."""
    return tuple(t for t in re.split(r"[\s.]+", _norm(text)) if t)


def _room_key(text: str) -> str:
    return _norm(re.sub(r"[,;()«»\"№]", " ", str(text)))


def _cell_text(value) -> str:
    """A cell as text: spreadsheets give numbers and empty cells, CSV gives strings."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d.%m.%Y")
    return " ".join(str(value).split())


# ---------------------------------------------------------------------------------------
# Reading the file


@dataclass
class FileRow:
    number: int  # the row number a spreadsheet shows, the header being row 1
    cells: dict[str, str]


def file_kind(name: str) -> str:
    """The format by the file's extension: CSV or XLSX only."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in KINDS:
        raise ValidationError(
            _("Only CSV and XLSX files are accepted; save the table in one of these formats.")
        )
    return extension


def check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)s MB; split it, e.g. by grades.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )


def _decode(content: bytes) -> str:
    """UTF-8 (with or without BOM), or Windows-1251 as Excel saves CSV in Russian."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("cp1251")
        except UnicodeDecodeError:
            raise ValidationError(
                _("Cannot read the file: save it as CSV in UTF-8 or as XLSX.")
            ) from None


def _delimiter(text: str) -> str:
    """Excel saves Russian CSV with semicolons; others use commas or tabs."""
    first_line = text.split("\n", 1)[0]
    return max((";", ",", "\t"), key=first_line.count)


def _csv_dataset(content: bytes) -> tuple[tablib.Dataset, list[int]]:
    text = _decode(content).replace("\r\n", "\n").replace("\r", "\n")
    delimiter = _delimiter(text)
    # tablib skips empty records; the spreadsheet row numbers are counted here, on the
    # same records, so that an error names the row the user sees
    records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not records:
        raise ValidationError(_("The file is empty."))
    _columns(records[0])  # wrong headers first: the row checks below would only confuse
    width = len(records[0])
    numbers = []
    for number, record in enumerate(records[1:], start=2):
        if not record:
            continue
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            raise ValidationError(
                _("Row %(row)s has more cells than there are columns in the header.")
                % {"row": number}
            )
        numbers.append(number)
    # trailing empty cells beyond the header ("a;b;c;;") would upset tablib's dimensions
    text = "\n".join(
        _csv_line(record[:width] if len(record) > width else record, delimiter)
        for record in records
    )
    dataset = CSV().create_dataset(text, delimiter=delimiter)
    return dataset, numbers


def _csv_line(record: list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(record)
    return out.getvalue()


def _xlsx_dataset(content: bytes) -> tuple[tablib.Dataset, list[int]]:
    try:
        dataset = XLSX().create_dataset(content)
    except StopIteration:
        raise ValidationError(_("The file is empty.")) from None
    except Exception:  # a broken zip or a workbook openpyxl cannot read
        raise ValidationError(
            _("Cannot read the file as an XLSX workbook: save it from Excel again.")
        ) from None
    return dataset, list(range(2, dataset.height + 2))


def read_rows(content: bytes, kind: str) -> list[FileRow]:
    """The timetable rows of the file with their row numbers; empty rows are skipped.
    Refuses a file that cannot be read or has wrong headers, with a Russian message."""
    check_file_size(len(content))
    try:
        dataset, numbers = _csv_dataset(content) if kind == "csv" else _xlsx_dataset(content)
    except tablib.InvalidDimensions:
        raise ValidationError(
            _("Cannot read the file: its rows have different numbers of cells.")
        ) from None
    except csv.Error:
        raise ValidationError(_("Cannot read the file: it is not a valid CSV table.")) from None
    columns = _columns(dataset.headers or [])
    rows = []
    for number, values in zip(numbers, dataset, strict=True):
        cells = {
            c.key: _cell_text(values[columns[c.key]]) if c.key in columns else "" for c in COLUMNS
        }
        if not any(cells.values()):
            continue
        rows.append(FileRow(number=number, cells=cells))
    if not rows:
        raise ValidationError(_("The file has no timetable rows under the header."))
    if len(rows) > MAX_ROWS:
        raise ValidationError(
            _("The file has more than %(max)s rows; split it, e.g. by grades.") % {"max": MAX_ROWS}
        )
    return rows


def _columns(headers) -> dict[str, int]:
    """Column key → index, by the Russian (or Kazakh) headers in any order and case."""
    known = {}
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            known[_norm(name)] = column
    found: dict[str, int] = {}
    unknown, repeated = [], []
    for index, header in enumerate(headers):
        text = _cell_text(header)
        if not text:
            continue
        column = known.get(_norm(text))
        if column is None:
            unknown.append(text)
        elif column.key in found:
            repeated.append(text)
        else:
            found[column.key] = index
    problems = []
    missing = [c.header for c in COLUMNS if c.required and c.key not in found]
    if missing:
        problems.append(
            _("The header has no column %(columns)s.")
            % {"columns": ", ".join(f"«{h}»" for h in missing)}
        )
    if unknown:
        problems.append(
            _("Unknown columns: %(columns)s.") % {"columns": ", ".join(f"«{h}»" for h in unknown)}
        )
    if repeated:
        problems.append(
            _("Repeated columns: %(columns)s.") % {"columns": ", ".join(f"«{h}»" for h in repeated)}
        )
    if problems:
        problems.append(
            _("The first row must hold the column names: %(columns)s.")
            % {"columns": ", ".join(HEADERS)}
        )
        raise ValidationError(problems)
    return found


def sample_file(kind: str) -> bytes:
    """A sample file with the headers and a few rows."""
    dataset = tablib.Dataset(*SAMPLE_ROWS, headers=HEADERS)
    if kind == "xlsx":
        return XLSX().export_data(dataset)
    # a BOM and semicolons: Excel opens it in Russian without an import dialog
    return ("\ufeff" + CSV().export_data(dataset, delimiter=";")).encode("utf-8")


# ---------------------------------------------------------------------------------------
# Looking the names up


@dataclass
class Names:
    """The school's classes, groups, subjects, teachers, rooms and bells of one year, by
    the names a file may use (six queries)."""

    year: AcademicYear
    classes: dict[str, SchoolClass]
    whole_groups: dict[int, Group]
    subgroups: dict[tuple[int, int, str], Group]
    subgroups_by_name: dict[tuple[int, str], list[Group]]
    subjects_by_name: dict[str, Subject]
    subjects_by_short: dict[str, list[Subject]]
    teachers_by_login: dict[str, User]
    teachers_by_name: dict[tuple[str, ...], set[User]]
    rooms: dict[str, list[Room]]
    bells: set[tuple[int, int]]

    @classmethod
    def load(cls, school: School, year: AcademicYear) -> "Names":
        classes = list(SchoolClass.objects.filter(school=school, year=year))
        whole, subgroups, by_name = {}, {}, defaultdict(list)
        for group in Group.objects.filter(school_class__in=classes).select_related("subject"):
            if group.is_whole_class:
                whole[group.school_class_id] = group
            else:
                subgroups[(group.school_class_id, group.subject_id, _norm(group.name))] = group
                by_name[(group.school_class_id, _norm(group.name))].append(group)
        subjects_by_name, subjects_by_short = {}, defaultdict(list)
        for subject in Subject.objects.filter(school=school):
            subjects_by_name[_norm(subject.name)] = subject
            if subject.short_name:
                subjects_by_short[_norm(subject.short_name)].append(subject)
        teacher_ids = Membership.objects.filter(school=school, role__in=TEACHING_ROLES).values(
            "user"
        )
        by_login, by_person = {}, defaultdict(set)
        for user in User.objects.filter(pk__in=teacher_ids):
            by_login[user.username.casefold()] = user
            for key in _teacher_keys(user):
                by_person[key].add(user)
        rooms = defaultdict(list)
        for room in Room.objects.filter(school=school).select_related("building"):
            for key in {
                _room_key(room.number),
                _room_key(f"{room.number} {room.building.name}"),
                _room_key(f"{room.building.name} {room.number}"),
            }:
                rooms[key].append(room)
        schedules = {c.bell_schedule_id for c in classes if c.bell_schedule_id}
        bells = set(Bell.objects.filter(schedule__in=schedules).values_list("schedule", "number"))
        return cls(
            year=year,
            classes={_class_key(str(c)): c for c in classes},
            whole_groups=whole,
            subgroups=subgroups,
            subgroups_by_name=by_name,
            subjects_by_name=subjects_by_name,
            subjects_by_short=subjects_by_short,
            teachers_by_login=by_login,
            teachers_by_name=by_person,
            rooms=rooms,
            bells=bells,
        )


def _teacher_keys(user: User) -> set[tuple[str, ...]]:
    """Full name and short name (Фамилия И. О.), with and without the patronymic."""
    last, first, middle = (_norm(p) for p in (user.last_name, user.first_name, user.middle_name))
    if not last or not first:
        return set()
    keys = {(last, first), (last, first[0])}
    if middle:
        keys |= {(last, first, middle), (last, first[0], middle[0])}
    return keys


@dataclass
class RowResult:
    """One row of the file: what it says, what it was resolved to, and its errors."""

    number: int
    cells: dict[str, str]
    shown: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lessons: int = 0
    values: dict = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.errors

    def display(self) -> list[str]:
        """The cells in the columns' order, as resolved where they were."""
        return [self.shown.get(c.key, self.cells.get(c.key, "")) for c in COLUMNS]


def _resolve(row: RowResult, names: Names) -> None:
    """Fill row.values with the objects the row names, or row.errors with why not."""
    cells, errors, values, shown = row.cells, row.errors, row.values, row.shown

    school_class = None
    if not cells["school_class"]:
        errors.append(_("The class is not given."))
    else:
        school_class = names.classes.get(_class_key(cells["school_class"]))
        if school_class is None:
            errors.append(
                _("Unknown class «%(value)s»: there is no such class in the %(year)s year.")
                % {"value": cells["school_class"], "year": names.year}
            )
        else:
            shown["school_class"] = str(school_class)

    weekday = WEEKDAYS.get(_norm(cells["weekday"]).rstrip("."))
    if weekday is None:
        errors.append(
            _(
                "Unknown day of the week «%(value)s»: write a day from Monday to Saturday, "
                "its short form (Mon) or its number from 1 to 6."
            )
            % {"value": cells["weekday"]}
        )
    else:
        shown["weekday"] = Weekday(weekday).label

    number = None
    if not re.fullmatch(r"\d{1,2}", cells["number"]):
        errors.append(
            _("The lesson number «%(value)s» is not a whole number.") % {"value": cells["number"]}
        )
    else:
        number = int(cells["number"])
        if school_class is not None:
            if school_class.bell_schedule_id is None:
                errors.append(
                    _("Class %(class)s has no bell schedule; set it first.")
                    % {"class": school_class}
                )
            elif (school_class.bell_schedule_id, number) not in names.bells:
                errors.append(
                    _("The bell schedule of %(class)s has no lesson %(number)s.")
                    % {"class": school_class, "number": number}
                )

    subject = _subject(cells["subject"], names, errors)
    if subject is not None:
        shown["subject"] = subject.name

    group = None
    if school_class is not None and subject is not None:
        group = _group(cells["group"], school_class, subject, names, errors)
        if group is not None:
            shown["group"] = _("whole class") if group.is_whole_class else group.name

    teacher = _teacher(cells["teacher"], names, errors)
    if teacher is not None:
        shown["teacher"] = teacher.short_name

    room = None
    if cells["room"]:
        room = _room(cells["room"], names, errors)
        if room is not None:
            shown["room"] = str(room)

    values.update(
        school_class=school_class,
        group=group,
        subject=subject,
        teacher=teacher,
        room=room,
        weekday=weekday,
        number=number,
    )


def _subject(text: str, names: Names, errors: list[str]) -> Subject | None:
    if not text:
        errors.append(_("The subject is not given."))
        return None
    key = _norm(text)
    subject = names.subjects_by_name.get(key)
    if subject is not None:
        return subject
    found = names.subjects_by_short.get(key, [])
    if len(found) == 1:
        return found[0]
    if found:
        errors.append(
            _("«%(value)s» is the short name of several subjects: %(names)s. Write the full name.")
            % {"value": text, "names": ", ".join(s.name for s in found)}
        )
    else:
        errors.append(_("Unknown subject «%(value)s».") % {"value": text})
    return None


def _group(
    text: str, school_class: SchoolClass, subject: Subject, names: Names, errors: list[str]
) -> Group | None:
    if not text:
        group = names.whole_groups.get(school_class.pk)
        if group is None:
            errors.append(_("Class %(class)s has no whole-class group.") % {"class": school_class})
        return group
    group = names.subgroups.get((school_class.pk, subject.pk, _norm(text)))
    if group is not None:
        return group
    others = names.subgroups_by_name.get((school_class.pk, _norm(text)), [])
    if others:
        errors.append(
            _("Group «%(group)s» of %(class)s is formed for %(other)s, not for %(subject)s.")
            % {
                "group": text,
                "class": school_class,
                "other": ", ".join(g.subject.name for g in others),
                "subject": subject.name,
            }
        )
    else:
        errors.append(
            _("Class %(class)s has no group «%(group)s» for %(subject)s.")
            % {"class": school_class, "group": text, "subject": subject.name}
        )
    return None


def _teacher(text: str, names: Names, errors: list[str]) -> User | None:
    if not text:
        errors.append(_("The teacher is not given."))
        return None
    user = names.teachers_by_login.get(text.casefold())
    if user is not None:
        return user
    found = sorted(
        names.teachers_by_name.get(_person_key(text), set()),
        key=lambda u: (u.full_name, u.username),
    )
    if len(found) == 1:
        return found[0]
    if found:
        errors.append(
            _("«%(value)s» fits several teachers: %(names)s. Write the login.")
            % {
                "value": text,
                "names": ", ".join(f"{u.full_name} ({u.username})" for u in found),
            }
        )
    else:
        errors.append(
            _(
                "Unknown teacher «%(value)s»: write the login, the full name or the short "
                "name (Surname I. O.) of a teacher of the school."
            )
            % {"value": text}
        )
    return None


def _room(text: str, names: Names, errors: list[str]) -> Room | None:
    found = names.rooms.get(_room_key(text), [])
    if len(found) == 1:
        return found[0]
    if found:
        errors.append(
            _(
                "Several rooms are numbered «%(value)s» (%(buildings)s): add the building, "
                "e.g. «%(example)s»."
            )
            % {
                "value": text,
                "buildings": ", ".join(r.building.name for r in found),
                "example": f"{text} {found[0].building.name}",
            }
        )
    else:
        errors.append(_("Unknown room «%(value)s».") % {"value": text})
    return None


# ---------------------------------------------------------------------------------------
# The import


@dataclass
class ImportResult:
    starts_on: dt.date
    replace: bool
    rows: list[RowResult]
    saved: bool = False
    entries: int = 0  # weekly entries created
    lessons: int = 0  # dated lessons created
    ended: int = 0  # entries of the classes ended by "replace"
    deleted: int = 0  # dated lessons deleted by "replace"
    kept: list[Lesson] = field(default_factory=list)  # lessons holding work, left alone
    replaced_classes: list[SchoolClass] = field(default_factory=list)

    def keep(self, lessons) -> None:
        """Lessons holding work, each once: ending an entry and generating its
        successor may report the same lesson."""
        known = {lesson.pk for lesson in self.kept}
        self.kept.extend(lesson for lesson in lessons if lesson.pk not in known)

    @property
    def failed(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return not self.failed


def import_year(school: School, starts_on: dt.date) -> AcademicYear:
    year = (
        AcademicYear.objects.filter(school=school, starts_on__lte=starts_on, ends_on__gte=starts_on)
        .order_by("starts_on")
        .first()
    )
    if year is None:
        raise ValidationError(
            _("No academic year of the school contains %(date)s.")
            % {"date": date_format(starts_on)}
        )
    return year


def timetable_import(
    *,
    actor: User,
    school: School,
    content: bytes,
    kind: str,
    starts_on: dt.date,
    replace: bool = False,
    dry_run: bool = True,
) -> ImportResult:
    """Enter every row of the file from `starts_on` (R-TT-1). With `dry_run` (the preview)
    or when any row fails, everything is rolled back and the result tells each row's
    errors. A ValidationError means the file or the date cannot be used at all."""
    today = school.today()
    require_timetable_role(actor, school, today)
    if replace and starts_on < today:
        # R-TT-4: a change applies from a date forward, never to the past
        raise ValidationError(
            _("The timetable can be replaced only from today (%(date)s) or a later date.")
            % {"date": date_format(today)}
        )
    year = import_year(school, starts_on)
    file_rows = read_rows(content, kind)
    result = ImportResult(
        starts_on=starts_on,
        replace=replace,
        rows=[RowResult(number=r.number, cells=r.cells) for r in file_rows],
    )
    with transaction.atomic():
        names = Names.load(school, year)
        for row in result.rows:
            _resolve(row, names)
        if replace:
            _replace(actor, result, starts_on)
        for row in result.rows:
            if row.errors:
                continue
            try:
                change = entry_add(actor=actor, starts_on=starts_on, check_role=False, **row.values)
            except ValidationError as e:
                row.errors.extend(e.messages)
                continue
            row.lessons = change.created
            result.entries += len(change.entries)
            result.lessons += change.created
            result.keep(change.kept)
        result.saved = result.ok and not dry_run
        if not result.saved:
            transaction.set_rollback(True)
    return result


def _replace(actor: User, result: ImportResult, starts_on: dt.date) -> None:
    """End, from `starts_on`, the entries of every class named in the file (R-TT-4)."""
    classes = {
        row.values["school_class"].pk: row.values["school_class"]
        for row in result.rows
        if row.values.get("school_class") is not None
    }
    result.replaced_classes = sorted(classes.values(), key=lambda c: (c.grade, c.letter))
    entries = (
        TimetableEntry.objects.filter(school_class__in=list(classes))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
        .select_related("school")
        .order_by("pk")
    )
    for entry in entries:
        change = entry_end(actor=actor, entry=entry, from_date=starts_on, check_role=False)
        result.ended += 1
        result.deleted += change.deleted
        result.keep(change.kept)
