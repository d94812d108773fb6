"""The HTML of a grid cell, built in Python: a quarter's page of a 30-student course has
over a thousand cells, and a template include per cell cost ~0.5 ms each (four fifths of
the page's time). The page and the answer to a cell's save both use this one function, so
they cannot drift apart."""

from html import escape
from urllib.parse import quote

from django.urls import reverse
from django.utils.formats import localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .grid_selectors import Cell

ATTENDANCE_LETTERS = {"absent": "н", "late": "оп"}


# a parent's pre-filled absence (R-ATT-4) until the teacher confirms or removes it
PENDING_STYLE = "opacity:.75;font-style:italic;border-bottom:1px dashed currentColor"


def _pending_title(attendance) -> str:
    """«Заявлено родителем: <reason>», the reason when it was read with the row (the grid
    reads it; a model instance only when its notice is loaded: no query per cell)."""
    from .models import AbsenceNotice, Attendance

    reason = getattr(attendance, "notice_reason", None)
    if (
        reason is None
        and isinstance(attendance, Attendance)
        and Attendance.notice.is_cached(attendance)
        and attendance.notice is not None
    ):
        reason = attendance.notice.reason
    if reason in AbsenceNotice.Reason.values:
        return _("Reported by a parent: %(reason)s") % {
            "reason": AbsenceNotice.Reason(reason).label
        }
    return _("Reported by a parent")


class CellUrls:
    """URLs reversed once per page, not per cell."""

    def __init__(self, school_slug: str):
        self.cell = reverse("journal_cell", args=[school_slug, 0]).replace("/0/", "/{}/")
        self.correction = reverse("journal_correction_new", args=[school_slug])


def cell_html(cell: Cell, urls: CellUrls, *, editable: bool, oob: bool = False) -> SafeString:
    column, student = cell.column, cell.student
    lesson_id = column.lesson.pk
    classes = ["cell"]
    if not cell.active:
        classes.append("out")
    if column.first:
        classes.append("first")
    if column.last:
        classes.append("last")
    if cell.error:
        classes.append("refused")
    mark, attendance = cell.mark, cell.attendance
    if mark is not None and mark.comment:
        classes.append("commented")
    attrs = [f'id="{cell.id}"', f'class="{" ".join(classes)}"']
    inner = ""
    if cell.active:
        mark_token = f"{mark.pk}.{mark.version}" if mark else ""
        att_token = f"{attendance.pk}.{attendance.version}" if attendance else ""
        attrs.append(
            f'data-lesson="{lesson_id}" data-student="{student.pk}" '
            f'data-wt="{column.work_type.pk}" data-part="{column.part}" '
            f'data-first="{1 if column.first else 0}" data-mark-token="{mark_token}" '
            f'data-att-token="{att_token}" data-value="{escape(mark.value) if mark else ""}" '
            f'data-comment="{escape(mark.comment) if mark else ""}"'
        )
        if editable:
            attrs.append('data-edit="1"')
        content = ""
        if column.first and attendance is not None:
            kind = attendance.kind
            letter = ATTENDANCE_LETTERS.get(kind, "")
            if getattr(attendance, "pending", False):
                title = escape(_pending_title(attendance))
                content += (
                    f'<span class="att {kind} pending" title="{title}" '
                    f'style="{PENDING_STYLE}">{letter}</span>'
                )
            else:
                title = escape(str(attendance.get_kind_display()))
                content += f'<span class="att {kind}" title="{title}">{letter}</span>'
        if mark is not None:
            title = f' title="{escape(mark.comment)}"' if mark.comment else ""
            points = mark.points if mark.points is not None else "x"
            content += f'<span class="mark p{points}"{title}>{escape(mark.value)}</span>'
        if editable:
            href = (
                f"{urls.cell.format(lesson_id)}?student={student.pk}"
                f"&amp;work_type={column.work_type.pk}&amp;part={column.part}"
            )
            content = f'<a class="cell-link" href="{href}" tabindex="-1">{content}</a>'
        inner = content
    attrs.append('tabindex="-1"')
    if oob:
        attrs.append('hx-swap-oob="true"')
    if cell.error:
        link = ""
        if cell.locked_error:
            link = (
                f' <a href="{urls.correction}?lesson={lesson_id}&amp;student={student.pk}'
                f"&amp;work_type={column.work_type.pk}&amp;part={column.part}"
                f'&amp;kind={cell.correction_kind}&amp;value={escape(quote(cell.value_tried))}">'
                f"{escape(_('Ask for a correction'))}</a>"
            )
        inner += (
            f'<div class="cell-error" role="alert" data-testid="cell-error">'
            f"{escape(cell.error)}{link}</div>"
        )
    return mark_safe(f"<td {' '.join(attrs)}>{inner}</td>")  # noqa: S308  every value escaped


def row_cells_html(cells: list[Cell], urls: CellUrls) -> SafeString:
    return mark_safe(  # noqa: S308  built by cell_html
        "".join(cell_html(cell, urls, editable=cell.column.editable) for cell in cells)
    )


def averages_html(student_id: int, averages, *, oob: bool = False) -> SafeString:
    swap = ' hx-swap-oob="true"' if oob else ""
    explanation = escape(averages.explanation) if averages else ""

    def number(value) -> str:
        return "" if value is None else escape(localize(value))

    simple = number(averages.simple) if averages else ""
    weighted = number(averages.weighted) if averages else ""
    suggested = escape(averages.suggested) if averages else ""
    return mark_safe(  # noqa: S308  every value escaped
        f'<td id="avg-s-{student_id}" class="avg"{swap}>{simple}</td>'
        f'<td id="avg-w-{student_id}" class="avg" title="{explanation}"{swap}>{weighted}</td>'
        f'<td id="avg-f-{student_id}" class="avg forecast" title="{explanation}"{swap}>'
        f"{suggested}</td>"
    )


class PeriodCellContext:
    """What every period cell of a page shares."""

    def __init__(self, url: str, period_id: int, csrf_token: str, can_set: bool):
        self.url, self.period_id, self.csrf_token, self.can_set = (
            url,
            period_id,
            csrf_token,
            can_set,
        )


def period_cell_html(
    shared: PeriodCellContext,
    student_id: int,
    period_mark,
    warnings: list[str],
    *,
    error: str = "",
    notices: tuple = (),
    oob: bool = False,
) -> SafeString:
    value = escape(period_mark.value) if period_mark else ""
    token = f"{period_mark.pk}.{period_mark.version}" if period_mark else ""
    attrs = f'id="pm-{student_id}" class="pcell{" refused" if error else ""}" tabindex="-1"'
    form = ""
    if shared.can_set:
        attrs += (
            f' data-edit="1" data-period-url="{shared.url}" data-period="{shared.period_id}"'
            f' data-student="{student_id}" data-token="{token}"'
        )
        form = (
            f'<form method="post" action="{shared.url}" class="nojs-form">'
            f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(shared.csrf_token)}">'
            f'<input type="hidden" name="period" value="{shared.period_id}">'
            f'<input type="hidden" name="student" value="{student_id}">'
            f'<input type="hidden" name="token" value="{token}">'
            f'<input name="value" size="3" value="{value}" '
            f'aria-label="{escape(_("period mark"))}"><button type="submit">OK</button></form>'
        )
    extra = "".join(f'<div class="cell-notice">{escape(str(n))}</div>' for n in notices)
    if error:
        extra += (
            f'<div class="cell-error" role="alert" data-testid="cell-error">{escape(error)}</div>'
        )
    swap = ' hx-swap-oob="true"' if oob else ""
    signs = "".join(f'<span class="warn" title="{escape(str(w))}">⚠</span>' for w in warnings)
    return mark_safe(  # noqa: S308  every value escaped
        f'<td {attrs}><span class="mark">{value}</span>{form}{extra}</td>'
        f'<td id="pw-{student_id}" class="warnings"{swap}>{signs}</td>'
    )


def row_html(row, urls: CellUrls, period_shared: PeriodCellContext) -> SafeString:
    """One student's row of the grid."""
    student = row.student
    return mark_safe(  # noqa: S308  built from escaped parts
        f'<tr data-student="{student.pk}"><td class="num">{row.number}</td>'
        f'<th class="name" scope="row">{escape(student.short_name)}</th>'
        f"{row_cells_html(row.cells, urls)}"
        f"{averages_html(student.pk, row.averages)}"
        f"{period_cell_html(period_shared, student.pk, row.period_mark, row.warnings)}</tr>"
    )


def header_rows_html(columns, school_slug: str, register_due=frozenset()) -> SafeString:
    """The day row and the work-type row of the grid's head. The lessons of
    `register_due` (today's, started, attendance not marked: R-ATT-1) are flagged."""
    lesson_url = reverse("journal_lesson", args=[school_slug, 0]).replace("/0/", "/{}/")
    no_topic = escape(_("no topic yet"))
    replacement = escape(_("replacement"))
    weight = escape(_("weight"))
    not_marked = escape(_("Attendance not marked"))
    days, types = [], []
    for column in columns:
        lesson, work_type = column.lesson, column.work_type
        if column.first:
            record = _record(lesson)
            topic = escape(record.topic) if record is not None and record.topic else no_topic
            cancelled = " cancelled" if lesson.is_cancelled else ""
            sub = f'<sup title="{replacement}">з</sup>' if lesson.substitute_id else ""
            due = ""
            if lesson.pk in register_due:
                due = f'<sup class="no-register" title="{not_marked}" data-register-due>!</sup>'
            days.append(
                f'<th class="day{cancelled}" colspan="{column.span}" '
                f'data-lesson-head="{lesson.pk}"><a href="{lesson_url.format(lesson.pk)}" '
                f'title="{topic}">{lesson.date:%d}</a>{sub}{due}</th>'
            )
        name = escape(work_type.name)
        part = str(column.part) if work_type.double_mark else ""
        first = " first" if column.first else ""
        types.append(
            f'<th class="wt{first}" title="{name} ({weight} {escape(localize(work_type.weight))})">'
            f"{escape(work_type.name[:3])}{part}</th>"
        )
    return mark_safe(  # noqa: S308  every value escaped
        f"<tr>{''.join(days)}</tr><tr>{''.join(types)}</tr>"
    )


def _record(lesson):
    """The record select_related found, or None, without raising for lessons that have
    none (and without a query for lessons read without it)."""
    return lesson._state.fields_cache.get("record")
