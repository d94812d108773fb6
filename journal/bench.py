"""The `journal` section of `manage.py bench` (schedule/management/commands/bench.py): the
teacher's journal page of a 30-student course for its current quarter against the raw SQL
of the data it shows, and the save of one mark, on a demo school with its journals.

Goals (issue 4): at most 10 queries whatever the class size, the page within 3 times the
raw SQL, page p50 ≤ 40 ms, mark save p50 ≤ 15 ms. Nothing fails on a slow run: the table
says how far a figure is from its goal."""

import datetime as dt
import math
import statistics
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Municipality, SchoolSettings, WorkType
from schedule import demo
from schedule.control_selectors import grade_periods
from schedule.management.commands.bench import Options, Row, bench_school_delete
from schedule.management.commands.seed_demo import SchoolBuilder
from schedule.models import (
    Enrolment,
    GroupMembership,
    IndividualCurriculum,
    Lesson,
    ReportingPeriod,
    TeachingLoad,
)

from .demo import journal_seed
from .models import Attendance, LessonRecord, Mark, PeriodMark
from .services.cells import mark_set

SLUG = "bench-journal"
CLASS_SIZE = 30
WARM_UPS = 3
RUNS = 30
GOAL_QUERIES = "≤ 10"
GOAL_PAGE = "≤ 40 ms"
GOAL_RATIO = "≤ 3×"
GOAL_SAVE = "≤ 15 ms"
NOT_AVAILABLE = "not available"


def _times(function: Callable[[], object], runs: int = RUNS) -> list[float]:
    """Seconds of each of `runs` calls after WARM_UPS unmeasured ones."""
    for _ in range(WARM_UPS):
        function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def _p50(times: list[float]) -> float:
    return statistics.median(times) * 1000


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)] * 1000


def _school_build(options: Options) -> SchoolBuilder:
    """A Tomsk-like demo school of about `options.students` students in classes of 30 (of
    fewer when the school is smaller than a class a grade), with its year of lessons."""
    per_grade = max(1, min(len(demo.CLASS_LETTERS), round(options.students / (11 * CLASS_SIZE))))
    per_class = max(1, min(CLASS_SIZE, round(options.students / (11 * per_grade))))
    template = demo.TEMPLATES[0]
    builder = SchoolBuilder(
        template=template,
        number=1,
        municipality=Municipality.objects.get_or_create(name=template.municipality)[0],
        seed=options.seed,
        start_year=demo.year_start_for(timezone.localdate()),
        students_per_class=per_class,
        classes_per_grade=per_grade,
        password_hash="!bench",  # no password: bench accounts cannot log in
        slug=SLUG,
    )
    with transaction.atomic():
        builder.build()
    return builder


def course_pick(school) -> TeachingLoad | None:
    """A whole-class course of at least 4 hours a week with marks (grade 2 and up), in the
    class whose size is nearest to 30, larger classes and middle grades first."""
    today = school.today()
    enrolled = Q(group__school_class__enrolments__starts_on__lte=today) & (
        Q(group__school_class__enrolments__ends_on__isnull=True)
        | Q(group__school_class__enrolments__ends_on__gte=today)
    )
    loads = (
        TeachingLoad.objects.filter(
            school=school,
            group__is_whole_class=True,
            hours_per_week__gte=4,
            group__school_class__grade__gte=2,
            subject__no_attestation=False,
        )
        .annotate(size=Count("group__school_class__enrolments", filter=enrolled))
        .select_related("group__school_class", "subject", "teacher")
    )
    return min(
        loads,
        key=lambda load: (
            abs(load.size - CLASS_SIZE),
            -load.size,
            abs(load.group.school_class.grade - 6),
            load.subject.name,
        ),
        default=None,
    )


def period_pick_current(school_class, today: dt.date) -> ReportingPeriod | None:
    """The period containing today, else the latest one begun, else the first."""
    periods = grade_periods(school_class)
    begun = [p for p in periods if p.starts_on <= today]
    return begun[-1] if begun else (periods[0] if periods else None)


def raw_sql(school_id: int, group, subject_id: int, period: ReportingPeriod) -> Callable:
    """A function fetching, with hand-written SQL, what the page shows: the course's lessons
    of the period with their records; the students of the course in the period (the class's
    enrolments, the subgroup's memberships, the individual curricula) with their names; the
    marks with their work types' weights; attendance; the period marks."""
    table = {m: m._meta.db_table for m in (Lesson, LessonRecord, Mark, Attendance, PeriodMark)}
    table.update({m: m._meta.db_table for m in (Enrolment, GroupMembership, IndividualCurriculum)})
    student, worktype = "accounts_student", WorkType._meta.db_table
    lessons_of_period = (
        f"SELECT l.id FROM {table[Lesson]} l WHERE l.group_id = %s AND l.subject_id = %s "
        "AND l.date BETWEEN %s AND %s"
    )
    course = [group.pk, subject_id, period.starts_on, period.ends_on]
    overlap = "x.starts_on <= %s AND (x.ends_on IS NULL OR x.ends_on >= %s)"
    dates = [period.ends_on, period.starts_on]
    roster = [
        f"SELECT 'e', x.student_id, x.starts_on, x.ends_on, s.last_name, s.first_name, "
        f"s.middle_name FROM {table[Enrolment]} x JOIN {student} s ON s.id = x.student_id "
        f"WHERE x.school_class_id = %s AND {overlap}"
    ]
    roster_params = [group.school_class_id, *dates]
    if not group.is_whole_class:
        roster.append(
            f"SELECT 'm', x.student_id, x.starts_on, x.ends_on, '', '', '' "
            f"FROM {table[GroupMembership]} x WHERE x.group_id = %s AND {overlap}"
        )
        roster_params += [group.pk, *dates]
    roster.append(
        f"SELECT x.kind, x.student_id, x.starts_on, x.ends_on, s.last_name, s.first_name, "
        f"s.middle_name FROM {table[IndividualCurriculum]} x "
        f"JOIN {student} s ON s.id = x.student_id "
        f"WHERE x.group_id = %s AND x.subject_id = %s AND {overlap}"
    )
    roster_params += [group.pk, subject_id, *dates]
    queries = [
        (
            f"SELECT l.id, l.date, l.number, l.starts_at, l.teacher_id, l.substitute_id, "
            f"l.is_cancelled, r.lesson_id, r.topic, r.topic_confirmed, r.homework, "
            f"r.homework_pages, r.homework_exercises, r.work_type_ids FROM {table[Lesson]} l "
            f"LEFT JOIN {table[LessonRecord]} r ON r.lesson_id = l.id "
            "WHERE l.group_id = %s AND l.subject_id = %s AND l.date BETWEEN %s AND %s "
            "ORDER BY l.date, l.starts_at, l.id",
            course,
        ),
        (" UNION ALL ".join(roster), roster_params),
        (
            f"SELECT m.id, m.lesson_id, m.student_id, m.work_type_id, m.part, m.value, "
            f"m.points, m.comment, m.version, w.weight FROM {table[Mark]} m "
            f"JOIN {worktype} w ON w.id = m.work_type_id "
            f"WHERE m.lesson_id IN ({lessons_of_period})",
            course,
        ),
        (
            f"SELECT a.id, a.lesson_id, a.student_id, a.kind, a.version "
            f"FROM {table[Attendance]} a WHERE a.lesson_id IN ({lessons_of_period})",
            course,
        ),
        (
            f"SELECT p.id, p.student_id, p.value, p.points, p.version FROM {table[PeriodMark]} p "
            "WHERE p.school_id = %s AND p.subject_id = %s AND p.kind = 'period' "
            "AND p.period_id = %s",
            [school_id, subject_id, period.pk],
        ),
    ]

    def fetch() -> list[int]:
        with connection.cursor() as cursor:
            sizes = []
            for sql, params in queries:
                cursor.execute(sql, params)
                sizes.append(len(cursor.fetchall()))
            return sizes

    return fetch


def section_journal(options: Options) -> list[Row]:
    """R-MRK, R-ATT, R-FIN on the journal page and the cell save (see the module's doc)."""
    bench_school_delete(SLUG)
    options.say(f"journal: building {SLUG} (about {options.students} students)...")
    started = time.perf_counter()
    builder = _school_build(options)
    build_time = time.perf_counter() - started
    school = builder.school
    options.say("journal: writing its demo journals...")
    started = time.perf_counter()
    totals = journal_seed(schools=[school], seed=options.seed)
    seed_time = time.perf_counter() - started
    rows = [
        Row("journal: school built", len(builder.kids), "students", ""),
        Row("journal: building the school and its lessons", build_time, "s", ""),
        Row("journal: demo journals of the school (seed_demo)", seed_time, "s", ""),
        Row("journal: marks in the school", totals.marks, "marks", ""),
    ]
    load = course_pick(school)
    period = load and period_pick_current(load.group.school_class, school.today())
    if load is None or period is None:
        rows.append(Row("journal: no whole-class course of 4+ hours to measure", 0, "", ""))
        if not options.keep:
            bench_school_delete(SLUG)
        return rows
    group, subject, teacher = load.group, load.subject, load.teacher
    options.say(
        f"journal: {group.school_class} {subject.name}, {period}, teacher {teacher.username}"
    )
    lesson_ids = list(
        Lesson.objects.filter(
            group=group, subject=subject, date__range=(period.starts_on, period.ends_on)
        ).values_list("pk", flat=True)
    )
    rows += [
        Row("journal: students in the course measured", load.size, "students", "30"),
        Row("journal: its lessons in the period", len(lesson_ids), "lessons", ""),
        Row(
            "journal: its marks in the period",
            Mark.objects.filter(lesson__in=lesson_ids).count(),
            "marks",
            "",
        ),
    ]
    # a cell stays open for the saves whatever the day of the run: the bench school's own
    SchoolSettings.objects.filter(school=school).update(
        edit_window_days=SchoolSettings.EditWindow.NEVER_LOCKED
    )
    school.settings.refresh_from_db()
    with override_settings(
        # sessions in the cache, as in production and in the query-count tests
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
        ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
    ):
        client = Client()
        client.force_login(teacher)
        rows += _page_rows(client, school, group, subject, period)
        rows += _save_rows(client, school, group, subject, teacher)
    if not options.keep:
        bench_school_delete(SLUG)
    return rows


def _page_rows(client, school, group, subject, period) -> list[Row]:
    fetch = raw_sql(school.pk, group, subject.pk, period)
    raw = _p50(_times(fetch))
    rows = [Row("journal: raw SQL of the page's data, p50", raw, "ms", "")]
    try:
        url = reverse("journal_course", args=[school.slug, group.pk, subject.pk])
    except NoReverseMatch:
        return rows + [Row("journal: page GET (journal_course)", NOT_AVAILABLE, "", GOAL_PAGE)]
    url += f"?period={period.pk}"
    response = client.get(url)
    if response.status_code != 200:
        return rows + [
            Row(f"journal: page GET answers {response.status_code}", NOT_AVAILABLE, "", "")
        ]
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries)  # now: the log it reads is a bounded deque
    times = _times(lambda: client.get(url))
    page = _p50(times)
    return rows + [
        Row("journal: page GET, p50 of 30", page, "ms", GOAL_PAGE),
        Row("journal: page GET, p95 of 30", _p95(times), "ms", ""),
        Row("journal: page queries (the user's included)", count, "queries", GOAL_QUERIES),
        Row("journal: page / raw SQL", page / raw if raw else 0.0, "×", GOAL_RATIO),
    ]


def _save_rows(client, school, group, subject, teacher) -> list[Row]:
    """One mark of the latest lesson held, changed back and forth between two values (each
    save a real change, with its history entry): by the service and by the cell's POST."""
    now = timezone.now()
    mark = (
        Mark.objects.filter(
            lesson__group=group,
            lesson__subject=subject,
            lesson__is_cancelled=False,
            lesson__date__lte=school.today(),
            points__isnull=False,
        )
        .select_related(
            "lesson__school_class", "lesson__subject", "lesson__group", "work_type", "student"
        )
        .order_by("-lesson__date", "-lesson__starts_at", "pk")
        .first()
    )
    if mark is None or dt.datetime.combine(mark.lesson.date, mark.lesson.starts_at, school.tz) > (
        now
    ):
        return [Row("journal: mark save (no mark to change)", NOT_AVAILABLE, "", GOAL_SAVE)]
    lesson, student, work_type = mark.lesson, mark.student, mark.work_type
    lesson.school = school
    # two values, neither the current one: every save changes the cell
    values = [v for v in ("4", "5", "3") if v != mark.value][:2]
    turn = {"n": -1}

    def value() -> str:
        turn["n"] += 1
        return values[turn["n"] % 2]

    def service():
        mark_set(
            actor=teacher,
            lesson=lesson,
            student=student,
            work_type=work_type,
            part=mark.part,
            value=value(),
            expected=None,
        )

    service_p50 = _p50(_times(service))
    rows = [Row("journal: mark save, service mark_set, p50 of 30", service_p50, "ms", GOAL_SAVE)]
    try:
        url = reverse("journal_cell", args=[school.slug, lesson.pk])
    except NoReverseMatch:
        return rows + [Row("journal: mark save, POST journal_cell", NOT_AVAILABLE, "", GOAL_SAVE)]

    def post():
        current = Mark.objects.get(pk=mark.pk)  # the cell's token, as the page had it
        data = {
            "student": student.pk,
            "work_type": work_type.pk,
            "part": mark.part,
            "value": value(),
            "comment": "",
            "mark_token": f"{current.pk}.{current.version}",
            "att_token": "",
            "first": "1",
        }
        started = time.perf_counter()
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        elapsed = time.perf_counter() - started
        return response, elapsed, current.version

    response, _elapsed, version = post()
    saved = Mark.objects.get(pk=mark.pk).version == version + 1
    if response.status_code != 200 or not saved:
        return rows + [
            Row(
                f"journal: mark save, POST journal_cell ({response.status_code}, not saved)",
                NOT_AVAILABLE,
                "",
                GOAL_SAVE,
            )
        ]
    for _ in range(WARM_UPS):
        post()
    times = [post()[1] for _ in range(RUNS)]
    current = Mark.objects.get(pk=mark.pk)
    with CaptureQueriesContext(connection) as queries:
        client.post(
            url,
            {
                "student": student.pk,
                "work_type": work_type.pk,
                "part": mark.part,
                "value": value(),
                "comment": "",
                "mark_token": f"{current.pk}.{current.version}",
                "att_token": "",
                "first": "1",
            },
            HTTP_HX_REQUEST="true",
        )
    count = len(queries)
    return rows + [
        Row(
            "journal: mark save, POST journal_cell (htmx), p50 of 30", _p50(times), "ms", GOAL_SAVE
        ),
        Row("journal: mark save, POST journal_cell, p95 of 30", _p95(times), "ms", ""),
        Row("journal: mark save, POST queries", count, "queries", ""),
    ]
