"""`manage.py bench`: measures jobs and pages on generated data and prints one table of
name, value, unit and goal. A benchmark, not a test: the figures depend on the machine, so
nothing here fails on a slow run; the goal column says what "fast enough" means.

Each section builds the data it needs in a school of its own (slug `bench-<section>`,
deleted first if present, and at the end unless --keep) with the demo generator, so that a
run never touches other schools. Sections are functions registered in SECTIONS; later ones
(the journal, the diary) add themselves there and are chosen with --only."""

import math
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import django
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Municipality, School, User
from schedule import demo
from schedule.models import Lesson, TimetableEntry
from schedule.services.timetable import entry_clashes, year_lessons_generate

from .seed_demo import SchoolBuilder, schools_delete


@dataclass
class Row:
    name: str
    value: float | int | str
    unit: str = ""
    goal: str = ""


@dataclass
class Options:
    students: int
    seed: int
    keep: bool
    say: Callable[[str], None]


def bench_school_delete(slug: str) -> None:
    """The bench school with everything in it, and its people."""
    schools_delete(list(School.objects.filter(slug=slug).values_list("pk", flat=True)))
    User.objects.filter(username__startswith=f"{slug}.").delete()
    User.objects.filter(username__startswith=f"{slug}-").delete()


def bench_school_build(slug: str, options: Options, *, dated_lessons: bool) -> SchoolBuilder:
    """A school of about `options.students` students: 25 a class, classes_per_grade as
    needed, one Tomsk-like school of the demo with its timetable."""
    per_grade = max(1, min(len(demo.CLASS_LETTERS), round(options.students / (11 * 25))))
    per_class = max(1, round(options.students / (11 * per_grade)))
    template = demo.TEMPLATES[0]
    municipality = Municipality.objects.get_or_create(name=template.municipality)[0]
    builder = SchoolBuilder(
        template=template,
        number=1,
        municipality=municipality,
        seed=options.seed,
        start_year=demo.year_start_for(timezone.localdate()),
        students_per_class=per_class,
        classes_per_grade=per_grade,
        # the hash of no password: bench accounts cannot log in
        password_hash="!bench",
        slug=slug,
        dated_lessons=dated_lessons,
    )
    with transaction.atomic():
        builder.build()
    return builder


def _timed(function, repeat: int = 1) -> tuple[float, object]:
    """The median time of `repeat` calls in seconds, and the last call's result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def section_lessons(options: Options) -> list[Row]:
    """R-TT-2: the dated lessons of a whole year from the weekly timetable of a school of
    1,000 students (goal: under 10 s), and one clash check of the weekly timetable."""
    slug = "bench-lessons"
    bench_school_delete(slug)
    options.say(f"lessons: building {slug} (about {options.students} students)...")
    build_time, builder = _timed(lambda: bench_school_build(slug, options, dated_lessons=False))
    year = builder.year
    # the builder made none; should that change, the measure is still the generation alone
    Lesson.objects.filter(school=builder.school).delete()
    options.say("lessons: generating the dated lessons of the year...")
    seconds, created = _timed(lambda: year_lessons_generate(year=year))
    weeks = math.ceil(((year.ends_on - year.starts_on).days + 1) / 7)

    # an entry of the middle of the week, in the first shift's busiest hour
    entry = (
        TimetableEntry.objects.filter(school=builder.school, weekday=3, number=3)
        .select_related("group")
        .order_by("school_class__grade", "school_class__letter", "group__name")
        .first()
    )
    rows = [
        Row("lessons: school built", len(builder.kids), "students", ""),
        Row("lessons: classes", len(builder.classes), "classes", ""),
        Row("lessons: building the school (demo generator)", build_time, "s", ""),
        Row("lessons: weekly timetable", builder.entry_count, "entries", ""),
        Row("lessons: weekly lessons left unplaced", builder.unplaced, "lessons", "0"),
        Row("lessons: year", weeks, "weeks", ""),
        Row("lessons: dated lessons created", created, "lessons", ""),
        Row("lessons: generation of the year's lessons", seconds, "s", "< 10 s"),
        Row("lessons: generation rate", created / seconds if seconds else 0, "lessons/s", ""),
    ]
    if entry is not None:
        clash_time, clashes = _timed(lambda: entry_clashes(entry), repeat=5)
        rows += [
            Row("lessons: entry_clashes, one entry (median of 5)", clash_time * 1000, "ms", ""),
            Row("lessons: clashes found for that entry", len(clashes), "clashes", "0"),
        ]
    if not options.keep:
        bench_school_delete(slug)
    return rows


def section_journal(options: Options) -> list[Row]:
    """The teacher's journal page and a mark's save (issue 4): see journal/bench.py."""
    from journal.bench import section_journal  # the journal builds on schedule, not back

    return section_journal(options)


def section_diary(options: Options) -> list[Row]:
    """A parent's diary week, by the test client and through gunicorn (issue 5): see
    diary/bench.py."""
    from diary.bench import section_diary

    return section_diary(options)


def section_deadlines(options: Options) -> list[Row]:
    """The deadlines dispatcher's sweep over 1,000 schools (issue 6): see
    notifications/deadlines/bench.py."""
    from notifications.deadlines.bench import section_deadlines

    return section_deadlines(options)


def section_reports(options: Options) -> list[Row]:
    """The Friday parent reports of a ~1,000-student school, PDFs per second (issue 6): see
    reports/bench.py."""
    from reports.bench import section_reports

    return section_reports(options)


SECTIONS: dict[str, Callable[[Options], list[Row]]] = {
    "lessons": section_lessons,
    "journal": section_journal,
    "diary": section_diary,
    "deadlines": section_deadlines,
    "reports": section_reports,
}


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", " ")
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ")
    return str(value)


class Command(BaseCommand):
    help = (
        "Бенчмарк: строит данные в отдельной школе и печатает таблицу измерений "
        "(название, значение, единица, цель). Разделы: " + ", ".join(SECTIONS) + "."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            action="append",
            choices=list(SECTIONS),
            metavar="SECTION",
            help="только этот раздел (можно повторять): " + ", ".join(SECTIONS),
        )
        parser.add_argument(
            "--students",
            type=int,
            default=1000,
            help="учеников в школе раздела (по умолчанию 1000)",
        )
        parser.add_argument("--seed", type=int, default=1, help="начальное число генератора")
        parser.add_argument(
            "--keep", action="store_true", help="оставить школы бенчмарка после замеров"
        )

    def handle(self, *args, **options):
        if options["students"] < 1:
            raise CommandError("--students: нужен хотя бы один ученик.")
        sections = options["only"] or list(SECTIONS)
        run = Options(
            students=options["students"],
            seed=options["seed"],
            keep=options["keep"],
            say=lambda text: self.stderr.write(text) if options["verbosity"] > 1 else None,
        )
        self._header(sections)
        rows: list[Row] = []
        for name in dict.fromkeys(sections):
            rows += SECTIONS[name](run)
        self._table(rows)

    def _header(self, sections: list[str]) -> None:
        vendor = connection.vendor
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()" if vendor == "postgresql" else "SELECT 1")
            version = cursor.fetchone()[0]
        database = (
            str(version).split(" on ")[0] if vendor == "postgresql" else f"SQLite {_sqlite()}"
        )
        self.stdout.write(f"Otmetka benchmark, {timezone.localtime():%Y-%m-%d %H:%M %Z}")
        self.stdout.write(
            f"{database}; Python {platform.python_version()}, Django {django.get_version()}; "
            f"sections: {', '.join(dict.fromkeys(sections))}"
        )
        self.stdout.write("")

    def _table(self, rows: list[Row]) -> None:
        table = [("name", "value", "unit", "goal")]
        table += [(r.name, _format(r.value), r.unit, r.goal) for r in rows]
        widths = [max(len(line[i]) for line in table) for i in range(4)]
        for n, line in enumerate(table):
            cells = [
                line[0].ljust(widths[0]),
                line[1].rjust(widths[1]),
                line[2].ljust(widths[2]),
                line[3].ljust(widths[3]),
            ]
            self.stdout.write("  ".join(cells).rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))


def _sqlite() -> str:
    import sqlite3

    return sqlite3.sqlite_version
