"""Named people of two schools. Everyone in `lyceum` (Tomsk, UTC+7) except the outsider,
who works in `gymnasium` (Perm, UTC+5) and must see nothing of the lyceum."""

import datetime as dt
import os
import shutil
from dataclasses import dataclass

import pytest
import time_machine

from accounts.models import Role
from schedule.models import Group, TeachingLoad

from . import factories as f

# A Tuesday in the first quarter, 10:00 in Tomsk.
NOW = dt.datetime(2026, 10, 6, 3, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _default_language():
    """A request in Kazakh leaves Kazakh active in the thread: start each test in Russian."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _clean_cache():
    """With REDIS_URL the cache outlives a test: login rate limits must not leak."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _frozen_time(request):
    if request.node.get_closest_marker("browser"):
        yield  # a live server and a browser need a running clock
        return
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class People:
    lyceum: object
    gymnasium: object
    year: object
    class_5a: object
    class_5b: object
    english_1: object
    english_2: object
    maths: object
    english: object
    admin: object
    director: object
    deputy: object
    teacher: object
    class_teacher: object
    parent: object
    student: object
    student_record: object
    sibling_record: object
    other_student_record: object
    outsider: object
    coordinator: object


@pytest.fixture
def people(db) -> People:
    region = f.MunicipalityFactory(name="Томск")
    lyceum = f.school_make("lyceum", "Asia/Tomsk", municipality=region, name="Лицей №1")
    gymnasium = f.school_make("gymnasium", "Asia/Yekaterinburg", name="Гимназия №2")
    year = f.year_make(lyceum)
    f.year_make(gymnasium)

    admin = f.UserFactory(username="admin", last_name="Админова", first_name="Анна")
    director = f.UserFactory(username="director", last_name="Директоров", first_name="Денис")
    deputy = f.UserFactory(username="deputy", last_name="Завучева", first_name="Зоя")
    teacher = f.UserFactory(username="teacher", last_name="Учителев", first_name="Устин")
    class_teacher = f.UserFactory(username="classteacher", last_name="Классова", first_name="Клара")
    parent = f.UserFactory(username="parent", last_name="Родителева", first_name="Раиса")
    student = f.UserFactory(username="student", last_name="Родителев", first_name="Степан")
    outsider = f.UserFactory(username="outsider", last_name="Чужаков", first_name="Олег")
    coordinator = f.UserFactory(username="coordinator", last_name="Координатов", first_name="Карп")

    f.member(admin, lyceum, Role.ADMIN)
    f.member(director, lyceum, Role.DIRECTOR)
    f.member(deputy, lyceum, Role.DEPUTY)
    f.member(teacher, lyceum, Role.TEACHER)
    f.member(class_teacher, lyceum, Role.TEACHER)
    f.member(outsider, gymnasium, Role.TEACHER)
    f.member(outsider, gymnasium, Role.ADMIN)
    from accounts.models import CoordinatorAssignment

    CoordinatorAssignment.objects.create(
        user=coordinator, municipality=region, starts_on=dt.date(2020, 1, 1)
    )

    class_5a = f.class_make(lyceum, year, 5, "А", class_teacher=class_teacher)
    class_5b = f.class_make(lyceum, year, 5, "Б")
    maths = f.subject_make(lyceum, "Математика")
    english = f.subject_make(lyceum, "Английский язык")
    english_1 = Group.objects.create(
        school=lyceum, school_class=class_5a, name="1 группа", subject=english
    )
    english_2 = Group.objects.create(
        school=lyceum, school_class=class_5a, name="2 группа", subject=english
    )

    student_record = f.student_make(lyceum, class_5a, "Родителев", "Степан", user=student)
    sibling_record = f.student_make(lyceum, class_5b, "Родителева", "Софья")
    other_student_record = f.student_make(lyceum, class_5a, "Другов", "Дмитрий")
    f.parent_make(lyceum, parent, student_record, sibling_record)

    whole_5a = class_5a.groups.get(is_whole_class=True)
    TeachingLoad.objects.create(
        school=lyceum, teacher=teacher, group=whole_5a, subject=maths, hours_per_week=5
    )
    TeachingLoad.objects.create(
        school=lyceum, teacher=teacher, group=english_1, subject=english, hours_per_week=3
    )
    return People(
        lyceum=lyceum,
        gymnasium=gymnasium,
        year=year,
        class_5a=class_5a,
        class_5b=class_5b,
        english_1=english_1,
        english_2=english_2,
        maths=maths,
        english=english,
        admin=admin,
        director=director,
        deputy=deputy,
        teacher=teacher,
        class_teacher=class_teacher,
        parent=parent,
        student=student,
        student_record=student_record,
        sibling_record=sibling_record,
        other_student_record=other_student_record,
        outsider=outsider,
        coordinator=coordinator,
    )


@dataclass
class Timetable:
    """The lyceum's bells, rooms and calendar on top of `people`, for timetable tests."""

    bells: object
    building: object
    room_201: object
    room_202: object
    room_305: object
    autumn_vacation: object
    unity_day: object


@pytest.fixture
def timetable(people) -> Timetable:
    from schedule.models import Bell, BellSchedule, Building, GroupMembership, Holiday, Room

    school = people.lyceum
    bells = BellSchedule.objects.create(school=school, name="1 смена", shift=1)
    start = dt.datetime(2026, 1, 1, 8, 0)
    for number in range(1, 8):
        begins = start + dt.timedelta(minutes=55 * (number - 1))
        Bell.objects.create(
            school=school,
            schedule=bells,
            number=number,
            starts_at=begins.time(),
            ends_at=(begins + dt.timedelta(minutes=45)).time(),
        )
    SchoolClass = type(people.class_5a)
    SchoolClass.objects.filter(pk__in=[people.class_5a.pk, people.class_5b.pk]).update(
        bell_schedule=bells
    )
    people.class_5a.refresh_from_db()
    people.class_5b.refresh_from_db()
    building = Building.objects.create(school=school, name="Главный корпус")
    rooms = [
        Room.objects.create(school=school, building=building, number=n)
        for n in ("201", "202", "305")
    ]
    autumn = Holiday.objects.create(
        school=school,
        year=people.year,
        name="Осенние каникулы",
        starts_on=dt.date(2026, 10, 26),
        ends_on=dt.date(2026, 11, 3),
    )
    unity = Holiday.objects.create(
        school=school,
        year=people.year,
        name="День народного единства",
        kind=Holiday.Kind.HOLIDAY,
        starts_on=dt.date(2026, 11, 4),
        ends_on=dt.date(2026, 11, 4),
    )
    for student, group in (
        (people.student_record, people.english_1),
        (people.other_student_record, people.english_2),
    ):
        GroupMembership.objects.create(
            school=school, group=group, student=student, starts_on=dt.date(2026, 9, 1)
        )
    return Timetable(bells, building, *rooms, autumn, unity)


# --- headless Chromium (Debian's package) driven by Playwright against a live server.
# Here, not in tests/browser/, so that browser tests of any folder share one browser.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is needed for browser tests: apt-get install chromium ({CHROMIUM})")
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to
    # run there unless told the loop is not serving async code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
