"""The reports' tests build on the journal's fixtures (people, timetable, journal).

`week` fills the week of Monday 5 October 2026 in the lyceum (Tomsk) and the first quarter
before it, and the parents the weekly report goes to (R-NOT-1, R-NOT-2):

- the student (5А, English group 1): maths 5 (answer, Mon), 4 (test, weight 1.5, Wed),
  English 3 (answer, Tue); maths 3 (control, weight 3) on 15 September; absent at maths on
  Thursday, late at maths on Friday; an absence at maths on Tuesday from a parent's notice
  the teacher has not confirmed (pending: not counted);
- the other 5А student (English group 2): maths 2 on Monday, English 5 on Tuesday, absent
  at maths on Tuesday;
- parents: `parent` (the student's and the 5Б sibling's mother, e-mail), `father` (the
  student's, e-mail), `paper` (the student's guardian, no account), `other_parent` (the
  other student's, e-mail), `declined` (the other student's father: an account, but his
  latest application declines electronic access), `changed_mind` (the sibling's father:
  declined once, then accepted — the latest decides).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from accounts.models import Parent, ParentApplication, ParentLink, WorkType
from journal.models import AbsenceNotice, Attendance, Mark
from tests import factories as f
from tests.journal.conftest import journal, lesson_on  # noqa: F401  (the fixture, for this folder)

MONDAY = dt.date(2026, 10, 5)
FRIDAY = dt.date(2026, 10, 9)
# Friday 9 October 2026, 15:00 in Tomsk (UTC+7): the weekly report's time
FRIDAY_15_TOMSK = dt.datetime(2026, 10, 9, 8, 0, tzinfo=dt.UTC)


def mark_put(people, lesson, student, value: str, code: str = "answer", part: int = 1) -> Mark:
    school = people.lyceum if lesson.school_id == people.lyceum.pk else lesson.school
    work_type = WorkType.objects.get(school=school, code=code)
    moment = dt.datetime.combine(lesson.date, dt.time(12), tzinfo=dt.UTC)
    return Mark.objects.create(
        school=school,
        lesson=lesson,
        student=student,
        work_type=work_type,
        part=part,
        value=value,
        points=int(value) if value.isdigit() else None,
        created_at=moment,
        created_by=people.teacher,
        updated_at=moment,
        updated_by=people.teacher,
    )


def absence_put(people, lesson, student, kind=Attendance.Kind.ABSENT, notice=None) -> Attendance:
    moment = dt.datetime.combine(lesson.date, dt.time(12), tzinfo=dt.UTC)
    return Attendance.objects.create(
        school_id=lesson.school_id,
        lesson=lesson,
        student=student,
        kind=kind,
        created_at=moment,
        created_by=people.teacher,
        updated_at=moment,
        updated_by=people.teacher,
        notice=notice,
        pending=notice is not None,
    )


def application(people, parent, decision, on: dt.date) -> ParentApplication:
    return ParentApplication.objects.create(
        school=parent.school,
        parent=parent,
        received_on=on,
        pd_consent=decision == ParentApplication.Decision.ACCEPTED,
        decision=decision,
        recorded_by=people.admin,
    )


@dataclass
class Week:
    father: object
    paper: object
    other_parent: object
    declined: object
    declined_parent: Parent
    changed_mind: object
    maths_monday: object
    english_1: object
    english_2: object


@pytest.fixture
def week(people, journal) -> Week:  # noqa: F811  (journal: the fixture imported above)
    school = people.lyceum
    student, other = people.student_record, people.other_student_record
    maths = {
        day: lesson_on(people, day) for day in (MONDAY + dt.timedelta(days=n) for n in range(5))
    }
    english_1 = lesson_on(people, MONDAY + dt.timedelta(days=1), people.english_1, people.english)
    english_2 = lesson_on(people, MONDAY + dt.timedelta(days=1), people.english_2, people.english)
    september = lesson_on(people, dt.date(2026, 9, 15))

    mark_put(people, maths[MONDAY], student, "5")
    mark_put(people, maths[MONDAY + dt.timedelta(days=2)], student, "4", "test")
    mark_put(people, english_1, student, "3")
    mark_put(people, september, student, "3", "control")
    absence_put(people, maths[MONDAY + dt.timedelta(days=3)], student)
    absence_put(people, maths[FRIDAY], student, Attendance.Kind.LATE)
    notice = AbsenceNotice.objects.create(
        school=school,
        student=student,
        starts_on=dt.date(2026, 10, 6),
        ends_on=dt.date(2026, 10, 6),
        reason=AbsenceNotice.Reason.ILLNESS,
        created_by=people.parent,
        created_at=dt.datetime(2026, 10, 6, 3, tzinfo=dt.UTC),
    )
    absence_put(people, maths[MONDAY + dt.timedelta(days=1)], student, notice=notice)

    mark_put(people, maths[MONDAY], other, "2")
    mark_put(people, english_2, other, "5")
    absence_put(people, maths[MONDAY + dt.timedelta(days=1)], other)

    people.parent.email = "parent@example.org"
    people.parent.save(update_fields=["email"])
    father = f.UserFactory(username="father", last_name="Родителев", first_name="Фёдор")
    f.parent_make(school, father, student, relation=ParentLink.Relation.FATHER)
    paper = Parent.objects.create(school=school, last_name="Бумагин", first_name="Борис")
    ParentLink.objects.create(
        school=school, parent=paper, student=student, relation=ParentLink.Relation.GUARDIAN
    )
    other_parent = f.UserFactory(username="otherparent", last_name="Другова", first_name="Дарья")
    f.parent_make(school, other_parent, other)
    declined = f.UserFactory(username="declined", last_name="Другов", first_name="Денис")
    declined_parent = f.parent_make(school, declined, other, relation=ParentLink.Relation.FATHER)
    application(people, declined_parent, ParentApplication.Decision.ACCEPTED, dt.date(2026, 9, 2))
    application(people, declined_parent, ParentApplication.Decision.DECLINED, dt.date(2026, 9, 10))
    changed_mind = f.UserFactory(username="changedmind", last_name="Родителев", first_name="Сидор")
    changed = f.parent_make(
        school, changed_mind, people.sibling_record, relation=ParentLink.Relation.FATHER
    )
    application(people, changed, ParentApplication.Decision.DECLINED, dt.date(2026, 9, 2))
    application(people, changed, ParentApplication.Decision.ACCEPTED, dt.date(2026, 9, 20))
    return Week(
        father=father,
        paper=paper,
        other_parent=other_parent,
        declined=declined,
        declined_parent=declined_parent,
        changed_mind=changed_mind,
        maths_monday=maths[MONDAY],
        english_1=english_1,
        english_2=english_2,
    )


WEIGHTED_MATHS_WEEK = Decimal("4.40")  # (5×1 + 4×1.5) ÷ 2.5
WEIGHTED_MATHS_QUARTER = Decimal("3.64")  # (3×3 + 5×1 + 4×1.5) ÷ 5.5


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """The PDFs go to a folder of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


def pdf_text(data: bytes) -> tuple[int, list[str]]:
    """(pages, the text of each page) of a PDF."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), [page.extract_text() for page in reader.pages]
