"""Demo journal data (`manage.py seed_demo`): a year of what teachers write, up to the
school's "now", for every course (group × subject) of the demo schools.

- A lesson plan (КТП, R-PLAN-1) per course, made from journal.demo_topics: sections with
  their topics (§-numbered where the textbook has paragraphs), a self-check work every few
  topics, a control work after each section (a dictation in Russian, an essay in
  literature, a test in the humanities), revision when the list runs out.
- A LessonRecord per lesson held so far (not cancelled, started before now): the plan's
  topic in order (R-PLAN-2, R-LES-1), homework with pages and exercises for most lessons
  (R-LES-2) and the mark columns (R-LES-3): the answer in class, or the lesson's work.
- Marks (R-MRK-1..3): every student has a level and a level per subject; a teacher asks a
  few students a lesson (about one or two marks a student a week in a course), a written
  work marks everyone present, twice for dictations, expositions and essays (content and
  literacy); a few marks carry a comment. Grade 1 gets none when the school's setting
  says so (R-MRK-4), nor do subjects without attestation.
- Attendance (R-ATT-1..3): students fall ill for a few days at a time (about 6 % of
  student-lessons, more in late autumn and winter) and then miss every lesson of those
  days; a few skip one lesson; about 1 % of student-lessons are late, mostly at the first
  lesson. The class teacher records a reason for most absence days, illness mostly.
- Period marks (R-FIN-1) of the periods that have ended, from the weighted average of the
  period's marks (work types' weights) with the school's thresholds; «н/а» without marks.

Times are real-looking and never before the lesson (R-MRK-6): an answer is marked during
the lesson or that afternoon, a written work one to three days later; a value whose time
would come after "now" is not there yet. Marks and attendance created here do not go
through journal.services, so they get no history entries: demo data is loaded like an
import of the journals kept so far, not typed in by teachers.

Rows are written with COPY on PostgreSQL and executemany elsewhere (see _insert): a default
seed makes about 400,000 rows, and bulk_create spends most of its time per field per row.
Everything follows from the seed through one random.Random per school, iterated in a fixed
order, so the same seed and the same "now" give the same journals."""

import datetime as dt
import json
import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.models import Membership, Role, School, SchoolSettings, WorkType
from schedule.models import (
    AcademicYear,
    Enrolment,
    GradeLevel,
    Group,
    GroupMembership,
    IndividualCurriculum,
    Lesson,
    PeriodKind,
    ReportingPeriod,
    SchoolClass,
    Subject,
    TeachingLoad,
)

from . import demo_topics, values
from .models import (
    AbsenceReason,
    Attendance,
    AttendanceCheck,
    CorrectionRequest,
    CoursePlan,
    FinalKind,
    HomeworkFile,
    LessonRecord,
    Mark,
    PeriodMark,
    PlanItem,
)

BATCH = 5000

# --- subjects: paragraphs, homework and control works ---------------------------------------


@dataclass(frozen=True)
class Style:
    sign: str = ""  # "§" or "п." before a topic's paragraph number
    sign_from: int = 5  # the grade the textbook has numbered paragraphs from
    homework: str = "theory"  # see _homework
    control: str = ""  # "control", "dictation", "essay", "test", "bzb" or "" (none)
    self_check: str = ""  # "problems" / "exercises": a self-check work every few topics


STYLES = {
    "Русский язык": Style("§", 5, "russian", "dictation", "exercises"),
    "Литературное чтение": Style("", 5, "reading", "test"),
    "Литература": Style("", 5, "literature", "essay"),
    "Иностранный язык (английский)": Style("", 5, "english", "test"),
    "Математика": Style("§", 5, "maths", "control", "problems"),
    "Алгебра": Style("§", 1, "maths", "control", "problems"),
    "Геометрия": Style("п.", 1, "geometry", "control", "problems"),
    "Вероятность и статистика": Style("§", 1, "maths", "test"),
    "Информатика": Style("§", 1, "theory", "test"),
    "Окружающий мир": Style("", 5, "world", "test"),
    "История": Style("§", 1, "theory", "test"),
    "Обществознание": Style("§", 1, "theory", "test"),
    "География": Style("§", 1, "theory", "test"),
    "Биология": Style("§", 1, "theory", "test"),
    "Физика": Style("§", 1, "physics", "control", "problems"),
    "Химия": Style("§", 1, "chemistry", "control", "problems"),
    "Музыка": Style(homework="none"),
    "Изобразительное искусство": Style(homework="none"),
    "Труд (технология)": Style(homework="none"),
    "Физическая культура": Style(homework="none"),
    "Основы безопасности и защиты Родины": Style("§", 1, "theory", "test"),
    "Основы религиозных культур и светской этики": Style(homework="rare"),
    "Казахский язык": Style("", 1, "kazakh", "bzb", "exercises_kk"),
    "Казахская литература": Style("", 1, "kazakh_lit", "bzb"),
    "Финансовая грамотность": Style("§", 1, "rare"),
}
GENERIC_STYLE = Style("", 1, "theory", "test")

# What a mark column is for, by work type code (accounts.services.DEFAULT_WORK_TYPES)
ANSWER, HOMEWORK = "answer", "homework"
EXPOSITIONS = (
    "Обучающее изложение по тексту упражнения",
    "Подробное изложение с элементами сочинения",
    "Сжатое изложение",
    "Изложение по плану",
)


@dataclass
class PlanEntry:
    topic: str
    hours: int
    work_type: str = ""  # code of the plan item's work type ("" = the answer in class)
    columns: tuple[str, ...] = (ANSWER,)
    para: int = 0  # paragraph number for the homework, 0 when none
    control: bool = False  # a control or test lesson: little or no homework


def _default_hours(weekly: float, rng: random.Random) -> int:
    if weekly <= 1:
        return 1
    if weekly <= 2:
        return 1 if rng.random() < 0.6 else 2
    if weekly <= 3:
        return 2 if rng.random() < 0.55 else 1
    return rng.choice((1, 2, 2, 3))


def _control_block(style: Style, grade: int, title: str, number: int, rng) -> list[PlanEntry]:
    """The lessons closing a section: a control work and what goes around it."""
    if style.control == "control":
        return [
            PlanEntry(f"Обобщение и систематизация знаний по теме «{title}»", 1),
            PlanEntry(
                f"Контрольная работа № {number} по теме «{title}»",
                1,
                "control",
                ("control",),
                control=True,
            ),
            PlanEntry("Анализ контрольной работы. Работа над ошибками", 1),
        ]
    if style.control == "dictation":
        block = [
            PlanEntry(f"Повторение по теме «{title}»", 1),
            PlanEntry(
                f"Контрольный диктант № {number} с грамматическим заданием по теме «{title}»",
                1,
                "dictation",
                ("dictation",),
                control=True,
            ),
            PlanEntry("Анализ контрольного диктанта. Работа над ошибками", 1),
        ]
        if 5 <= grade <= 9 and number % 2 == 0:
            block.append(
                PlanEntry(
                    f"Изложение. {rng.choice(EXPOSITIONS)}",
                    1,
                    "exposition",
                    ("exposition",),
                    control=True,
                )
            )
        return block
    if style.control == "essay":
        if grade < 5:
            return []
        return [
            PlanEntry(f"Подготовка к сочинению по произведениям раздела «{title}»", 1),
            PlanEntry(
                f"Сочинение по произведениям раздела «{title}»",
                1,
                "essay",
                ("essay",),
                control=True,
            ),
        ]
    if style.control == "test":
        return [PlanEntry(f"Обобщение по теме «{title}». Тест", 1, "test", ("test",), control=True)]
    if style.control == "bzb":
        return [
            PlanEntry(
                f"Бөлім бойынша жиынтық бағалау: «{title}»",
                1,
                "test",
                ("test",),
                control=True,
            )
        ]
    return []


def _self_check(style: Style, topic: str) -> PlanEntry | None:
    if style.self_check == "problems":
        text = f"Решение задач по теме «{topic}». Самостоятельная работа"
    elif style.self_check == "exercises":
        text = f"Закрепление по теме «{topic}». Самостоятельная работа"
    elif style.self_check == "exercises_kk":
        text = f"«{topic}» тақырыбын бекіту. Өзіндік жұмыс"
    else:
        return None
    return PlanEntry(text, 1, "independent", (ANSWER, "independent"))


def plan_build(
    subject: str, grade: int, weekly: float, total: int, rng: random.Random
) -> list[PlanEntry]:
    """A year's plan of `total` lessons for the subject in the grade: the topics list's
    sections with control works after them, revision when it runs out, and the year's
    final control work and summing-up lesson last."""
    style = STYLES.get(subject, GENERIC_STYLE)
    numbered = bool(style.sign) and grade >= style.sign_from
    entries: list[PlanEntry] = []
    ordinary: list[str] = []
    para = controls = 0
    for title, topics in demo_topics.sections(subject, grade):
        for topic, hours in topics:
            if topic.startswith(("Лабораторная работа", "Практическая работа")):
                code = "laboratory" if topic.startswith("Лаб") else "practical"
                entries.append(PlanEntry(topic, hours or 1, code, (code,), para, control=True))
                continue
            if numbered:
                para += 1
            text = f"{style.sign}{para}. {topic}" if numbered else topic
            entries.append(
                PlanEntry(text, hours or _default_hours(weekly, rng), para=para if numbered else 0)
            )
            ordinary.append(topic)
            if grade > 1 and weekly >= 2 and len(ordinary) % 3 == 0:
                check = _self_check(style, topic)
                if check is not None:
                    check.para = para if numbered else 0
                    entries.append(check)
        if title and grade > 1:
            block = _control_block(style, grade, title, controls + 1, rng)
            for entry in block:
                if numbered and not entry.control:
                    entry.para = para  # revision and analysis: the section's paragraphs
            if block:
                controls += 1
                entries += block

    final_code = {"control": "control", "dictation": "dictation", "test": "test"}.get(
        style.control, ""
    )
    final = [
        PlanEntry(
            "Промежуточная аттестация. Итоговая контрольная работа",
            1,
            final_code,
            (final_code,) if final_code else (ANSWER,),
            control=bool(final_code),
        ),
        PlanEntry("Итоговый урок. Подведение итогов года", 1),
    ]
    room = max(0, total - len(final))
    plan: list[PlanEntry] = []
    used = 0
    for entry in entries:
        if used >= room:
            break
        entry.hours = min(entry.hours, room - used)
        plan.append(entry)
        used += entry.hours
    n = 0
    while used < room and ordinary:
        plan.append(PlanEntry(f"Повторение. {ordinary[n % len(ordinary)]}", 1))
        used += 1
        n += 1
    return plan + final[: total - used] if total > used else plan


# --- homework ------------------------------------------------------------------------------------


def _homework(
    kind: str, grade: int, para: int, count: int, rng: random.Random
) -> tuple[str, str, str]:
    """(text, pages, exercises) of the homework given at the `count`-th lesson of a course
    (from 0) on a topic with paragraph `para` (0 when none)."""
    page = 4 + (para * 5 if para else count * 2) + rng.randint(0, 2)
    first = 3 + count * 9 + rng.randint(0, 4)
    if kind == "maths":
        numbers = sorted(rng.sample(range(first, first + 12), 3))
        exercises = "№ " + ", ".join(map(str, numbers))
        if grade <= 4:
            return f"Учебник с. {page}, {exercises}", f"с. {page}", exercises
        if not para:
            return f"{exercises} (с. {page})", f"с. {page}", exercises
        return f"§{para}, {exercises}", f"с. {page}–{page + 2}", exercises
    if kind == "geometry":
        q = max(1, para * 2 - 1)
        a = 40 + count * 6 + rng.randint(0, 3)
        exercises = f"№ {a}, {a + 2}"
        if not para:
            return f"Задачи {a}, {a + 2}", f"с. {page}", exercises
        return (
            f"п. {para}, вопросы {q}–{q + 2} на с. {page}, задачи {a}, {a + 2}",
            f"с. {page}",
            exercises,
        )
    if kind == "russian":
        if grade <= 4:
            return f"Учебник с. {page}, упр. {first}", f"с. {page}", f"упр. {first}"
        if not para:
            return f"Упр. {first}", f"с. {page}", f"упр. {first}"
        if rng.random() < 0.25:
            return (
                f"§{para}, выучить правило на с. {page}, упр. {first}",
                f"с. {page}",
                f"упр. {first}",
            )
        return f"§{para}, упр. {first}", f"с. {page}–{page + 1}", f"упр. {first}"
    if kind == "literature":
        task = rng.choice(
            (
                ("Дочитать произведение, ответить на вопросы 1–5 на с. {p}", "вопр. 1–5"),
                ("Выразительное чтение отрывка на с. {p}–{q}", ""),
                ("Выучить наизусть отрывок (по выбору)", ""),
                ("Пересказ эпизода, близкий к тексту, с. {p}–{q}", ""),
                ("Письменный ответ на вопрос 3 на с. {p}", "вопр. 3"),
                ("Составить цитатный план, с. {p}–{q}", ""),
            )
        )
        text = task[0].format(p=page, q=page + 6)
        return text, f"с. {page}–{page + 6}", task[1]
    if kind == "english":
        wb = max(2, page // 2)
        if rng.random() < 0.2:
            return f"Выучить новые слова, WB p. {wb} ex. 1", f"WB p. {wb}", "ex. 1"
        a, b = rng.randint(1, 6), rng.randint(1, 4)
        return (
            f"SB p. {page} ex. {a}; WB p. {wb} ex. {b}",
            f"SB p. {page}, WB p. {wb}",
            f"ex. {a}, {b}",
        )
    if kind == "reading":
        task = rng.choice(("выразительное чтение", "пересказ", "ответить на вопросы"))
        return f"Учебник с. {page}–{page + 3}, {task}", f"с. {page}–{page + 3}", ""
    if kind == "world":
        a = rng.randint(1, 5)
        return (
            f"Учебник с. {page}–{page + 3}, рабочая тетрадь с. {page // 2}, № {a}",
            f"с. {page}–{page + 3}",
            f"№ {a}",
        )
    if kind == "physics":
        a = max(1, para)
        if not para:
            return f"Задачи на с. {page}, № 1–3", f"с. {page}", "№ 1–3"
        return f"§{para}, упр. {a} (1, 2)", f"с. {page}–{page + 3}", f"упр. {a} (1, 2)"
    if kind == "chemistry":
        a = rng.randint(1, 4)
        if not para:
            return f"Упр. {a}–{a + 2} на с. {page}", f"с. {page}", f"упр. {a}–{a + 2}"
        return (
            f"§{para}, упр. {a}–{a + 2} на с. {page + 4}",
            f"с. {page}–{page + 4}",
            f"упр. {a}–{a + 2}",
        )
    if kind == "kazakh":
        return f"{page}-бет, {first}-жаттығу", f"{page}-бет", f"{first}-жаттығу"
    if kind == "kazakh_lit":
        task = rng.choice(("мәнерлеп оқу", "мазмұндау", "жаттау", "сұрақтарға жауап беру"))
        return f"{page}–{page + 4}-беттер, {task}", f"{page}–{page + 4}-беттер", ""
    if kind == "rare":
        if rng.random() < 0.6:
            return "", "", ""
        return "Подготовить сообщение по теме урока", "", ""
    if kind == "none":
        return "", "", ""
    # "theory": history, geography, biology, social studies, informatics, ОБЗР
    if para:
        q1 = rng.randint(1, 3)
        text = rng.choice(
            (
                f"§{para}, ответить на вопросы {q1}–{q1 + 3} на с. {page + 4}",
                f"§{para}, пересказ; задание {q1} на с. {page + 4}",
                f"§{para}, выучить термины, вопросы на с. {page + 4}",
            )
        )
        return text, f"с. {page}–{page + 4}", f"вопр. {q1}–{q1 + 3}"
    return f"Учебник с. {page}–{page + 4}", f"с. {page}–{page + 4}", ""


# --- marks ---------------------------------------------------------------------------------------

COMMENTS = {
    5: ("Отличный ответ", "Молодец!", "Работа выполнена без ошибок", "Хорошо подготовился"),
    4: (
        "Небольшие неточности в ответе",
        "Одна ошибка в вычислениях",
        "Хороший ответ, но без примеров",
        "Есть недочёты в оформлении",
    ),
    3: ("Ошибки в вычислениях", "Не выучено правило", "Неполный ответ", "Много исправлений"),
    2: (
        "Не выполнено домашнее задание",
        "Не готов к уроку",
        "Работа не выполнена",
        "Не знает материал, пересдать до пятницы",
    ),
}

# answers in class are a bit kinder than written works, control works a bit harsher
MARK_BIAS = {"oral": (0.2, 0.6), "written": (0.0, 0.75), "control": (-0.2, 0.8)}
VALUES = {n: str(n) for n in range(1, 6)}


def _answer_share(weekly: float) -> float:
    """The share of the students present a teacher marks for the answer in class: about
    one to two marks a student a week in a course, written works included."""
    if weekly >= 5:
        return 0.2
    if weekly >= 4:
        return 0.26
    if weekly >= 3:
        return 0.33
    if weekly >= 2:
        return 0.45
    return 0.7


def _suggested(average: float, settings: SchoolSettings) -> str:
    if average >= settings.threshold_five:
        return "5"
    if average >= settings.threshold_four:
        return "4"
    if average >= settings.threshold_three:
        return "3"
    return "2"


# --- absences ------------------------------------------------------------------------------------

# school days of an illness, and how often each length happens
SICK_LENGTHS = (1, 2, 3, 4, 5, 6, 7, 8, 10)
SICK_WEIGHTS = (22, 20, 18, 10, 12, 6, 5, 4, 3)
SICK_START = 0.0183  # a new illness per school day; with the lengths above about 6 % absent
SEASON = {9: 0.6, 10: 1.1, 11: 1.3, 12: 1.2, 1: 1.2, 2: 1.3, 3: 1.0, 4: 0.8, 5: 0.6}
SKIP_ONE = 0.003  # one lesson missed alone
LATE_FIRST, LATE_OTHER = 0.025, 0.006
ILLNESS_NOTES = ("ОРВИ, справка из поликлиники", "справка из поликлиники", "записка родителей", "")
VALID_NOTES = (
    "заявление родителей",
    "семейные обстоятельства (заявление родителей)",
    "соревнования",
    "олимпиада",
)


@dataclass
class JournalTotals:
    schools: int = 0
    plans: int = 0
    plan_items: int = 0
    records: int = 0
    marks: int = 0
    absences: int = 0
    lates: int = 0
    reasons: int = 0
    period_marks: int = 0
    seconds: float = 0.0

    def add(self, other: "JournalTotals") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def summary(self) -> str:
        return (
            f"журнал: КТП {self.plans}, тем уроков {self.records}, отметок {self.marks}, "
            f"пропусков {self.absences}, опозданий {self.lates}, причин {self.reasons}, "
            f"четвертных {self.period_marks}"
        )


@dataclass(eq=False)
class _Course:
    group: Group
    subject: Subject
    school_class: SchoolClass
    teacher_id: int
    weekly: float
    lessons: list = field(default_factory=list)  # all the year's lessons, in order
    always: list = field(default_factory=list)  # students in the course on every date
    sometimes: list = field(default_factory=list)  # (student, intervals checker)

    def members(self, day: dt.date) -> list[int]:
        if not self.sometimes:
            return self.always
        return self.always + [s for s, inside in self.sometimes if inside(day)]


def _within(intervals, day: dt.date) -> bool:
    return any(s <= day and (e is None or day <= e) for s, e in intervals)


def _covers(intervals, first: dt.date, last: dt.date) -> bool:
    return any(s <= first and (e is None or e >= last) for s, e in intervals)


def _insert(model, names: list[str], rows: list[tuple]) -> int:
    """Insert rows of column values (in the order of `names`, model field names) in one
    COPY on PostgreSQL, in batches of executemany elsewhere. Values are Python values;
    a JSON field's value is its JSON text."""
    if not rows:
        return 0
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return len(rows)
        convert = [(n, _sqlite_converter(f)) for n, f in enumerate(fields)]
        convert = [(n, c) for n, c in convert if c is not None]
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
        for at in range(0, len(rows), BATCH):
            batch = rows[at : at + BATCH]
            if convert:
                converted = []
                for row in batch:
                    row = list(row)
                    for n, function in convert:
                        if row[n] is not None:
                            row[n] = function(row[n])
                    converted.append(row)
                batch = converted
            cursor.executemany(sql, batch)
    return len(rows)


def _sqlite_converter(field):
    """What the database adapter needs a value turned into, as Field.get_db_prep_save
    would do it (datetimes as naive UTC text), written out for the types used here: the
    generic path costs about 5 µs a value."""
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return lambda value: str(value.astimezone(dt.UTC).replace(tzinfo=None))
    if kind == "DateField":
        return str
    if kind in ("TimeField", "DecimalField"):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def journal_delete(school_ids: list[int]) -> None:
    """Everything of the journal in these schools, before their lessons and students go:
    marks and attendance refer to lessons with RESTRICT. One DELETE a table. The history
    stays (append-only, with plain ids: it outlives what it describes); the chain's head
    goes with the school."""
    if not school_ids:
        return
    quote = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(school_ids))
    with connection.cursor() as cursor:
        for model in (
            Mark,
            Attendance,
            AttendanceCheck,
            CorrectionRequest,
            HomeworkFile,
            LessonRecord,
            PlanItem,
            CoursePlan,
            PeriodMark,
            AbsenceReason,
        ):
            table = quote(model._meta.db_table)
            column = quote(model._meta.get_field("school").column)
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", school_ids)


# the tables written here, in the order they are written
WRITTEN = (
    CoursePlan,
    PlanItem,
    LessonRecord,
    Mark,
    Attendance,
    AttendanceCheck,
    AbsenceReason,
    PeriodMark,
)


@contextmanager
def _foreign_keys_checked_once():
    """On PostgreSQL, drop the foreign keys of the journal's tables and add them back at the
    end, as pg_restore does: adding a key checks all rows in one query, while a key in
    place checks each inserted row by itself at commit (about 10 µs a reference, 6 s for
    one school's marks). Must run inside a transaction: an error rolls the keys back too."""
    if connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) "
            "ORDER BY 1, 2",
            [[m._meta.db_table for m in WRITTEN]],
        )
        keys = cursor.fetchall()
        # a table with checks still pending (rows written earlier in the transaction)
        # cannot be altered: run them now
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        try:
            with transaction.atomic():
                for table, name, _definition in keys:
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        except DatabaseError:
            keys = []  # not the tables' owner: the keys stay and check each row
    yield
    with connection.cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


@transaction.atomic
def journal_seed(
    *,
    schools,
    seed: int = 1,
    now: dt.datetime | None = None,
    say: Callable[[str], None] | None = None,
) -> JournalTotals:
    """The demo journals of these schools up to `now` (default: the present); `say` is
    told each school's totals."""
    totals = JournalTotals()
    with _foreign_keys_checked_once():
        for school in schools:
            one = school_journal_seed(school, seed=seed, now=now)
            totals.add(one)
            if say is not None:
                say(f"{school.slug}: {one.summary()} ({one.seconds:.1f} s)")
    return totals


@transaction.atomic
def school_journal_seed(
    school: School, *, seed: int = 1, now: dt.datetime | None = None
) -> JournalTotals:
    started = time.monotonic()
    builder = _SchoolJournal(school, seed=seed, now=now or timezone.now())
    totals = builder.build()
    totals.schools = 1
    totals.seconds = time.monotonic() - started
    return totals


class _SchoolJournal:
    def __init__(self, school: School, *, seed: int, now: dt.datetime):
        self.school = school
        self.school_id = school.pk
        self.settings = SchoolSettings.objects.get(school=school)
        self.now = now
        self.tz = school.tz
        self.today = timezone.localtime(now, self.tz).date()
        self.rng = random.Random(f"{seed}:{school.slug}:journal")
        # its own stream: the registers taken leave every other row of the demo as it was
        self.check_rng = random.Random(f"{seed}:{school.slug}:registers")
        self.totals = JournalTotals()

    # --- reading what the journal is about ------------------------------------------------

    def _load(self) -> bool:
        school = self.school
        self.year = (
            AcademicYear.objects.filter(school=school, starts_on__lte=self.today)
            .order_by("-starts_on")
            .first()
        )
        if self.year is None:
            return False
        year = self.year
        self.work_types = {
            w.code: w for w in WorkType.objects.filter(school=school).order_by("position", "pk")
        }
        if not self.work_types:
            return False
        self.default_type = self.work_types.get(ANSWER) or next(iter(self.work_types.values()))
        self.weights = {w.pk: float(w.weight) for w in self.work_types.values()}
        classes = {
            c.pk: c
            for c in SchoolClass.objects.filter(school=school, year=year).order_by(
                "grade", "letter", "pk"
            )
        }
        self.classes = classes
        kinds = dict(
            GradeLevel.objects.filter(school=school, year=year).values_list("grade", "period_kind")
        )
        periods = list(
            ReportingPeriod.objects.filter(school=school, year=year).order_by("starts_on", "pk")
        )
        self.periods_of_grade = {}
        for grade in range(1, 13):
            kind = kinds.get(grade, PeriodKind.QUARTER)
            chosen = [p for p in periods if p.kind == kind] or [
                p for p in periods if p.kind == PeriodKind.QUARTER
            ]
            self.periods_of_grade[grade] = chosen
        groups = {
            g.pk: g for g in Group.objects.filter(school=school, school_class__in=list(classes))
        }
        subjects = {s.pk: s for s in Subject.objects.filter(school=school)}
        loads = {}
        for load in TeachingLoad.objects.filter(school=school, group__in=list(groups)).order_by(
            "pk"
        ):
            loads.setdefault((load.group_id, load.subject_id), load)

        courses: dict[tuple, _Course] = {}
        for row in (
            Lesson.objects.filter(school=school, school_class__in=list(classes))
            .order_by("date", "starts_at", "pk")
            .values_list(
                "pk", "date", "number", "starts_at", "ends_at", "group_id", "subject_id",
                "teacher_id", "substitute_id", "is_cancelled",
            )
        ):  # fmt: skip
            key = (row[5], row[6])
            course = courses.get(key)
            if course is None:
                group = groups[row[5]]
                load = loads.get(key)
                course = courses[key] = _Course(
                    group=group,
                    subject=subjects[row[6]],
                    school_class=classes[group.school_class_id],
                    teacher_id=load.teacher_id if load else row[7],
                    weekly=float(load.hours_per_week) if load else 0.0,
                )
            course.lessons.append(row)
        weeks = max(1, ((year.ends_on - year.starts_on).days + 1) / 7)
        for course in courses.values():
            if not course.weekly:
                course.weekly = round(len(course.lessons) / weeks) or 1
        self.courses = sorted(
            courses.values(),
            key=lambda c: (
                c.school_class.grade,
                c.school_class.letter,
                c.group.name,
                c.subject.name,
            ),
        )
        self._load_students()
        self.class_teacher = {c.pk: c.class_teacher_id for c in classes.values()}
        deputy = (
            Membership.objects.filter(school=school, role__in=(Role.DEPUTY, Role.ADMIN))
            .order_by("role", "pk")
            .values_list("user_id", flat=True)
            .first()
        )
        self.fallback_user = deputy
        return True

    def _load_students(self) -> None:
        school, year = self.school, self.year
        first, last = year.starts_on, year.ends_on
        enrolments: dict[int, dict[int, list]] = {}  # class -> student -> intervals
        self.class_of: dict[int, int] = {}
        for student, klass, start, end in (
            Enrolment.objects.filter(school=school, school_class__in=list(self.classes))
            .order_by("starts_on", "pk")
            .values_list("student_id", "school_class_id", "starts_on", "ends_on")
        ):
            enrolments.setdefault(klass, {}).setdefault(student, []).append((start, end))
            if end is None or end >= self.today or student not in self.class_of:
                self.class_of[student] = klass
        members: dict[int, dict[int, list]] = {}  # group -> student -> intervals
        for student, group, start, end in GroupMembership.objects.filter(
            school=school, group__school_class__in=list(self.classes)
        ).values_list("student_id", "group_id", "starts_on", "ends_on"):
            members.setdefault(group, {}).setdefault(student, []).append((start, end))
        curricula: dict[tuple, dict[int, dict[str, list]]] = {}
        for student, group, subject, kind, start, end in IndividualCurriculum.objects.filter(
            school=school
        ).values_list("student_id", "group_id", "subject_id", "kind", "starts_on", "ends_on"):
            curricula.setdefault((group, subject), {}).setdefault(student, {}).setdefault(
                kind, []
            ).append((start, end))

        for course in self.courses:
            group = course.group
            enrolled = enrolments.get(group.school_class_id, {})
            in_group = members.get(group.pk, {})
            special = curricula.get((group.pk, course.subject.pk), {})
            candidates = sorted(set(enrolled) | set(special))
            for student in candidates:
                spans = enrolled.get(student, [])
                groups = None if group.is_whole_class else in_group.get(student, [])
                attach = special.get(student, {}).get(IndividualCurriculum.Kind.ATTACH, [])
                exempt = special.get(student, {}).get(IndividualCurriculum.Kind.EXEMPT, [])
                if (
                    not attach
                    and not exempt
                    and _covers(spans, first, last)
                    and (groups is None or _covers(groups, first, last))
                ):
                    course.always.append(student)
                    continue

                def inside(day, spans=spans, groups=groups, attach=attach, exempt=exempt):
                    if _within(exempt, day):
                        return False
                    if _within(attach, day):
                        return True
                    return _within(spans, day) and (groups is None or _within(groups, day))

                course.sometimes.append((student, inside))

    # --- building --------------------------------------------------------------------------

    def build(self) -> JournalTotals:
        if not self._load():
            return self.totals
        self.records, self.marks, self.attendance, self.checks = [], [], [], []
        self.reasons: dict[tuple, tuple] = {}
        self._levels()
        self._illnesses()
        self.period_sums: dict[tuple, list] = {}
        plan_rows, self.items_of = [], []
        for course in self.courses:
            plan = plan_build(
                course.subject.name,
                course.school_class.grade,
                course.weekly,
                len(course.lessons),
                self.rng,
            )
            self.items_of.append(plan)
            plan_rows.append(self._plan_row(course))
        self._write_plans(plan_rows)
        for n, course in enumerate(self.courses):
            self._course(course, self.items_of[n], self.plan_items[n])
        self._period_marks()
        t = self.totals
        t.records = _insert(
            LessonRecord,
            [
                "school", "lesson", "topic", "plan_item", "topic_confirmed", "homework",
                "homework_pages", "homework_exercises", "work_type_ids", "updated_by",
                "updated_at",
            ],
            self.records,
        )  # fmt: skip
        t.marks = _insert(
            Mark,
            [
                "school", "lesson", "student", "work_type", "part", "value", "points",
                "comment", "created_at", "created_by", "updated_at", "updated_by", "version",
            ],
            self.marks,
        )  # fmt: skip
        _insert(
            Attendance,
            [
                "school", "lesson", "student", "kind", "created_at", "created_by",
                "updated_at", "updated_by", "version", "pending",
            ],
            self.attendance,
        )  # fmt: skip
        _insert(AttendanceCheck, ["school", "lesson", "taken_at", "taken_by"], self.checks)
        t.absences = sum(1 for row in self.attendance if row[3] == Attendance.Kind.ABSENT)
        t.lates = len(self.attendance) - t.absences
        t.reasons = _insert(
            AbsenceReason,
            ["school", "student", "date", "reason", "note", "set_by", "set_at"],
            list(self.reasons.values()),
        )
        t.period_marks = _insert(
            PeriodMark,
            [
                "school", "student", "subject", "year", "kind", "period", "group", "value",
                "points", "set_at", "set_by", "version",
            ],
            self.period_rows,
        )  # fmt: skip
        return t

    def _levels(self) -> None:
        """Each student's level (about 2.5 to 5, most near 4) and how often he falls ill."""
        rng = self.rng
        students = sorted(self.class_of)
        self.level = {s: min(4.95, max(2.4, rng.gauss(3.85, 0.6))) for s in students}
        self.frailty = {s: rng.lognormvariate(-0.18, 0.6) for s in students}
        self.subject_level: dict[tuple, float] = {}

    def _student_level(self, student: int, subject_id: int) -> float:
        key = (student, subject_id)
        level = self.subject_level.get(key)
        if level is None:
            base = self.level.get(student, 3.85)
            level = self.subject_level[key] = min(5.0, max(2.2, base + self.rng.gauss(0, 0.3)))
        return level

    def _held(self, row) -> bool:
        return not row[9] and self._at(row[1], row[3]) <= self.now

    def _at(self, day: dt.date, moment: dt.time, minutes: float = 0) -> dt.datetime:
        return dt.datetime.combine(day, moment, self.tz) + dt.timedelta(minutes=minutes)

    def _illnesses(self) -> None:
        """Each student's days off ill (or away for a family reason): runs of his class's
        school days so far. The class teacher's reason for most of them."""
        rng = self.rng
        days_of: dict[int, set] = {}
        for course in self.courses:
            days = days_of.setdefault(course.school_class.pk, set())
            days.update(row[1] for row in course.lessons if self._held(row))
        class_days = {k: sorted(v) for k, v in days_of.items()}
        self.away: dict[int, set] = {}
        for student in sorted(self.class_of):
            klass = self.class_of[student]
            days = class_days.get(klass, [])
            frailty = self.frailty[student]
            i = 0
            while i < len(days):
                if rng.random() >= SICK_START * frailty * SEASON.get(days[i].month, 1.0):
                    i += 1
                    continue
                length = rng.choices(SICK_LENGTHS, SICK_WEIGHTS)[0]
                episode = days[i : i + length]
                i += length + 1
                self.away.setdefault(student, set()).update(episode)
                if len(episode) == 1:
                    reason = rng.choices(
                        (AbsenceReason.Reason.ILLNESS, AbsenceReason.Reason.VALID, "invalid"),
                        (55, 35, 10),
                    )[0]
                else:
                    reason = (
                        AbsenceReason.Reason.ILLNESS
                        if rng.random() < 0.95
                        else AbsenceReason.Reason.VALID
                    )
                if rng.random() >= 0.9:
                    continue  # the class teacher never wrote it down
                if reason == AbsenceReason.Reason.ILLNESS:
                    note = rng.choice(ILLNESS_NOTES)
                elif reason == AbsenceReason.Reason.VALID:
                    note = rng.choice(VALID_NOTES)
                else:
                    reason, note = AbsenceReason.Reason.INVALID, ""
                for day in episode:
                    self._reason(student, klass, day, reason, note, dt.time(8, 0))

    def _reason(self, student, klass, day, reason, note, after: dt.time) -> None:
        set_by = self.class_teacher.get(klass) or self.fallback_user
        if set_by is None or (student, day) in self.reasons:
            return
        at = self._at(day, after, self.rng.uniform(5, 115))
        if at > self.now:
            return
        self.reasons[(student, day)] = (
            self.school.pk, student, day, reason, note, set_by, at,
        )  # fmt: skip

    def _plan_row(self, course: _Course) -> CoursePlan:
        start = self.year.starts_on - dt.timedelta(days=self.rng.randint(3, 12))
        at = min(self._at(start, dt.time(10, 0), self.rng.uniform(0, 600)), self.now)
        subject = course.subject.short_name or course.subject.name
        name = f"КТП {subject} {course.school_class}"
        if not course.group.is_whole_class:
            name += f" {course.group.name}"
        return CoursePlan(
            school=self.school,
            year=self.year,
            group=course.group,
            subject=course.subject,
            imported_by_id=course.teacher_id,
            imported_at=at,
            file_name=(name.replace(" ", "_") + ".xlsx")[:200],
        )

    def _write_plans(self, plans: list[CoursePlan]) -> None:
        CoursePlan.objects.bulk_create(plans, batch_size=1000)
        self.totals.plans = len(plans)
        rows = []
        type_id = self._type_id
        for course, plan, entries in zip(self.courses, plans, self.items_of, strict=True):
            sign = STYLES.get(course.subject.name, GENERIC_STYLE).sign
            for number, entry in enumerate(entries, 1):
                homework = ""
                if entry.para and not entry.control and sign:
                    homework = f"{sign}{entry.para}" if sign == "§" else f"{sign} {entry.para}"
                rows.append(
                    (
                        self.school.pk, plan.pk, number, entry.topic[:500], entry.hours,
                        type_id(entry.work_type) if entry.work_type else None, homework,
                    )
                )  # fmt: skip
        self.totals.plan_items = _insert(
            PlanItem, ["school", "plan", "number", "topic", "hours", "work_type", "homework"], rows
        )
        ids = {
            (plan, number): pk
            for plan, number, pk in PlanItem.objects.filter(school=self.school).values_list(
                "plan_id", "number", "pk"
            )
        }
        self.plan_items = [
            [ids[(plan.pk, n)] for n in range(1, len(entries) + 1)]
            for plan, entries in zip(plans, self.items_of, strict=True)
        ]

    def _type_id(self, code: str) -> int:
        work_type = self.work_types.get(code) or self.default_type
        return work_type.pk

    def _period_of(self, grade: int, day: dt.date):
        for period in self.periods_of_grade[grade]:
            if period.starts_on <= day <= period.ends_on:
                return period
        return None

    def _course(self, course: _Course, plan: list[PlanEntry], item_ids: list[int]) -> None:
        rng, school_id, settings = self.rng, self.school_id, self.settings
        grade = course.school_class.grade
        style = STYLES.get(course.subject.name, GENERIC_STYLE)
        with_marks = not (settings.grade_one_without_marks and grade == 1) and not (
            course.subject.no_attestation
        )
        # each lesson of the plan in order: the plan item of the n-th lesson held
        slots = [n for n, entry in enumerate(plan) for _ in range(entry.hours)]
        answer_share = _answer_share(course.weekly)
        homework_share = 0.0 if style.homework == "none" else 0.9
        limit = settings.marks_limit_days
        recent = self.today - dt.timedelta(days=7)
        held = [row for row in course.lessons if not row[9]]
        members = course.always + [s for s, _inside in course.sometimes]
        levels = {s: self._student_level(s, course.subject.pk) for s in members}
        random, uniform = rng.random, rng.uniform
        for count, row in enumerate(held):
            pk, day, number, starts_at, ends_at, _g, subject_id, teacher, substitute, _c = row
            start = self._at(day, starts_at)
            if start > self.now:
                break
            end = self._at(day, ends_at)
            acting = substitute or teacher
            index = slots[count] if count < len(slots) else None
            entry = plan[index] if index is not None else PlanEntry("Повторение", 1)
            columns = [self.work_types.get(c) or self.default_type for c in entry.columns]
            if not with_marks:
                columns = []
            homework = ("", "", "")
            given = not entry.control or rng.random() < 0.3
            if given and rng.random() < homework_share:
                homework = _homework(style.homework, grade, entry.para, count, rng)
            written = min(self._when(start, end, rng.uniform(2, 40), 0.2, rng), self.now)
            self.records.append(
                (
                    school_id, pk, entry.topic[:500],
                    item_ids[index] if index is not None else None,
                    not (day >= recent and rng.random() < 0.04),
                    homework[0], homework[1][:100], homework[2][:100],
                    json.dumps([c.id for c in columns]), acting, written,
                )
            )  # fmt: skip

            self._register(pk, day, start, end, acting, recent)
            present = []
            for student in course.members(day):
                if day in self.away.get(student, ()):
                    self._attendance(pk, student, Attendance.Kind.ABSENT, start, end, acting)
                    continue
                chance = rng.random()
                if chance < SKIP_ONE:
                    self._attendance(pk, student, Attendance.Kind.ABSENT, start, end, acting)
                    if rng.random() < 0.5:
                        self._reason(
                            student,
                            course.school_class.pk,
                            day,
                            AbsenceReason.Reason.INVALID,
                            "",
                            dt.time(15, 0),
                        )
                    continue
                if chance < SKIP_ONE + (LATE_FIRST if number == 1 else LATE_OTHER):
                    self._attendance(pk, student, Attendance.Kind.LATE, start, end, acting)
                present.append(student)
            if not columns:
                continue
            period = self._period_of(grade, day)
            emit = self._emitter(course, levels, pk, acting, period.pk if period else None)
            oral_share = answer_share / (2 if len(columns) > 1 else 1)
            for work_type in columns:
                if work_type.is_control:
                    days = rng.choice((0, 1, 1, 2, 2, 3))
                    days = min(days, max(limit, work_type.check_days or 0))
                    checked = self._at(day, dt.time(14, 0)) + dt.timedelta(days=days)
                    earliest = end + dt.timedelta(minutes=20)
                    kind = "control" if work_type.code in ("control", "essay") else "written"
                    for student in present:
                        if random() < 0.96:
                            at = checked + dt.timedelta(minutes=uniform(0, 420))
                            emit(student, work_type, kind, at if at > earliest else earliest)
                    continue
                share = oral_share if work_type.code == ANSWER else 0.25
                for student in present:
                    if random() < share:
                        if random() < 0.3:
                            at = end + dt.timedelta(minutes=uniform(10, 300))
                        else:
                            at = start + dt.timedelta(minutes=uniform(8, 44))
                        emit(student, work_type, "oral", at)

    def _when(self, start, end, minutes: float, later: float, rng) -> dt.datetime:
        """During the lesson, or (with probability `later`) that afternoon or evening."""
        if rng.random() < later:
            return end + dt.timedelta(minutes=rng.uniform(10, 300))
        return start + dt.timedelta(minutes=minutes)

    def _register(self, lesson, day, start, end, acting, recent) -> None:
        """The register taken at the lesson (R-ATT-1): mostly in its first minutes, now and
        then after it; in the last week about 3 % of lessons are still without one, for
        the deputy's deadline page to show."""
        rng = self.check_rng
        if day >= recent and rng.random() < 0.03:
            return
        at = start + dt.timedelta(minutes=rng.uniform(1, 10))
        if rng.random() < 0.05:
            at = end + dt.timedelta(minutes=rng.uniform(10, 300))
        self.checks.append((self.school_id, lesson, min(at, self.now), acting))

    def _attendance(self, lesson, student, kind, start, end, acting) -> None:
        rng = self.rng
        at = self._when(start, end, rng.uniform(1, 12), 0.1, rng)
        if at > self.now:
            at = max(start, self.now)
        self.attendance.append(
            (self.school_id, lesson, student, kind, at, acting, at, acting, 1, False)
        )

    def _emitter(self, course, levels, lesson, acting, period_id):
        """A function writing one student's mark(s) in a column of the lesson, if their
        time has come; the weighted sums of the period are kept for the period marks."""
        rng, now, school_id = self.rng, self.now, self.school_id
        gauss, random, choice = rng.gauss, rng.random, rng.choice
        append = self.marks.append
        pass_fail = self.settings.mark_scale == SchoolSettings.MarkScale.PASS_FAIL
        sums, key = self.period_sums, id(course)

        def emit(student, work_type, kind, at):
            if at > now:
                return  # not entered yet
            bias, spread = MARK_BIAS[kind]
            x = levels[student] + gauss(bias, spread)
            parts = (x, x - 0.3 + gauss(0, 0.6)) if work_type.double_mark else (x,)
            weight = self.weights[work_type.id]
            for part, x in enumerate(parts, 1):
                if pass_fail:
                    value, points = (values.PASS if x >= 2.5 else values.FAIL), None
                else:
                    points = 5 if x >= 4.5 else 4 if x >= 3.5 else 3 if x >= 2.5 else 2
                    value = VALUES[points]
                comment = ""
                if points is not None and random() < 0.03:
                    comment = choice(COMMENTS[points])
                append(
                    (
                        school_id, lesson, student, work_type.id, part, value, points, comment,
                        at, acting, at, acting, 1,
                    )
                )  # fmt: skip
                if period_id is not None and points is not None:
                    total = sums.get((key, student, period_id))
                    if total is None:
                        total = sums[(key, student, period_id)] = [0.0, 0.0]
                    total[0] += weight * points
                    total[1] += weight

        return emit

    def _period_marks(self) -> None:
        """The period marks of the periods that have ended: the suggested mark of the
        weighted average, set by the course's teacher in the period's last days."""
        rng, settings = self.rng, self.settings
        rows, seen = [], set()
        pass_fail = settings.mark_scale == SchoolSettings.MarkScale.PASS_FAIL
        for course in self.courses:
            grade = course.school_class.grade
            if course.subject.no_attestation or (settings.grade_one_without_marks and grade == 1):
                continue
            for period in self.periods_of_grade[grade]:
                if period.ends_on >= self.today:
                    continue
                for student in course.members(period.ends_on):
                    key = (student, course.subject.pk, period.pk)
                    if key in seen:
                        continue
                    seen.add(key)
                    sums = self.period_sums.get((id(course), student, period.pk))
                    if pass_fail:
                        value, points = values.CREDIT, None
                    elif not sums or not sums[1]:
                        value, points = values.NOT_ATTESTED, None
                    else:
                        value = _suggested(Decimal(f"{sums[0] / sums[1]:.2f}"), settings)
                        points = int(value)
                    day = period.ends_on - dt.timedelta(days=rng.choice((0, 1, 1, 2, 3)))
                    at = min(self._at(day, dt.time(13, 0), rng.uniform(0, 360)), self.now)
                    rows.append(
                        (
                            self.school.pk, student, course.subject.pk, self.year.pk,
                            FinalKind.PERIOD, period.pk, course.group.pk, value, points, at,
                            course.teacher_id, 1,
                        )
                    )  # fmt: skip
        self.period_rows = rows
