"""Import of a course's lesson plan (КТП) from a CSV or XLSX file (R-PLAN-1).

Each row is one planned topic: its number, the topic, its hours, optionally a work type (by
name or code) and the planned homework. The header row may come after a few title rows (a
КТП usually starts with its title); columns the import does not know (a date, a note) are
left out and named in the preview. Every row is checked (a missing topic, bad hours, an
unknown work type, a repeated number) with its errors in Russian.

The import is all or none and runs like the timetable's (schedule/timetable_import.py): the
preview is the real import — the plan saved and, when asked, the lessons filled — rolled
back; the confirmation imports exactly the previewed file.

Re-importing: the file is the whole plan. Items are matched by number: the same number is
updated in place (lessons linked to it keep the link), new numbers are added, numbers no
longer in the file are deleted. Lessons whose topic the teacher confirmed keep it; the fill
that follows replaces or withdraws only the unconfirmed proposals (journal/services/plans.py).
"""

import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import WorkType
from schedule.timetable_import import _cell_text, _decode, _delimiter, _norm, file_kind

from .services.lessons import HOMEWORK_MAX, TOPIC_MAX
from .services.plans import FillResult, ItemRow, PlanSave, plan_check, plan_fill, plan_save

__all__ = ["file_kind", "plan_import", "read_rows", "sample_file"]

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
MAX_HOURS = 50
HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as written in the file: the format is fixed, not translated
    required: bool
    aliases: tuple[str, ...] = ()  # other usual spellings and the Kazakh headers


COLUMNS = (
    Column("number", "№", True, ("Номер", "№ урока", "Номер урока", "№ п/п", "Нөмірі", "Реті")),
    Column("topic", "Тема", True, ("Тема урока", "Тақырып", "Сабақтың тақырыбы")),
    Column(
        "hours",
        "Часы",
        False,
        ("Часов", "Кол-во часов", "Количество часов", "Сағат", "Сағат саны"),
    ),
    Column(
        "work_type",
        "Вид работы",
        False,
        ("Вид работ", "Виды работ", "Тип работы", "Жұмыс түрі"),
    ),
    Column(
        "homework",
        "Домашнее задание",
        False,
        ("ДЗ", "Д/з", "Д/З", "Домашнее задание (план)", "Үй тапсырмасы", "Үй жұмысы"),
    ),
)
HEADERS = [column.header for column in COLUMNS]

SAMPLE_ROWS = [
    [1, "Натуральные числа и нуль", 1, "", "§1, № 5, 7"],
    [2, "Сложение и вычитание натуральных чисел", 2, "Ответ на уроке", "§2, № 31–35"],
    [3, "Самостоятельная работа по теме «Сложение и вычитание»", 1, "independent", ""],
    [4, "Умножение натуральных чисел", 2, "", "§3, № 60"],
    [5, "Контрольная работа № 1", 1, "Контрольная работа", ""],
]


# ---------------------------------------------------------------------------------------
# Reading the file


@dataclass
class FileRow:
    number: int  # the row number a spreadsheet shows
    cells: dict[str, str]


@dataclass
class FileTable:
    rows: list[FileRow]
    ignored: list[str]  # headers of columns left out


def check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)s MB: a lesson plan is much smaller.")
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )


def _csv_records(content: bytes) -> list[tuple[int, list]]:
    text = _decode(content).replace("\r\n", "\n").replace("\r", "\n")
    try:
        records = list(csv.reader(io.StringIO(text), delimiter=_delimiter(text)))
    except csv.Error:
        raise ValidationError(_("Cannot read the file: it is not a valid CSV table.")) from None
    return list(enumerate(records, start=1))


def _xlsx_records(content: bytes) -> list[tuple[int, list]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # a broken zip or a workbook openpyxl cannot read
        raise ValidationError(
            _("Cannot read the file as an XLSX workbook: save it from Excel again.")
        ) from None
    try:
        sheet = book.worksheets[0]
        records = [
            (number, list(values))
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            if number <= MAX_ROWS + HEADER_SEARCH_ROWS + 1
        ]
    finally:
        book.close()
    return records


def _known_headers() -> dict[str, Column]:
    known = {}
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            known[_norm(name)] = column
    return known


def _header_at(records) -> tuple[int, dict[str, int], list[str]]:
    """The index of the header among the first rows, its columns and the ignored ones: the
    first row naming both the number and the topic."""
    known = _known_headers()
    for index, (_number, record) in enumerate(records[:HEADER_SEARCH_ROWS]):
        found, ignored = {}, []
        for position, header in enumerate(record):
            text = _cell_text(header)
            if not text:
                continue
            column = known.get(_norm(text))
            if column is None or column.key in found:
                ignored.append(text)
            else:
                found[column.key] = position
        if all(c.key in found for c in COLUMNS if c.required):
            return index, found, ignored
    raise ValidationError(
        [
            _("The file has no header row with the columns «№» and «Тема»."),
            _("The header must hold the column names: %(columns)s.")
            % {"columns": ", ".join(f"«{h}»" for h in HEADERS)},
        ]
    )


def read_rows(content: bytes, kind: str) -> FileTable:
    """The plan rows of the file with their row numbers; empty rows are skipped. Refuses
    a file that cannot be read or has no header, with a Russian message."""
    check_file_size(len(content))
    records = _csv_records(content) if kind == "csv" else _xlsx_records(content)
    if not any(any(_cell_text(v) for v in record) for _n, record in records):
        raise ValidationError(_("The file is empty."))
    index, columns, ignored = _header_at(records)
    rows = []
    for number, record in records[index + 1 :]:
        cells = {
            c.key: _cell_text(record[columns[c.key]])
            if c.key in columns and columns[c.key] < len(record)
            else ""
            for c in COLUMNS
        }
        if not any(cells.values()):
            continue
        rows.append(FileRow(number=number, cells=cells))
    if not rows:
        raise ValidationError(_("The file has no plan rows under the header."))
    if len(rows) > MAX_ROWS:
        raise ValidationError(
            _("The file has more than %(max)s rows: is it the plan of one course?")
            % {"max": MAX_ROWS}
        )
    return FileTable(rows=rows, ignored=ignored)


def sample_file(kind: str) -> bytes:
    """A sample plan with the headers and a few rows."""
    if kind == "xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.title = "КТП"
        sheet.append(HEADERS)
        for row in SAMPLE_ROWS:
            sheet.append(row)
        sheet.column_dimensions["B"].width = 60
        sheet.column_dimensions["D"].width = 22
        sheet.column_dimensions["E"].width = 30
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(SAMPLE_ROWS)
    # a BOM and semicolons: Excel opens it in Russian without an import dialog
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ---------------------------------------------------------------------------------------
# Checking the rows


@dataclass
class RowResult:
    number: int
    cells: dict[str, str]
    errors: list[str] = field(default_factory=list)
    item: ItemRow | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def display(self) -> list[str]:
        shown = dict(self.cells)
        if self.item is not None:
            shown["hours"] = str(self.item.hours)
            shown["work_type"] = self.item.work_type.name if self.item.work_type else ""
        return [shown.get(c.key, "") for c in COLUMNS]


def _work_types(school_id: int) -> dict[str, WorkType]:
    by_name = {}
    for work_type in WorkType.objects.filter(school=school_id):
        by_name[_norm(work_type.code)] = work_type
        by_name[_norm(work_type.name)] = work_type
    return by_name


def _check(row: RowResult, work_types: dict[str, WorkType], seen: dict[int, int]) -> None:
    cells, errors = row.cells, row.errors
    number = None
    text = cells["number"].rstrip(".")
    if not text:
        errors.append(_("The number is not given."))
    elif not re.fullmatch(r"\d{1,4}", text) or int(text) < 1:
        errors.append(
            _("The number «%(value)s» is not a whole number from 1.") % {"value": cells["number"]}
        )
    else:
        number = int(text)
        if number in seen:
            errors.append(
                _("Number %(number)s is repeated: row %(row)s has it too.")
                % {"number": number, "row": seen[number]}
            )
        else:
            seen[number] = row.number
    topic = cells["topic"]
    if not topic:
        errors.append(_("The topic is not given."))
    elif len(topic) > TOPIC_MAX:
        errors.append(_("The topic is longer than %(max)s characters.") % {"max": TOPIC_MAX})
    hours = 1
    if cells["hours"]:
        text = cells["hours"].replace(",", ".")
        if re.fullmatch(r"\d{1,3}(\.0+)?", text) and 1 <= int(float(text)) <= MAX_HOURS:
            hours = int(float(text))
        else:
            errors.append(
                _("The hours «%(value)s» are not a whole number from 1 to %(max)s.")
                % {"value": cells["hours"], "max": MAX_HOURS}
            )
    work_type = None
    if cells["work_type"]:
        work_type = work_types.get(_norm(cells["work_type"]))
        if work_type is None:
            names = sorted({w.name for w in work_types.values()})
            errors.append(
                _("Unknown work type «%(value)s»; the school's work types: %(names)s.")
                % {"value": cells["work_type"], "names": ", ".join(names)}
            )
    homework = cells["homework"]
    if len(homework) > HOMEWORK_MAX:
        errors.append(
            _("The planned homework is longer than %(max)s characters.") % {"max": HOMEWORK_MAX}
        )
    if not errors:
        row.item = ItemRow(
            number=number, topic=topic, hours=hours, work_type=work_type, homework=homework
        )


# ---------------------------------------------------------------------------------------
# The import


@dataclass
class ImportResult:
    rows: list[RowResult]
    ignored: list[str]
    fill: bool
    saved: bool = False
    plan: PlanSave | None = None
    filled: FillResult | None = None

    @property
    def failed(self) -> list[RowResult]:
        return [row for row in self.rows if row.errors]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def hours(self) -> int:
        return sum(row.item.hours for row in self.rows if row.item is not None)


def plan_import(
    *,
    actor,
    school,
    group,
    subject,
    content: bytes,
    kind: str,
    file_name: str,
    fill: bool = True,
    dry_run: bool = True,
    ip: str | None = None,
) -> ImportResult:
    """Load the plan of the course (group × subject) for its class's year (R-PLAN-1) and,
    with `fill`, put its topics into the course's lessons (R-PLAN-2). With `dry_run` (the
    preview) or when any row fails, everything is rolled back. A ValidationError means the
    file cannot be used at all; a Refusal, that the actor may not load this plan."""
    plan_check(actor, school, group.pk, subject.pk)
    table = read_rows(content, kind)
    result = ImportResult(
        rows=[RowResult(number=r.number, cells=r.cells) for r in table.rows],
        ignored=table.ignored,
        fill=fill,
    )
    work_types = _work_types(school.pk)
    seen: dict[int, int] = {}
    for row in result.rows:
        _check(row, work_types, seen)
    if not result.ok:
        return result
    with transaction.atomic():
        result.plan = plan_save(
            actor=actor,
            school=school,
            year=group.school_class.year,
            group=group,
            subject=subject,
            items=[row.item for row in result.rows],
            file_name=file_name,
        )
        if fill:
            result.filled = plan_fill(actor=actor, plan=result.plan.plan, ip=ip, check_role=False)
        result.saved = not dry_run
        if dry_run:
            transaction.set_rollback(True)
    return result
