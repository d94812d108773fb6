"""Demo schools for trying Otmetka and for measuring it: schools in several time zones with
their calendar, bells, rooms, curriculum, classes, subgroups, teaching load, staff, students
and parents, all with accounts; a clash-free weekly timetable of every class, the dated
lessons of the whole year, and some replacements and cancellations in the past weeks.

Rows are written with bulk_create: 20 schools of 1,000 students are ~300,000 rows, and a
per-row save() with full_clean() would take an hour. The password is hashed once for the
same reason (one PBKDF2 hash costs ~0.5 s). Everything follows from --seed through
random.Random objects, never the global generator, so two runs build the same schools."""

import datetime as dt
import math
import random
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import check_password, make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import services as account_services
from accounts.models import (
    CoordinatorAssignment,
    CredentialIssue,
    Membership,
    Municipality,
    Parent,
    ParentApplication,
    ParentLink,
    Role,
    School,
    Student,
    User,
)
from schedule import demo
from schedule.models import (
    AcademicYear,
    Bell,
    BellSchedule,
    Building,
    CurriculumHours,
    Enrolment,
    GradeLevel,
    Group,
    GroupMembership,
    Holiday,
    Lesson,
    Order,
    PeriodKind,
    ReportingPeriod,
    Room,
    SchoolClass,
    Subject,
    TeachingLoad,
    TimetableEntry,
)
from schedule.services.timetable import year_lessons_generate

BATCH = 2000
WHOLE_CLASS = "весь класс"


@dataclass(eq=False)
class Person:
    last_name: str
    first_name: str
    middle_name: str
    gender: str  # "m" / "f"
    with_email: bool = True
    username: str = ""
    user: User | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


@dataclass(eq=False)
class StaffPlan:
    person: Person
    role: str
    position: str
    since: dt.date
    specialty: str = ""
    hours: Decimal = Decimal(0)
    hours_by_class: dict = field(default_factory=dict)  # ClassPlan -> hours


@dataclass(eq=False)
class ClassPlan:
    grade: int
    letter: str
    shift: int
    home_room: Room | None = None
    teacher: StaffPlan | None = None
    kids: list = field(default_factory=list)
    obj: SchoolClass | None = None
    whole: Group | None = None
    # subject name -> [group 1, group 2]
    subgroups: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.grade}{self.letter}"


@dataclass(eq=False)
class Family:
    mother: Person | None
    father: Person | None
    father_name: tuple[str, str, str]
    surname: str
    pool: demo.NamePool
    kids: list = field(default_factory=list)


@dataclass(eq=False)
class KidPlan:
    person: Person
    klass: ClassPlan
    family: Family
    birth_date: dt.date
    record: Student | None = None


# The memorable logins <slug>-<suffix>, in the order they are listed.
MEMORABLE = (
    ("admin", "администратор"),
    ("director", "директор"),
    ("deputy", "заместитель директора"),
    ("teacher", "учитель"),
    ("classteacher", "классный руководитель"),
    ("parent", "родитель"),
    ("student", "ученик"),
    ("psychologist", "педагог-психолог"),
    ("social", "социальный педагог"),
    ("secretary", "делопроизводитель"),
    ("substitute", "учитель на замене"),
    ("monitoring", "мониторинг"),
)


@dataclass
class Login:
    school: str
    role: str
    username: str
    name: str


@dataclass
class Totals:
    schools: int = 0
    students: int = 0
    users: int = 0
    lessons: int = 0
    unplaced: int = 0


class SchoolBuilder:
    """Plans one school in memory, then writes it in a fixed number of bulk inserts."""

    def __init__(
        self,
        *,
        template: demo.SchoolTemplate,
        number: int,
        municipality: Municipality,
        seed: int,
        start_year: int,
        students_per_class: int,
        classes_per_grade: int | None,
        password_hash: str,
        slug: str | None = None,
        dated_lessons: bool = True,
    ):
        self.template = template
        # another slug makes a school outside the demo set (the benchmark's)
        self.number = number
        self.slug = slug or f"{template.key}{number}"
        self.dated_lessons = dated_lessons
        self.school_number = template.numbers[(number - 1) % len(template.numbers)]
        if number > len(template.numbers):
            self.school_number += 100 * ((number - 1) // len(template.numbers))
        self.municipality = municipality
        # one generator per school: a school's data does not depend on how many others exist
        self.rng = random.Random(f"{seed}:{self.slug}")
        self.start_year = start_year
        self.students_per_class = students_per_class
        self.classes_per_grade = classes_per_grade
        self.password_hash = password_hash
        self.calendar = demo.school_calendar(start_year, template.calendar)
        self.year_start = self.calendar.starts_on
        self.pool = demo.NAME_POOLS[template.names]
        self.staff: list[StaffPlan] = []
        self.classes: list[ClassPlan] = []
        self.families: list[Family] = []
        self.kids: list[KidPlan] = []
        self.user_count = 0
        # the timetable's own generator: the timetable may change without changing people
        self.timetable_rng = random.Random(f"{seed}:{self.slug}:timetable")
        self.entry_count = 0
        self.lesson_count = 0
        self.unplaced = 0
        self.gaps = 0
        self.replaced = 0
        self.cancelled = 0

    # --- planning ------------------------------------------------------------------------

    def _pool(self) -> demo.NamePool:
        if self.rng.random() < demo.MIXED_SHARE[self.template.names]:
            return demo.NAME_POOLS["ru"]
        return self.pool

    def _adult(self, gender: str) -> Person:
        pool = self._pool()
        surname = self.rng.choice(pool.surnames)
        grandfather = self.rng.choice(pool.fathers)
        if gender == "m":
            return Person(surname, self.rng.choice(pool.fathers)[0], grandfather[1], "m")
        return Person(
            demo.feminine_surname(surname), self.rng.choice(pool.women), grandfather[2], "f"
        )

    def _hired(self) -> dt.date:
        return dt.date(self.start_year - self.rng.randint(0, 25), 8, 25)

    def _staff(self, role: str, position: str, gender: str | None = None, **kw) -> StaffPlan:
        gender = gender or ("f" if self.rng.random() < 0.8 else "m")
        plan = StaffPlan(self._adult(gender), role, position, self._hired(), **kw)
        self.staff.append(plan)
        return plan

    def plan(self) -> None:
        self._plan_classes()
        self._plan_administration()
        self._plan_teachers()
        self._plan_students()
        self._plan_logins()

    def _plan_classes(self) -> None:
        for grade in range(1, 12):
            count = self.classes_per_grade or (2 if grade >= 10 else self.rng.choice((2, 3)))
            shift = 2 if grade in demo.SECOND_SHIFT_GRADES else 1
            for letter in demo.CLASS_LETTERS[:count]:
                self.classes.append(ClassPlan(grade, letter, shift))

    def _plan_administration(self) -> None:
        self.admin = self._staff(Role.ADMIN, "администратор электронного журнала")
        self.director = self._staff(Role.DIRECTOR, "директор")
        deputies = ["заместитель директора по УВР", "заместитель директора по ВР"]
        if self.rng.random() < 0.5:
            deputies.insert(1, "заместитель директора по УВР (начальная школа)")
        self.deputies = [self._staff(Role.DEPUTY, d) for d in deputies]
        self.psychologist = self._staff(Role.PSYCHOLOGIST, "педагог-психолог")
        self.social = self._staff(Role.SOCIAL_PEDAGOGUE, "социальный педагог")
        self.secretary = self._staff(Role.SECRETARY, "делопроизводитель", gender="f")
        self.substitute = self._staff(Role.SUBSTITUTE, "учитель (замещение уроков)")
        self.monitoring = self._staff(Role.MONITORING, "специалист отдела образования (мониторинг)")

    def _subjects(self) -> list[demo.SubjectSpec]:
        return [s for s in demo.CURRICULUM if s.only in ("", self.template.calendar)]

    def _plan_teachers(self) -> None:
        """Распределение нагрузки: a primary class has its own teacher for the primary
        subjects; other subjects go to subject teachers, about HOURS_PER_TEACHER hours
        each, the two subgroups of a class to different teachers where possible."""
        # (class, specialty, subgroup index or None) -> [(spec, hours)]
        units: dict[tuple, list] = {}
        for klass in self.classes:
            for spec in self._subjects():
                hours = spec.hours_in(klass.grade)
                if not hours:
                    continue
                if klass.grade <= 4 and spec.primary:
                    units.setdefault((klass, "primary", None), []).append((spec, hours))
                elif spec.split_from and klass.grade >= spec.split_from:
                    for index in (0, 1):
                        units.setdefault((klass, spec.specialty, (spec.name, index)), [])
                        units[(klass, spec.specialty, (spec.name, index))].append((spec, hours))
                else:
                    units.setdefault((klass, spec.specialty, None), []).append((spec, hours))

        self.loads: list[tuple[StaffPlan, ClassPlan, tuple | None, demo.SubjectSpec, Decimal]] = []
        by_specialty: dict[str, list] = {}
        for key, items in units.items():
            by_specialty.setdefault(key[1], []).append((key, items))

        for specialty, specialty_units in by_specialty.items():
            position = demo.SPECIALTIES[specialty]
            if specialty == "primary":
                for (klass, _, _), items in specialty_units:
                    teacher = self._staff(Role.TEACHER, position, specialty=specialty)
                    klass.teacher = teacher
                    self._assign(teacher, klass, None, items)
                continue
            total = sum(h for _, items in specialty_units for _, h in items)
            # about HOURS_PER_TEACHER each, and nobody above one and a half rates; two at
            # least where classes split into groups, as the groups meet at the same time
            split = any(unit[2] is not None for unit, _ in specialty_units)
            count = max(
                2 if split else 1,
                round(total / demo.HOURS_PER_TEACHER),
                math.ceil(total / 27),
            )
            teachers = [
                self._staff(Role.TEACHER, position, specialty=specialty) for _ in range(count)
            ]
            first_group: dict[tuple, StaffPlan] = {}  # (class, subject) -> its group 1 teacher
            for (klass, _, subgroup), items in specialty_units:
                candidates = teachers
                if subgroup is not None and subgroup[1] == 1:
                    other = first_group[(klass, subgroup[0])]
                    candidates = [t for t in teachers if t is not other] or teachers
                # the least loaded; ties go to the first hired, so the plan is reproducible
                teacher = min(candidates, key=lambda t: t.hours)
                if subgroup is not None and subgroup[1] == 0:
                    first_group[(klass, subgroup[0])] = teacher
                self._assign(teacher, klass, subgroup, items)

        # A class teacher of grades 5-11 is one of the class's own teachers, the one with the
        # most hours in it; nobody leads two classes.
        leading = {id(k.teacher) for k in self.classes if k.teacher}
        teachers = [s for s in self.staff if s.role == Role.TEACHER]
        for klass in self.classes:
            if klass.teacher:
                continue
            own = sorted(
                (t for t in teachers if klass in t.hours_by_class),
                key=lambda t: -t.hours_by_class[klass],
            )
            free = [t for t in own if id(t) not in leading] or [
                t for t in teachers if id(t) not in leading
            ]
            if free:
                klass.teacher = free[0]
                leading.add(id(free[0]))

    def _assign(self, teacher, klass, subgroup, items) -> None:
        for spec, hours in items:
            self.loads.append((teacher, klass, subgroup, spec, hours))
            teacher.hours += hours
            teacher.hours_by_class[klass] = teacher.hours_by_class.get(klass, 0) + hours

    def _plan_students(self) -> None:
        spread = self.students_per_class // 10
        slots: list[ClassPlan] = []
        for klass in self.classes:
            size = max(1, self.students_per_class + self.rng.randint(-spread, spread))
            slots.extend([klass] * size)
        # about one family in six has two children here: S students in F families with F/6
        # of them doubled means S/7 pairs. Pairs are taken from a grade-sorted sample, the
        # i-th with the (i+k)-th, so that siblings are in different grades.
        pairs = len(slots) // 7
        chosen = sorted(self.rng.sample(range(len(slots)), 2 * pairs))
        second_of = {}
        for i in range(pairs):
            first, second = chosen[i], chosen[i + pairs]
            if slots[first] is not slots[second]:
                second_of[second] = first
        family_of_slot: dict[int, Family] = {}
        for index, klass in enumerate(slots):
            pair = second_of.get(index)
            family = family_of_slot[pair] if pair is not None else self._family()
            family_of_slot[index] = family
            self._kid(family, klass)

    def _family(self) -> Family:
        pool = self._pool()
        surname = self.rng.choice(pool.surnames)
        father_name = self.rng.choice(pool.fathers)
        kind = self.rng.random()
        mother = father = None
        if kind < 0.92:
            mother = Person(
                demo.feminine_surname(surname),
                self.rng.choice(pool.women),
                self.rng.choice(pool.fathers)[2],
                "f",
            )
        if kind < 0.70 or kind >= 0.92:
            father = Person(surname, father_name[0], self.rng.choice(pool.fathers)[1], "m")
        family = Family(mother, father, father_name, surname, pool)
        self.families.append(family)
        return family

    def _kid(self, family: Family, klass: ClassPlan) -> None:
        gender = "m" if self.rng.random() < 0.5 else "f"
        names = family.pool.boys if gender == "m" else family.pool.girls
        first = self.rng.choice(names)
        if any(k.person.first_name == first for k in family.kids):
            first = self.rng.choice(names)
        person = Person(
            family.surname if gender == "m" else demo.feminine_surname(family.surname),
            first,
            family.father_name[1] if gender == "m" else family.father_name[2],
            gender,
            with_email=False,
        )
        # a first-grader is six or seven on 1 September
        born = dt.date(self.start_year - 6 - klass.grade, 9, 1)
        kid = KidPlan(person, klass, family, born + dt.timedelta(days=self.rng.randint(0, 364)))
        family.kids.append(kid)
        klass.kids.append(kid)
        self.kids.append(kid)

    def _plan_logins(self) -> None:
        """Memorable logins that fit together: the parent has two children here, the student
        is one of them, the class teacher leads the student's class and the teacher teaches
        it."""
        pairs = [f for f in self.families if len(f.kids) > 1]
        middle = [f for f in pairs if any(5 <= k.klass.grade <= 9 for k in f.kids)]
        family = (middle or pairs or self.families)[0]
        kid = next((k for k in family.kids if 5 <= k.klass.grade <= 9), family.kids[0])
        parent = family.mother or family.father
        class_teacher = kid.klass.teacher or next(k.teacher for k in self.classes if k.teacher)
        own = [
            t
            for t, k, _, _, _ in self.loads
            if k is kid.klass and t is not class_teacher and t.specialty == "maths"
        ] + [t for t, k, _, _, _ in self.loads if k is kid.klass and t is not class_teacher]
        teacher = (
            own[0]
            if own
            else next(s for s in self.staff if s.role == Role.TEACHER and s is not class_teacher)
        )
        memorable = {
            "admin": self.admin,
            "director": self.director,
            "deputy": self.deputies[0],
            "teacher": teacher,
            "classteacher": class_teacher,
            "parent": parent,
            "student": kid,
            "psychologist": self.psychologist,
            "social": self.social,
            "secretary": self.secretary,
            "substitute": self.substitute,
            "monitoring": self.monitoring,
        }
        assert list(memorable) == [suffix for suffix, _ in MEMORABLE]
        for suffix, plan in memorable.items():
            person = plan if isinstance(plan, Person) else plan.person
            person.username = f"{self.slug}-{suffix}"

    # --- writing -----------------------------------------------------------------------

    def build(self) -> None:
        self.plan()
        t = self.template
        name, short_name = (
            t.name.format(n=self.school_number),
            t.short_name.format(n=self.school_number),
        )
        if self.slug != f"{t.key}{self.number}":
            name, short_name = f"{name} ({self.slug})", f"{self.slug}: {short_name}"
        self.school = account_services.school_create(
            name=name,
            short_name=short_name,
            slug=self.slug,
            municipality=self.municipality,
            time_zone=t.time_zone,
            address=f"{self.rng.choice(t.streets)}, {self.rng.randint(1, 120)}",
            instruction_languages=t.languages,
        )
        self._build_calendar()
        self._build_premises()
        self._build_curriculum()
        self._build_people()
        self._build_classes()
        self._build_contingent()
        self._build_credentials_log()
        self._build_timetable()
        if self.dated_lessons:
            self.lesson_count = year_lessons_generate(year=self.year)
            self._build_changes()

    def _build_calendar(self) -> None:
        cal = self.calendar
        school = self.school
        self.year = AcademicYear.objects.create(
            school=school, name=cal.name, starts_on=cal.starts_on, ends_on=cal.ends_on
        )
        kinds = {}
        for grade in range(1, 12):
            # Russian senior grades are assessed by half-years; Kazakh schools by quarters
            halves = grade >= 10 and self.template.calendar == "ru"
            kinds[grade] = PeriodKind.HALF if halves else PeriodKind.QUARTER
        GradeLevel.objects.bulk_create(
            GradeLevel(
                school=school,
                year=self.year,
                grade=g,
                period_kind=k,
                study_days=demo.study_days(self.template.calendar, g),
            )
            for g, k in kinds.items()
        )
        periods = [
            ReportingPeriod(
                school=school,
                year=self.year,
                kind=PeriodKind.QUARTER,
                number=n,
                starts_on=s,
                ends_on=e,
            )
            for n, (s, e) in enumerate(cal.quarters, 1)
        ]
        if PeriodKind.HALF in kinds.values():
            periods += [
                ReportingPeriod(
                    school=school,
                    year=self.year,
                    kind=PeriodKind.HALF,
                    number=n,
                    starts_on=s,
                    ends_on=e,
                )
                for n, (s, e) in enumerate(cal.halves, 1)
            ]
        ReportingPeriod.objects.bulk_create(periods)
        Holiday.objects.bulk_create(
            Holiday(
                school=school,
                year=self.year,
                name=name,
                kind=kind,
                starts_on=s,
                ends_on=e,
                grades=grades,
            )
            for name, kind, s, e, grades in cal.holidays
        )
        y = self.start_year
        self.enrol_order = Order.objects.create(
            school=school,
            number=f"{self.rng.randint(90, 180)}-у",
            date=demo.weekday_before(dt.date(y, 8, 29)),
            kind=Order.Kind.ENROLMENT,
            title=f"О комплектовании 1–11 классов на {cal.name} учебный год",
        )
        self.groups_order = Order.objects.create(
            school=school,
            number=f"{self.rng.randint(181, 220)}-о",
            date=demo.weekday_before(dt.date(y, 9, 1)),
            kind=Order.Kind.GROUPS,
            title=f"О делении классов на группы в {cal.name} учебном году",
        )

    def _build_premises(self) -> None:
        school = self.school
        buildings = [Building(school=school, name="Основное здание", address=school.address)]
        two = self.rng.random() < 0.5
        self.two_buildings = two
        if two:
            street = self.rng.choice(self.template.streets)
            buildings.append(
                Building(
                    school=school,
                    name="Корпус начальной школы",
                    address=f"{street}, {self.rng.randint(1, 120)}",
                )
            )
        Building.objects.bulk_create(buildings)
        rooms = [
            Room(
                school=school,
                building=buildings[0],
                number="С1",
                name="Спортивный зал",
                capacity=60,
            ),
            Room(
                school=school,
                building=buildings[0],
                number="С2",
                name="Малый спортивный зал",
                capacity=30,
            ),
        ]
        # Enough gyms for two lessons a week of every class (about 40 lessons a week each),
        # and enough floors for a shift's classes and their second groups at once.
        gyms = max(2, math.ceil(2 * len(self.classes) / 40))
        rooms += [
            Room(
                school=school,
                building=buildings[0],
                number=f"С{n}",
                name=f"Спортивный зал № {n - 1}",
                capacity=60,
            )
            for n in range(3, gyms + 1)
        ]
        shift = max(sum(1 for k in self.classes if k.shift == s) for s in (1, 2))
        floors = 3 + max(0, math.ceil((1.3 * shift - 28) / 13))
        general, primary = [], []
        for floor in range(1, floors + 1):
            for k in range(1, 14):
                number = f"{floor}{k:02d}"
                name, capacity = demo.SPECIAL_ROOMS.get(number, ("", 30))
                room = Room(
                    school=school,
                    building=buildings[0],
                    number=number,
                    name=name,
                    capacity=capacity,
                )
                rooms.append(room)
                if not name:
                    (primary if floor == 1 and not two else general).append(room)
        if two:
            for floor in (1, 2):
                for k in range(1, 7):
                    room = Room(
                        school=school,
                        building=buildings[1],
                        number=f"{floor}{k:02d}",
                        capacity=28,
                    )
                    rooms.append(room)
                    primary.append(room)
        Room.objects.bulk_create(rooms)
        self.main_rooms = {r.number: r for r in rooms if r.building is buildings[0]}
        self.room_pools = {"primary": primary or general, "general": general or primary}
        # Home rooms: the two shifts share classrooms, as they do in real two-shift schools.
        for shift in (1, 2):
            used = {"primary": 0, "general": 0}
            for klass in self.classes:
                if klass.shift != shift:
                    continue
                kind, pool = ("primary", primary) if klass.grade <= 4 else ("general", general)
                if not pool:
                    pool = general or primary
                klass.home_room = pool[used[kind] % len(pool)]
                used[kind] += 1

        self.bell_schedules = {}
        bells = []
        for shift in (1, 2):
            schedule = BellSchedule.objects.create(
                school=school, name=f"{shift} смена", shift=shift
            )
            self.bell_schedules[shift] = schedule
            bells += [
                Bell(school=school, schedule=schedule, number=n, starts_at=s, ends_at=e)
                for n, s, e in demo.bell_times(shift)
            ]
        Bell.objects.bulk_create(bells)

    def _build_curriculum(self) -> None:
        specs = self._subjects()
        self.subjects = {
            s.name: Subject(
                school=self.school,
                name=s.name,
                short_name=s.short_name,
                no_attestation=s.no_attestation,
            )
            for s in specs
        }
        Subject.objects.bulk_create(self.subjects.values())
        CurriculumHours.objects.bulk_create(
            CurriculumHours(
                school=self.school,
                year=self.year,
                grade=grade,
                subject=self.subjects[s.name],
                hours_per_week=s.hours_in(grade),
            )
            for s in specs
            for grade in range(1, 12)
            if s.hours_in(grade)
        )

    def _usernames(self) -> list[Person]:
        people = [s.person for s in self.staff] + [k.person for k in self.kids]
        for family in self.families:
            people += [p for p in (family.mother, family.father) if p]
        taken: dict[str, int] = {}
        for person in people:
            if person.username:
                continue
            initial = demo.translit(person.first_name)[:1]
            base = f"{self.slug}.{initial}.{demo.translit(person.last_name)}"
            taken[base] = taken.get(base, 0) + 1
            person.username = base if taken[base] == 1 else f"{base}{taken[base]}"
        return people

    def _build_people(self) -> None:
        people = self._usernames()
        now = timezone.now()
        for person in people:
            person.user = User(
                username=person.username,
                first_name=person.first_name,
                last_name=person.last_name,
                middle_name=person.middle_name,
                email=f"{person.username}@example.org" if person.with_email else "",
                password=self.password_hash,
                date_joined=now,
            )
        User.objects.bulk_create([p.user for p in people], batch_size=BATCH)
        self.user_count = len(people)

        school = self.school
        memberships = [
            Membership(
                school=school,
                user_id=s.person.user.pk,
                role=s.role,
                position=s.position,
                starts_on=s.since,
            )
            for s in self.staff
        ]
        memberships += [
            Membership(
                school=school,
                user_id=k.person.user.pk,
                role=Role.STUDENT,
                starts_on=self.year_start,
            )
            for k in self.kids
        ]
        memberships += [
            Membership(
                school=school, user_id=p.user.pk, role=Role.PARENT, starts_on=self.year_start
            )
            for f in self.families
            for p in (f.mother, f.father)
            if p
        ]
        Membership.objects.bulk_create(memberships, batch_size=BATCH)

    def _build_classes(self) -> None:
        school = self.school
        for klass in self.classes:
            klass.obj = SchoolClass(
                school=school,
                year=self.year,
                grade=klass.grade,
                letter=klass.letter,
                class_teacher_id=klass.teacher.person.user.pk if klass.teacher else None,
                bell_schedule=self.bell_schedules[klass.shift],
                home_room=klass.home_room,
            )
        SchoolClass.objects.bulk_create([k.obj for k in self.classes], batch_size=BATCH)

        groups = []
        for klass in self.classes:
            # what schedule.services.whole_class_group_ensure makes, one per class
            klass.whole = Group(
                school=school, school_class=klass.obj, name=WHOLE_CLASS, is_whole_class=True
            )
            groups.append(klass.whole)
            for spec in self._subjects():
                if (
                    spec.split_from
                    and klass.grade >= spec.split_from
                    and spec.hours_in(klass.grade)
                ):
                    pair = [
                        Group(
                            school=school,
                            school_class=klass.obj,
                            name=f"{n} группа ({spec.group_label})",
                            subject=self.subjects[spec.name],
                        )
                        for n in (1, 2)
                    ]
                    klass.subgroups[spec.name] = pair
                    groups += pair
        Group.objects.bulk_create(groups, batch_size=BATCH)

        TeachingLoad.objects.bulk_create(
            (
                TeachingLoad(
                    school=school,
                    teacher_id=teacher.person.user.pk,
                    group=klass.whole
                    if subgroup is None
                    else klass.subgroups[subgroup[0]][subgroup[1]],
                    subject=self.subjects[spec.name],
                    hours_per_week=hours,
                )
                for teacher, klass, subgroup, spec, hours in self.loads
            ),
            batch_size=BATCH,
        )

    def _fallback_rooms(self, klass: ClassPlan) -> tuple:
        """Ordinary classrooms a class's lesson may move to, the nearest to its own first;
        the primary building's rooms only for grades 1-4."""
        own, other = ("primary", "general") if klass.grade <= 4 else ("general", "primary")
        pool = list(self.room_pools[own])
        if klass.home_room in pool:
            at = pool.index(klass.home_room)
            pool = pool[at:] + pool[:at]
        if not self.two_buildings or klass.grade <= 4:
            pool += [r for r in self.room_pools[other] if r not in pool]
        return tuple(pool)

    def _courses(self) -> list[demo.Course]:
        """The teaching load as the timetable sees it: a course of the whole class, or the
        two subgroups of a split subject meeting at once, each with its teacher and room.
        Should one teacher have both groups, they meet one after the other."""
        by_key: dict[tuple, list] = {}
        for teacher, klass, subgroup, spec, hours in self.loads:
            by_key.setdefault((klass, spec.name), []).append((teacher, subgroup, spec, hours))
        courses = []
        for (klass, name), loads in by_key.items():
            teachers = [load[0] for load in loads]
            if len(set(map(id, teachers))) < len(teachers):
                courses += [self._course(klass, name, [load]) for load in loads]
            else:
                courses.append(self._course(klass, name, loads))
        return courses

    def _course(self, klass: ClassPlan, name: str, loads: list) -> demo.Course:
        spec, hours = loads[0][2], loads[0][3]
        fallback = self._fallback_rooms(klass)
        special, anywhere = demo.SUBJECT_ROOMS.get(name, ((), True))
        if klass.grade <= 4 and spec.primary:
            special, anywhere = (), True  # in the class's own room with its own teacher
        parts = []
        for index, (teacher, subgroup, _spec, _hours) in enumerate(loads):
            group = klass.whole if subgroup is None else klass.subgroups[name][subgroup[1]]
            if special:
                rooms = tuple(self.main_rooms[n] for n in special if n in self.main_rooms)
            else:
                # the first group stays in the class's room, the second goes next door
                rooms = (klass.home_room,) if index == 0 and klass.home_room else ()
                fallback = fallback[index:] + fallback[:index]
            parts.append(demo.Part(group, teacher, rooms, fallback if anywhere else ()))
        return demo.Course(klass, name, math.ceil(hours), tuple(parts))

    def _build_timetable(self) -> None:
        """R-TT-1: every class's weekly timetable, with no teacher, room or group in two
        places at once, within its grade's study days and lessons a day."""
        bells = {shift: demo.bell_times(shift) for shift in (1, 2)}
        weeks = {}
        for klass in self.classes:
            usual, most = demo.lessons_per_day(klass.grade)
            weeks[klass] = demo.ClassWeek(
                days=demo.study_days(self.template.calendar, klass.grade),
                usual=usual,
                most=most,
                bells={n: (demo.minutes(s), demo.minutes(e)) for n, s, e in bells[klass.shift]},
            )
        placement = demo.timetable_place(self._courses(), weeks, self.timetable_rng)
        self.unplaced = len(placement.unplaced)
        self.gaps = placement.gaps
        times = {shift: {n: (s, e) for n, s, e in rows} for shift, rows in bells.items()}
        deputy = self.deputies[0].person.user
        entries = []
        for item in sorted(
            placement.placed,
            key=lambda p: (self.classes.index(p.course.klass), p.day, p.number),
        ):
            klass = item.course.klass
            starts_at, ends_at = times[klass.shift][item.number]
            for part, room in zip(item.course.parts, item.rooms, strict=True):
                entries.append(
                    TimetableEntry(
                        school=self.school,
                        year=self.year,
                        school_class=klass.obj,
                        group=part.group,
                        subject=self.subjects[item.course.subject],
                        teacher_id=part.teacher.person.user.pk,
                        room=room,
                        weekday=item.day,
                        number=item.number,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        starts_on=self.year.starts_on,
                        created_by=deputy,
                    )
                )
        TimetableEntry.objects.bulk_create(entries, batch_size=BATCH)
        self.entry_count = len(entries)

    def _change_window(self) -> tuple[dt.date, dt.date]:
        """The four weeks before the school's today; before the year begins, its first
        fortnight (replacements planned ahead)."""
        today = self.school.today()
        first = max(self.year.starts_on, today - dt.timedelta(days=28))
        last = min(today - dt.timedelta(days=1), self.year.ends_on)
        if last < first:
            first = self.year.starts_on
            last = first + dt.timedelta(days=13)
        return first, last

    def _build_changes(self) -> None:
        """R-TT-3: a few teachers away for one to three days, their lessons given to a
        colleague of the same subject, to the substitute teacher or to any free teacher
        (or cancelled when nobody is free), and a few cancelled class days. Nobody gets
        two lessons at once: every lesson, substituted or not, keeps its acting teacher
        busy in `busy`."""
        rng, tz = self.timetable_rng, self.school.tz
        first, last = self._change_window()
        rows = list(
            Lesson.objects.filter(school=self.school, date__range=(first, last))
            .order_by("date", "starts_at", "pk")
            .values_list(
                "pk", "date", "number", "starts_at", "ends_at", "teacher_id", "subject_id",
                "school_class_id",
            )
        )  # fmt: skip
        if not rows:
            return
        busy: dict[tuple, list] = {}
        for _pk, day, _n, start, end, teacher, _s, _c in rows:
            busy.setdefault((teacher, day), []).append((demo.minutes(start), demo.minutes(end)))

        teachers = [s for s in self.staff if s.role == Role.TEACHER]
        subject_names = {obj.pk: name for name, obj in self.subjects.items()}
        taught: dict[str, list[StaffPlan]] = {}  # subject -> who has a load in it
        for teacher, _klass, _sub, spec, _hours in self.loads:
            if teacher not in taught.setdefault(spec.name, []):
                taught[spec.name].append(teacher)
        now = timezone.now()
        deputy = self.deputies[0].person.user
        changed: dict[int, Lesson] = {}
        away: set[tuple] = set()  # (user id, date) of teachers away

        def stamp(pk, day, reason, **fields) -> None:
            decided = dt.datetime.combine(
                day - dt.timedelta(days=1), dt.time(15, rng.randint(0, 59)), tz
            )
            changed[pk] = Lesson(
                pk=pk,
                change_reason=reason,
                changed_by=deputy,
                changed_at=min(decided, now),
                substitute_id=fields.get("substitute_id"),
                substitute_same_subject=fields.get("same"),
                is_cancelled=fields.get("cancelled", False),
            )

        lessons_of: dict[int, list] = {}
        for row in rows:
            lessons_of.setdefault(row[5], []).append(row)
        sick_pool = [t for t in teachers if t.person.user.pk in lessons_of]
        episodes = max(2, len(teachers) // 8)
        for episode in range(min(episodes, len(sick_pool))):
            teacher = sick_pool.pop(rng.randrange(len(sick_pool)))
            user_id = teacher.person.user.pk
            days = sorted({row[1] for row in lessons_of[user_id]})
            start = rng.randrange(len(days))
            days = days[start : start + rng.randint(1, 3)]
            away.update((user_id, d) for d in days)
            reason = demo.SUBSTITUTION_REASONS[episode % len(demo.SUBSTITUTION_REASONS)]
            for pk, day, _n, s, e, _t, subject_id, _c in lessons_of[user_id]:
                if day not in days or pk in changed:
                    continue
                name = subject_names[subject_id]
                colleagues = [t for t in taught.get(name, []) if t is not teacher]
                others = [t for t in teachers if t is not teacher and t not in colleagues]
                rng.shuffle(colleagues)
                rng.shuffle(others)
                # every other episode tries the substitute teacher first: both kinds of
                # replacement (same subject or not) appear in the report
                if episode % 2:
                    candidates = [self.substitute, *colleagues, *others]
                else:
                    candidates = [*colleagues, self.substitute, *others]
                start_m, end_m = demo.minutes(s), demo.minutes(e)
                substitute = next(
                    (
                        c
                        for c in candidates
                        if (c.person.user.pk, day) not in away
                        and demo.free_at(busy.get((c.person.user.pk, day), ()), start_m, end_m)
                    ),
                    None,
                )
                if substitute is None:
                    stamp(pk, day, f"{reason}, {demo.NO_SUBSTITUTE}", cancelled=True)
                    continue
                sub_id = substitute.person.user.pk
                busy.setdefault((sub_id, day), []).append((start_m, end_m))
                # same subject: the substitute has a teaching load in it (R-TT-3)
                same = substitute in taught.get(name, ())
                stamp(pk, day, reason, substitute_id=sub_id, same=same)

        by_class: dict[int, list] = {}
        for row in rows:
            by_class.setdefault(row[7], []).append(row)
        for reason, whole_day in demo.CANCELLATIONS[: max(2, len(self.classes) // 10)]:
            klass = rng.choice(self.classes)
            class_rows = by_class.get(klass.obj.pk, [])
            if not class_rows:
                continue
            day = rng.choice(sorted({row[1] for row in class_rows}))
            today_rows = [r for r in class_rows if r[1] == day and r[0] not in changed]
            if not whole_day:
                later = [r for r in today_rows if r[2] >= 4]
                today_rows = later or today_rows[-1:]
            for row in today_rows:
                stamp(row[0], day, reason, cancelled=True)

        Lesson.objects.bulk_update(
            changed.values(),
            [
                "substitute",
                "substitute_same_subject",
                "is_cancelled",
                "change_reason",
                "changed_by",
                "changed_at",
            ],
            batch_size=500,
        )
        lessons = changed.values()
        self.replaced = sum(1 for x in lessons if x.substitute_id)
        self.cancelled = sum(1 for x in lessons if x.is_cancelled)

    def _build_credentials_log(self) -> None:
        """R-ROLE-4: staff got their logins from the admin when hired; students and
        parents from the class teacher in the first two weeks of September."""
        school, tz = self.school, self.school.tz

        def at(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(14, self.rng.randint(0, 59)), tz)

        def early_september() -> dt.datetime:
            day = self.year_start + dt.timedelta(days=self.rng.randint(0, 11))
            while day.weekday() > 4:
                day += dt.timedelta(days=1)
            return at(day)

        admin = self.admin.person.user
        rows = [
            CredentialIssue(
                school=school,
                user=s.person.user,
                person_name=s.person.full_name,
                role=s.role,
                kind=CredentialIssue.Kind.FIRST,
                issued_by=admin,
                issued_at=at(max(s.since, self.year_start - dt.timedelta(days=7))),
            )
            for s in self.staff
            if s.person.user != admin
        ]
        for family in self.families:
            klass = family.kids[0].klass
            issuer = (klass.teacher or self.admin).person.user
            for kid in family.kids:
                rows.append(
                    CredentialIssue(
                        school=school,
                        user=kid.person.user,
                        person_name=kid.person.full_name,
                        role=Role.STUDENT,
                        kind=CredentialIssue.Kind.FIRST,
                        issued_by=(kid.klass.teacher or self.admin).person.user,
                        issued_at=early_september(),
                    )
                )
            for parent in (family.mother, family.father):
                if parent is not None:
                    rows.append(
                        CredentialIssue(
                            school=school,
                            user=parent.user,
                            person_name=parent.full_name,
                            role=Role.PARENT,
                            kind=CredentialIssue.Kind.FIRST,
                            issued_by=issuer,
                            issued_at=early_september(),
                        )
                    )
        CredentialIssue.objects.bulk_create(rows, batch_size=BATCH)

    def _build_contingent(self) -> None:
        school = self.school
        for klass in self.classes:
            klass.kids.sort(key=lambda k: (k.person.last_name, k.person.first_name))
        ordered = [k for klass in self.classes for k in klass.kids]
        for n, kid in enumerate(ordered, 1):
            p = kid.person
            kid.record = Student(
                school=school,
                last_name=p.last_name,
                first_name=p.first_name,
                middle_name=p.middle_name,
                user_id=p.user.pk,
                birth_date=kid.birth_date,
                gender=p.gender,
                personal_file=f"{p.last_name[0]}-{n:04d}",
            )
        Student.objects.bulk_create([k.record for k in ordered], batch_size=BATCH)

        parents, links = [], []
        prefix = self.template.phone_prefix
        for family in self.families:
            for person, relation in (
                (family.mother, ParentLink.Relation.MOTHER),
                (family.father, ParentLink.Relation.FATHER),
            ):
                if person is None:
                    continue
                phone = (
                    f"{prefix} {self.rng.randint(100, 999)}-{self.rng.randint(10, 99)}"
                    f"-{self.rng.randint(10, 99)}"
                )
                record = Parent(
                    school=school,
                    last_name=person.last_name,
                    first_name=person.first_name,
                    middle_name=person.middle_name,
                    user_id=person.user.pk,
                    phone=phone,
                    email=person.user.email,
                )
                parents.append(record)
                links += [(record, kid, relation) for kid in family.kids]
        Parent.objects.bulk_create(parents, batch_size=BATCH)
        # R-ROLE-7: each parent's signed application with the consent, taken by the class
        # teacher on the first day, before any login was issued
        first_child = {}
        for record, kid, _relation in links:
            first_child.setdefault(record.pk, (record, kid))
        received_at = dt.datetime.combine(self.year_start, dt.time(13, 0), school.tz)
        ParentApplication.objects.bulk_create(
            (
                ParentApplication(
                    school=school,
                    parent=record,
                    received_on=self.year_start,
                    number=str(n),
                    pd_consent=True,
                    decision=ParentApplication.Decision.ACCEPTED,
                    recorded_by=(kid.klass.teacher or self.admin).person.user,
                    recorded_at=received_at,
                )
                for n, (record, kid) in enumerate(first_child.values(), 1)
            ),
            batch_size=BATCH,
        )
        ParentLink.objects.bulk_create(
            (
                ParentLink(
                    school=school,
                    parent_id=record.pk,
                    student_id=kid.record.pk,
                    relation=relation,
                )
                for record, kid, relation in links
            ),
            batch_size=BATCH,
        )

        Enrolment.objects.bulk_create(
            (
                Enrolment(
                    school=school,
                    student_id=kid.record.pk,
                    school_class_id=kid.klass.obj.pk,
                    order=self.enrol_order,
                    starts_on=self.year_start,
                )
                for kid in ordered
            ),
            batch_size=BATCH,
        )
        # Groups are split by the class list: the first half alphabetically is group 1.
        members = []
        for klass in self.classes:
            half = (len(klass.kids) + 1) // 2
            for pair in klass.subgroups.values():
                for index, kid in enumerate(klass.kids):
                    members.append(
                        GroupMembership(
                            school=school,
                            group_id=pair[0 if index < half else 1].pk,
                            student_id=kid.record.pk,
                            order=self.groups_order,
                            starts_on=self.year_start,
                        )
                    )
        GroupMembership.objects.bulk_create(members, batch_size=BATCH)


def schools_delete(ids: list[int]) -> None:
    """Delete schools with everything in them. The dated lessons and the timetable go
    first, each in one DELETE: the cascade from the school would read the RESTRICT
    references of every lesson into memory (a million rows for 20 schools). The journal's
    rows go before them: marks and attendance refer to lessons with RESTRICT."""
    from journal.demo import journal_delete  # the journal builds on schedule, not back

    journal_delete(ids)
    Lesson.objects.filter(school__in=ids).delete()
    TimetableEntry.objects.filter(school__in=ids).delete()
    School.objects.filter(pk__in=ids).delete()


class Command(BaseCommand):
    help = (
        "Создаёт демонстрационные школы (по умолчанию 4: Томск, Костанай, Пермь, Одинцово) "
        "с календарём, звонками, кабинетами, учебным планом, классами, группами, нагрузкой, "
        "сотрудниками, учениками и родителями. Данные определяются --seed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="начальное число генератора")
        parser.add_argument("--schools", type=int, default=4, help="сколько школ (по умолчанию 4)")
        parser.add_argument(
            "--students-per-class",
            type=int,
            default=25,
            help="учеников в классе (±10%%, по умолчанию 25)",
        )
        parser.add_argument(
            "--classes-per-grade",
            type=int,
            default=None,
            help="классов в параллели (по умолчанию 2 или 3, в 10-11 классах 2)",
        )
        parser.add_argument("--password", default="demo12345", help="пароль всех демо-входов")
        parser.add_argument(
            "--flush", action="store_true", help="сначала удалить прежние демо-данные"
        )
        parser.add_argument("--quiet", action="store_true", help="вывести только итоговую строку")
        parser.add_argument(
            "--logins",
            action="store_true",
            help="ничего не создавать, только показать демо-входы уже созданных школ",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        if options["logins"]:
            logins = self._stored_logins()
            if not logins:
                raise CommandError("Демонстрационных школ нет: создайте их командой seed_demo.")
            self._print_logins(logins, options["password"])
            return
        schools = options["schools"]
        per_class = options["students_per_class"]
        per_grade = options["classes_per_grade"]
        if schools < 1:
            raise CommandError("--schools: нужна хотя бы одна школа.")
        if per_class < 1:
            raise CommandError("--students-per-class: нужен хотя бы один ученик в классе.")
        if per_grade is not None and not 1 <= per_grade <= len(demo.CLASS_LETTERS):
            raise CommandError(
                f"--classes-per-grade: от 1 до {len(demo.CLASS_LETTERS)} классов в параллели."
            )
        self.quiet = options["quiet"]

        with transaction.atomic():
            if options["flush"]:
                self._flush()
            else:
                self._refuse_if_present()
            totals = self._build(options, started)
            logins = [] if self.quiet else self._stored_logins()

        if logins:
            self._print_logins(logins, options["password"])
        if totals.unplaced:
            self._say(f"Не нашлось места в расписании всего для {totals.unplaced} уроков в неделю")
        self.stdout.write(
            f"Built {totals.schools} schools, {totals.students} students, "
            f"{totals.users} users, {totals.lessons} lessons in "
            f"{time.monotonic() - started:.1f} s"
        )

    def _say(self, text: str) -> None:
        if not self.quiet:
            self.stdout.write(text)

    def _refuse_if_present(self) -> None:
        slugs = list(
            School.objects.filter(slug__regex=demo.DEMO_SLUG_REGEX).values_list("slug", flat=True)
        )
        users = User.objects.filter(username__regex=demo.DEMO_USERNAME_REGEX)
        if slugs or users.exists():
            where = ", ".join(sorted(slugs)[:10]) or "только учётные записи"
            raise CommandError(
                f"Демонстрационные данные уже есть ({where}). Запустите команду с --flush, "
                "чтобы удалить их и создать заново."
            )

    def _flush(self) -> None:
        started = time.monotonic()
        schools = School.objects.filter(slug__regex=demo.DEMO_SLUG_REGEX)
        ids = list(schools.values_list("pk", flat=True))
        schools_delete(ids)
        _, deleted = User.objects.filter(username__regex=demo.DEMO_USERNAME_REGEX).delete()
        users = deleted.get(User._meta.label, 0)
        Municipality.objects.filter(
            name__in=demo.DEMO_MUNICIPALITIES, schools__isnull=True, coordinators__isnull=True
        ).delete()
        self._say(
            f"Удалены демо-данные: школ {len(ids)}, учётных записей {users} "
            f"({time.monotonic() - started:.1f} s)"
        )

    def _build(self, options, started):
        from journal.demo import journal_seed  # the journal builds on schedule, not back

        today = timezone.localdate()
        start_year = demo.year_start_for(today)
        password_hash = make_password(options["password"])
        totals = Totals()
        municipalities: dict[str, Municipality] = {}
        built = []
        for index in range(options["schools"]):
            template = demo.TEMPLATES[index % len(demo.TEMPLATES)]
            if template.municipality not in municipalities:
                municipalities[template.municipality] = Municipality.objects.get_or_create(
                    name=template.municipality
                )[0]
            builder = SchoolBuilder(
                template=template,
                number=index // len(demo.TEMPLATES) + 1,
                municipality=municipalities[template.municipality],
                seed=options["seed"],
                start_year=start_year,
                students_per_class=options["students_per_class"],
                classes_per_grade=options["classes_per_grade"],
                password_hash=password_hash,
            )
            builder.build()
            built.append(builder.school)
            totals.schools += 1
            totals.students += len(builder.kids)
            totals.users += builder.user_count
            totals.lessons += builder.lesson_count
            totals.unplaced += builder.unplaced
            self._say(
                f"{builder.slug}: {len(builder.classes)} классов, {len(builder.kids)} учеников, "
                f"{len(builder.staff)} сотрудников; расписание: {builder.entry_count} уроков "
                f"в неделю, окон {builder.gaps}; уроков в году {builder.lesson_count}, "
                f"замен {builder.replaced}, отмен {builder.cancelled} "
                f"({time.monotonic() - started:.1f} s)"
            )
            if builder.unplaced:
                self._say(
                    f"{builder.slug}: не нашлось места в расписании для {builder.unplaced} "
                    "уроков в неделю"
                )
        journal_seed(schools=built, seed=options["seed"], say=self._say)
        totals.users += self._build_coordinators(
            options["seed"], start_year, password_hash, municipalities
        )
        return totals

    def _build_coordinators(self, seed, start_year, password_hash, municipalities):
        rng = random.Random(f"{seed}:coordinators")
        rows = []
        for number, template in enumerate(demo.TEMPLATES, 1):
            municipality = municipalities.get(template.municipality)
            if municipality is None:
                continue
            pool = demo.NAME_POOLS[template.names]
            female = rng.random() < 0.7
            surname = rng.choice(pool.surnames)
            user = User(
                username=f"coordinator-{number}",
                last_name=demo.feminine_surname(surname) if female else surname,
                first_name=rng.choice(pool.women) if female else rng.choice(pool.fathers)[0],
                middle_name=rng.choice(pool.fathers)[2 if female else 1],
                email=f"coordinator-{number}@example.org",
                password=password_hash,
            )
            rows.append((user, municipality))
        User.objects.bulk_create([u for u, _ in rows])
        CoordinatorAssignment.objects.bulk_create(
            CoordinatorAssignment(user=u, municipality=m, starts_on=dt.date(start_year - 2, 9, 1))
            for u, m in rows
        )
        return len(rows)

    def _stored_logins(self) -> list[Login]:
        """The memorable logins of the demo schools in the database, with what each is for.
        Read back rather than remembered, so that --logins prints the same table later."""
        today = timezone.localdate()

        def order(school):
            key, number = re.fullmatch(r"([a-z]+)(\d+)", school.slug).groups()
            return int(number), demo.DEMO_KEYS.index(key)

        schools = sorted(School.objects.filter(slug__regex=demo.DEMO_SLUG_REGEX), key=order)
        users = {
            u.username: u
            for u in User.objects.filter(username__regex=demo.DEMO_USERNAME_REGEX).filter(
                username__regex=r"-[a-z0-9]+$"
            )
        }
        logins = []
        for school in schools:
            student = Student.objects.filter(
                school=school, user__username=f"{school.slug}-student"
            ).first()
            enrolment = student and student.enrolments.active_on(today).first()
            school_class = enrolment.school_class if enrolment else None
            for suffix, label in MEMORABLE:
                user = users.get(f"{school.slug}-{suffix}")
                if user is None:
                    continue
                if suffix == "student" and student and student.gender == "f":
                    label = "ученица"
                if suffix in ("student", "classteacher") and school_class:
                    label = f"{label} {school_class}"
                if suffix == "teacher" and school_class:
                    label = f"{label}, ведёт уроки в {school_class}"
                if suffix == "parent":
                    children = ParentLink.objects.filter(parent__user=user).count()
                    label = "родитель двоих детей" if children == 2 else label
                logins.append(Login(school.slug, label, user.username, user.full_name))
        coordinators = CoordinatorAssignment.objects.filter(
            user__username__regex=r"^coordinator-[0-9]+$"
        ).select_related("user", "municipality")
        for assignment in sorted(coordinators, key=lambda a: int(a.user.username[12:])):
            count = assignment.municipality.schools.count()
            logins.append(
                Login(
                    assignment.municipality.name,
                    f"муниципальный координатор ({count} шк.)",
                    assignment.user.username,
                    assignment.user.full_name,
                )
            )
        return logins

    def _print_logins(self, logins: list[Login], password: str) -> None:
        sample = User.objects.get(username=logins[0].username)
        if check_password(password, sample.password):
            title = f"Демо-входы, пароль у всех: {password}"
        else:
            title = "Демо-входы, пароль у всех тот, что был задан при создании (--password)"
        rows = [("Школа или округ", "Роль", "Логин", "ФИО")]
        rows += [(x.school, x.role, x.username, x.name) for x in logins]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        self.stdout.write("")
        self.stdout.write(title)
        for n, row in enumerate(rows):
            cells = (c.ljust(w) for c, w in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write("")
