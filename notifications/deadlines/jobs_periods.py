"""Period jobs (R-MRK-8, R-CTL-4, R-FIN-1): the forecast of period marks before a period
ends, and the period marks still missing after the days allowed for them.

- Which periods a run is about: rules.run_periods (the forecast on the last school day at
  least `forecast_days_before_end` days before the end; missing marks on the first weekday
  after `period_marks_days_after_end` days, the deputy the weekday after).
- A class is concerned by a period of its grade's kind (GradeLevel.period_kind; quarters
  when the grade level is not set up, as schedule.control_selectors.grade_periods reads
  it). Grade 1 is left out when the school gives it no marks.
- Who studies a course on a day is read as schedule.selectors.course_students_on reads it
  (the class's enrolments, a subgroup's members, individual curricula attaching and
  exempting), for every course of the school at once.
- The forecast is journal.averages.averages_compute over the period's current marks so
  far (the weighted average by work-type weights and the school's thresholds, as the
  diary shows it, R-MRK-7, R-MRK-8); too few marks: journal.averages.accumulation_minimum
  of the course's weekly hours (R-MRK-9). The per-course and per-student selectors of the
  journal and diary cost queries per course or student; here every class of the school is
  read at once.

Cost, whatever the number of classes, courses and students: the forecast 17 queries, the
missing period marks 15, the deputy's check 6."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings as django_settings
from django.db import connection
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import ParentLink, SchoolSettings
from journal.averages import Averages, accumulation_minimum, averages_compute, ru_decimal
from journal.models import FinalKind, Mark, PeriodMark
from schedule.models import (
    CurriculumHours,
    Enrolment,
    GradeLevel,
    GroupMembership,
    IndividualCurriculum,
    Lesson,
    PeriodKind,
    ReportingPeriod,
    SchoolClass,
    TeachingLoad,
)

from ..models import DeadlineFinding, DeadlineKind, DeadlineRun, Kind
from ..services.notices import Notice, notify_many
from .calendar import calendars_load
from .engine import deadline_job
from .findings import deputies, findings_copy, findings_open
from .jobs_lessons import course_name, person_name, previous_run
from .rules import periods_near, run_periods

What = DeadlineFinding.What


# --------------------------------------------------------------------------- shared reads


def periods_of_run(run: DeadlineRun, settings: SchoolSettings) -> list[ReportingPeriod]:
    """The periods the run is about (four queries: the calendar, the periods)."""
    school, day = run.school, run.date
    calendar = calendars_load([school.pk], day - dt.timedelta(days=7), day + dt.timedelta(days=7))[
        school.pk
    ]
    near = periods_near([school.pk], day).get(school.pk, [])
    return run_periods(run.kind, settings, calendar, day, near)


def classes_with_periods(
    school, periods: list[ReportingPeriod], settings: SchoolSettings
) -> list[tuple[SchoolClass, ReportingPeriod]]:
    """Each class of the periods' years with the period of its grade's kind (one query;
    the class teacher read with it). Grade 1 is left out when it has no marks."""
    if not periods:
        return []
    kind = GradeLevel.objects.filter(
        school=school, year=OuterRef("year"), grade=OuterRef("grade")
    ).values("period_kind")[:1]
    classes = (
        SchoolClass.objects.filter(school=school, year__in={p.year_id for p in periods})
        .annotate(period_kind=Coalesce(Subquery(kind), Value(PeriodKind.QUARTER)))
        .select_related("class_teacher")
        .order_by("grade", "letter")
    )
    if settings.grade_one_without_marks:
        classes = classes.exclude(grade=1)
    pairs = []
    for school_class in classes:
        for period in periods:
            if period.year_id == school_class.year_id and period.kind == school_class.period_kind:
                pairs.append((school_class, period))
                break
    return pairs


@dataclass
class Course:
    """A group × subject taught in a class in a period."""

    group_id: int
    subject_id: int
    school_class: SchoolClass
    period: ReportingPeriod
    whole_class: bool
    group_name: str
    subject_name: str
    teacher_id: int | None = None  # of the period's last lesson
    students: set[int] = field(default_factory=set)

    @property
    def key(self) -> tuple[int, int]:
        return (self.group_id, self.subject_id)

    @property
    def name(self) -> str:
        c = self.school_class
        return course_name(c.grade, c.letter, self.group_name, self.whole_class)


def courses_of(school, pairs, until: dt.date | None = None) -> dict[tuple[int, int], Course]:
    """The attested courses with lessons (not cancelled) in each class's period, up to
    `until` when given, with the teacher of the last of them (one query)."""
    period_of = {c.pk: (c, p) for c, p in pairs}
    if not period_of:
        return {}
    by_period: dict[int, list[int]] = defaultdict(list)
    periods = {}
    for school_class, period in pairs:
        by_period[period.pk].append(school_class.pk)
        periods[period.pk] = period
    where = Q()
    for pk, class_ids in by_period.items():
        period = periods[pk]
        end = min(period.ends_on, until) if until else period.ends_on
        where |= Q(school_class__in=class_ids, date__gte=period.starts_on, date__lte=end)
    rows = (
        Lesson.objects.filter(where, school=school, is_cancelled=False)
        .filter(subject__no_attestation=False)
        .order_by("group_id", "subject_id", "-date", "-number")
    )
    if connection.vendor == "postgresql":
        rows = rows.distinct("group_id", "subject_id")  # else the first row of each is kept
    rows = rows.values_list(
        "group_id",
        "subject_id",
        "school_class_id",
        "group__is_whole_class",
        "group__name",
        "subject__name",
        "teacher_id",
    )
    courses = {}
    for group_id, subject_id, class_id, whole, group_name, subject_name, teacher_id in rows:
        if (group_id, subject_id) in courses:
            continue  # an earlier lesson of a course already read (SQLite: no DISTINCT ON)
        school_class, period = period_of[class_id]
        course = Course(
            group_id, subject_id, school_class, period, whole, group_name, subject_name, teacher_id
        )
        courses[course.key] = course
    return courses


def _in_force(starts: dt.date, ends: dt.date | None, on: dt.date) -> bool:
    return starts <= on and (ends is None or ends >= on)


def _dated_between(first: dt.date, last: dt.date) -> Q:
    return Q(starts_on__lte=last) & (Q(ends_on__isnull=True) | Q(ends_on__gte=first))


def rosters_fill(school, courses: dict[tuple[int, int], Course], on_of_class: dict[int, dt.date]):
    """Fill each course's `students` as of its class's day (three queries: enrolments,
    subgroup members, individual curricula)."""
    if not courses:
        return
    first, last = min(on_of_class.values()), max(on_of_class.values())
    enrolled: dict[int, set[int]] = defaultdict(set)
    for student_id, class_id, starts, ends in (
        Enrolment.objects.filter(school=school, school_class__in=list(on_of_class))
        .filter(_dated_between(first, last))
        .values_list("student_id", "school_class_id", "starts_on", "ends_on")
    ):
        if _in_force(starts, ends, on_of_class[class_id]):
            enrolled[class_id].add(student_id)
    class_of_group = {c.group_id: c.school_class.pk for c in courses.values()}
    members: dict[int, set[int]] = defaultdict(set)
    subgroups = {c.group_id for c in courses.values() if not c.whole_class}
    if subgroups:
        for student_id, group_id, starts, ends in (
            GroupMembership.objects.filter(school=school, group__in=subgroups)
            .filter(_dated_between(first, last))
            .values_list("student_id", "group_id", "starts_on", "ends_on")
        ):
            if _in_force(starts, ends, on_of_class[class_of_group[group_id]]):
                members[group_id].add(student_id)
    attached: dict[tuple[int, int], set[int]] = defaultdict(set)
    exempt: dict[tuple[int, int], set[int]] = defaultdict(set)
    for student_id, group_id, subject_id, kind, starts, ends in (
        IndividualCurriculum.objects.filter(school=school, group__in=set(class_of_group))
        .filter(_dated_between(first, last))
        .values_list("student_id", "group_id", "subject_id", "kind", "starts_on", "ends_on")
    ):
        if _in_force(starts, ends, on_of_class[class_of_group[group_id]]):
            into = attached if kind == IndividualCurriculum.Kind.ATTACH else exempt
            into[(group_id, subject_id)].add(student_id)
    for course in courses.values():
        base = enrolled[course.school_class.pk]
        if not course.whole_class:
            base = base & members[course.group_id]
        course.students = (base | attached[course.key]) - exempt[course.key]


def parents_of(school, student_ids) -> dict[int, set[int]]:
    """{student id: user ids of his parents with an active account} (one query)."""
    found: dict[int, set[int]] = defaultdict(set)
    for student_id, user_id in ParentLink.objects.filter(
        school=school,
        student__in=student_ids,
        parent__user__isnull=False,
        parent__user__is_active=True,
    ).values_list("student_id", "parent__user_id"):
        found[student_id].add(user_id)
    return found


def diary_marks_url(school, student_id: int, period: ReportingPeriod | None) -> str:
    url = reverse("diary_marks", args=[school.slug, student_id])
    return f"{url}?period={period.pk}" if period else url


def summary_url(school, class_id: int, period: ReportingPeriod | None) -> str:
    url = reverse("journal_class_summary", args=[school.slug, class_id])
    return f"{url}?period={period.pk}" if period else url


def course_url(school, course: Course) -> str:
    url = reverse("journal_course", args=[school.slug, course.group_id, course.subject_id])
    return f"{url}?period={course.period.pk}"


# --------------------------------------------------------------------------- the forecast


@dataclass
class Forecast:
    subject_name: str
    averages: Averages
    minimum: int

    @property
    def too_few(self) -> bool:
        return self.averages.count == 0 or self.averages.count < self.minimum


def forecast_line(f: Forecast) -> str:
    a = f.averages
    if not a.count:
        return _("%(subject)s: no marks yet") % {"subject": f.subject_name}
    text = _("%(subject)s: %(mark)s (weighted average %(average)s)") % {
        "subject": f.subject_name,
        "mark": a.suggested,
        "average": ru_decimal(a.weighted),
    }
    if f.too_few:
        text += "; " + _("too few marks: %(count)s of %(minimum)s") % {
            "count": a.count,
            "minimum": f.minimum,
        }
    return text


def _hours(school, courses) -> tuple[dict, dict]:
    """The weekly hours of the courses: teaching load, and the curriculum of the grades
    (two queries)."""
    loads: dict[tuple[int, int], Decimal] = {}
    for group_id, subject_id, hours in TeachingLoad.objects.filter(
        school=school, group__in={c.group_id for c in courses.values()}
    ).values_list("group_id", "subject_id", "hours_per_week"):
        key = (group_id, subject_id)
        loads[key] = max(hours, loads.get(key, hours))
    curriculum = {
        (year_id, grade, subject_id): hours
        for year_id, grade, subject_id, hours in CurriculumHours.objects.filter(
            school=school,
            year__in={c.school_class.year_id for c in courses.values()},
        ).values_list("year_id", "grade", "subject_id", "hours_per_week")
    }
    return loads, curriculum


def class_students(school, class_ids, day: dt.date) -> dict[int, dict]:
    """{student id: his enrolment row with his name and account} of the classes on `day`,
    by name (one query)."""
    return {
        row["student_id"]: row
        for row in Enrolment.objects.filter(school=school, school_class__in=list(class_ids))
        .filter(_dated_between(day, day))
        .order_by("student__last_name", "student__first_name", "student__middle_name", "pk")
        .values(
            "student_id",
            "school_class_id",
            "student__last_name",
            "student__first_name",
            "student__middle_name",
            "student__user_id",
        )
    }


def forecasts_read(school, settings, pairs, students: dict[int, dict], day: dt.date):
    """{student id: [Forecast by subject name]}: the subjects of his courses (with the
    accumulation minimum of the course's hours) and those he has marks in, each with the
    averages of the period's marks up to `day` (seven queries)."""
    period_of_class = {c.pk: p for c, p in pairs}
    courses = courses_of(school, pairs)
    rosters_fill(school, courses, dict.fromkeys(period_of_class, day))
    loads, curriculum = _hours(school, courses)
    subjects: dict[int, dict[int, tuple[str, int]]] = defaultdict(dict)
    for course in courses.values():
        c = course.school_class
        hours = loads.get(course.key, curriculum.get((c.year_id, c.grade, course.subject_id)))
        minimum = accumulation_minimum(settings, hours)
        for student_id in course.students & students.keys():
            subjects[student_id].setdefault(course.subject_id, (course.subject_name, minimum))
    marks: dict[tuple[int, int], list] = defaultdict(list)
    for student_id, subject_id, subject_name, no_attestation, date, points, weight in (
        Mark.objects.filter(
            school=school,
            student__in=list(students),
            lesson__date__gte=min(p.starts_on for p in period_of_class.values()),
            lesson__date__lte=day,
            points__isnull=False,
        )
        .order_by("lesson__date", "lesson__number", "work_type__position", "part")
        .values_list(
            "student_id",
            "lesson__subject_id",
            "lesson__subject__name",
            "lesson__subject__no_attestation",
            "lesson__date",
            "points",
            "work_type__weight",
        )
    ):
        period = period_of_class[students[student_id]["school_class_id"]]
        if no_attestation or date < period.starts_on:
            continue
        marks[(student_id, subject_id)].append((points, weight))
        subjects[student_id].setdefault(subject_id, (subject_name, 0))
    return {
        student_id: [
            Forecast(name, averages_compute(marks.get((student_id, sid), ()), settings), minimum)
            for sid, (name, minimum) in sorted(by_subject.items(), key=lambda i: i[1][0])
        ]
        for student_id, by_subject in subjects.items()
    }


def student_forecast_notice(school, row: dict, period, forecasts, users) -> Notice:
    name = " ".join(p for p in (row["student__last_name"], row["student__first_name"]) if p)
    title = _("Forecast of the %(period)s marks: %(student)s") % {
        "period": period,
        "student": name,
    }
    body = "\n".join(
        [
            _("The %(period)s ends on %(date)s. The forecast from the marks so far:")
            % {"period": period, "date": f"{period.ends_on:%d.%m.%Y}"},
            *(forecast_line(f) for f in forecasts),
        ]
    )
    return Notice(users, title, body, diary_marks_url(school, row["student_id"], period))


@deadline_job(DeadlineKind.FORECAST)
def forecast(run: DeadlineRun) -> int:
    """R-MRK-8: each student and his parents get the forecast of his period marks from
    the current marks so far; R-CTL-4: the deputy gets each class's preliminary report in
    the class teacher's name."""
    school, day = run.school, run.date
    settings = school.settings
    with translation.override(django_settings.LANGUAGE_CODE):
        pairs = classes_with_periods(school, periods_of_run(run, settings), settings)
        if not pairs:
            return 0
        class_by_id = {c.pk: (c, p) for c, p in pairs}
        students = class_students(school, class_by_id, day)
        if not students:
            return 0
        forecasts = forecasts_read(school, settings, pairs, students, day)
        parents = parents_of(school, list(students))
        notices = []
        by_class: dict[int, list[tuple[dict, list[Forecast]]]] = defaultdict(list)
        for student_id, row in students.items():
            if not forecasts.get(student_id):
                continue
            school_class, period = class_by_id[row["school_class_id"]]
            by_class[school_class.pk].append((row, forecasts[student_id]))
            users = parents[student_id] | ({row["student__user_id"]} - {None})
            notices.append(
                student_forecast_notice(school, row, period, forecasts[student_id], users)
            )
        heads = deputies(school, day)
        for class_id, rows in by_class.items():
            school_class, period = class_by_id[class_id]
            title = _("Preliminary report of %(class)s for the %(period)s") % {
                "class": school_class,
                "period": period,
            }
            notices.append(
                Notice(
                    heads,
                    title,
                    class_report(rows, period),
                    summary_url(school, class_id, period),
                    sender=school_class.class_teacher_id,
                )
            )
        return len(notify_many(school=school, kind=Kind.REPORT, notices=notices))


def class_report(rows: list[tuple[dict, list[Forecast]]], period: ReportingPeriod) -> str:
    """The class teacher's preliminary report (R-CTL-4): forecast counts, students at risk
    of a 2, students with too few marks."""
    counts = dict.fromkeys(("5", "4", "3", "2"), 0)
    risk, few = [], []
    for row, forecasts in rows:
        name = person_name(
            row["student__last_name"], row["student__first_name"], row["student__middle_name"]
        )
        for f in forecasts:
            if f.averages.suggested in counts:
                counts[f.averages.suggested] += 1
        failing = [f.subject_name for f in forecasts if f.averages.suggested == "2"]
        if failing:
            risk.append(f"— {name}: {', '.join(failing)}")
        short = [
            f"{f.subject_name} ({f.averages.count}/{f.minimum})" for f in forecasts if f.too_few
        ]
        if short:
            few.append(f"— {name}: {', '.join(short)}")
    lines = [
        _("Forecast of the %(period)s marks (ends %(date)s), by subject:")
        % {"period": period, "date": f"{period.ends_on:%d.%m.%Y}"},
        "; ".join(f"«{mark}» — {count}" for mark, count in counts.items()),
    ]
    lines.append("")
    lines.append(_("At risk of a 2: %(count)s") % {"count": len(risk)})
    lines.extend(risk)
    lines.append("")
    lines.append(_("Too few marks (marks / at least): %(count)s") % {"count": len(few)})
    lines.extend(few)
    return "\n".join(lines)


# --------------------------------------------------------------------------- period marks


@deadline_job(DeadlineKind.PERIOD_MARKS)
def period_marks(run: DeadlineRun) -> int:
    """R-FIN-1: after the days allowed, each course's teacher hears of the students of his
    courses still without a period mark; one finding per student and course."""
    school = run.school
    settings = school.settings
    with translation.override(django_settings.LANGUAGE_CODE):
        periods = periods_of_run(run, settings)
        pairs = classes_with_periods(school, periods, settings)
        courses = courses_of(school, pairs)
        if not courses:
            return 0
        rosters_fill(school, courses, {c.pk: p.ends_on for c, p in pairs})
        given = set(
            PeriodMark.objects.filter(
                school=school, kind=FinalKind.PERIOD, period__in=[p.pk for p in periods]
            ).values_list("student_id", "subject_id", "period_id")
        )
        teachers: dict[tuple[int, int], set[int]] = defaultdict(set)
        for group_id, subject_id, teacher_id in TeachingLoad.objects.filter(
            school=school, group__in={c.group_id for c in courses.values()}
        ).values_list("group_id", "subject_id", "teacher_id"):
            teachers[(group_id, subject_id)].add(teacher_id)
        findings = []
        by_teacher: dict[int, list[tuple[Course, int]]] = defaultdict(list)
        order = sorted(
            courses.values(),
            key=lambda c: (c.school_class.grade, c.school_class.letter, c.subject_name, c.name),
        )
        for course in order:
            missing = sorted(
                s for s in course.students if (s, course.subject_id, course.period.pk) not in given
            )
            if not missing:
                continue
            loads = teachers.get(course.key, set())
            teacher = course.teacher_id if course.teacher_id in loads or not loads else min(loads)
            by_teacher[teacher].append((course, len(missing)))
            findings.extend(
                DeadlineFinding(
                    school=school,
                    run=run,
                    what=What.PERIOD_MARK,
                    teacher_id=teacher,
                    school_class=course.school_class,
                    student_id=student_id,
                    subject_id=course.subject_id,
                    period=course.period,
                    date=course.period.ends_on,
                )
                for student_id in missing
            )
        if not findings:
            return 0
        DeadlineFinding.objects.bulk_create(findings)
        notices = []
        for teacher_id, rows in by_teacher.items():
            lines = [
                _("%(course)s, %(subject)s, %(period)s: %(missing)s of %(total)s without a mark")
                % {
                    "course": course.name,
                    "subject": course.subject_name,
                    "period": course.period,
                    "missing": missing,
                    "total": len(course.students),
                }
                for course, missing in rows
            ]
            ends = max(course.period.ends_on for course, _m in rows)
            body = "\n".join(
                [
                    _("Period marks were due within %(days)s days after the period ended:")
                    % {"days": settings.period_marks_days_after_end},
                    *lines,
                ]
            )
            url = (
                course_url(school, rows[0][0])
                if len(rows) == 1
                else reverse("journal_index", args=[school.slug])
            )
            title = _("Period marks not set (the period ended %(date)s)") % {
                "date": f"{ends:%d.%m.%Y}"
            }
            notices.append(Notice([teacher_id], title, body, url))
        return len(notify_many(school=school, kind=Kind.REMINDER, notices=notices))


@deadline_job(DeadlineKind.PERIOD_MARKS_DEPUTY)
def period_marks_deputy(run: DeadlineRun) -> int:
    """R-FIN-1: the weekday after, the deputy gets the period marks still missing, by
    teacher and course."""
    school = run.school
    with translation.override(django_settings.LANGUAGE_CODE):
        earlier = previous_run(run, DeadlineKind.PERIOD_MARKS, DeadlineKind.PERIOD_MARKS_DEPUTY)
        if earlier is None:
            return 0
        findings = list(
            DeadlineFinding.objects.filter(run=earlier, what=What.PERIOD_MARK)
            .select_related("teacher", "school_class", "subject", "period")
            .order_by(
                "teacher__last_name",
                "teacher__first_name",
                "teacher",
                "school_class__grade",
                "school_class__letter",
                "subject__name",
            )
        )
        still = findings_open(findings)
        open_ = [f for f in findings if f.pk in still]
        if not open_:
            return 0
        findings_copy(run, open_)
        teachers: dict[int | None, dict[tuple, int]] = {}
        names: dict[int | None, str] = {}
        for f in open_:
            t = f.teacher
            names[f.teacher_id] = (
                person_name(t.last_name, t.first_name, t.middle_name) if t else "—"
            )
            key = (str(f.school_class), f.subject.name, str(f.period))
            counts = teachers.setdefault(f.teacher_id, {})
            counts[key] = counts.get(key, 0) + 1
        lines = [_("Period marks still not set (students without a mark):")]
        for teacher_id, counts in teachers.items():
            lines.append("")
            lines.append(f"{names[teacher_id]}:")
            lines.extend(
                f"— {school_class}, {subject}, {period}: {count}"
                for (school_class, subject, period), count in counts.items()
            )
        title = _("Period marks still not set: %(count)s") % {"count": len(open_)}
        notice = Notice(
            deputies(school, run.date),
            title,
            "\n".join(lines),
            reverse("journal_index", args=[school.slug]),
        )
        return len(notify_many(school=school, kind=Kind.REMINDER, notices=[notice]))
