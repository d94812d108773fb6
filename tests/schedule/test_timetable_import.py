"""R-TT-1, R-TT-4: the administration loads a weekly timetable from a CSV or XLSX file. Every
row is checked first (a preview rolled back) with its errors in Russian; the confirmed import
goes through the timetable service, so clashes are refused, also between rows of one file;
any failing row and nothing is saved. "Replace" ends the classes' timetable from a date."""

import datetime as dt
import io

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from schedule.models import Lesson, TimetableEntry
from schedule.services.timetable import entry_add
from schedule.timetable_import import HEADERS, MAX_FILE_BYTES, read_rows

from .. import factories as f

START = "2026-10-06"  # the frozen today, a Tuesday in the first quarter


def url(p):
    return reverse("timetable_import", args=[p.lyceum.slug])


def sample_url(p, kind):
    return reverse("timetable_import_sample", args=[p.lyceum.slug]) + f"?format={kind}"


def csv_upload(rows, headers=HEADERS, name="расписание.csv", delimiter=";", encoding="utf-8"):
    lines = [delimiter.join(headers)] + [delimiter.join(str(c) for c in row) for row in rows]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(encoding))


def xlsx_upload(rows, headers=HEADERS, name="расписание.xlsx"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def preview(client, p, upload, starts_on=START, replace=False):
    data = {"file": upload, "starts_on": starts_on}
    if replace:
        data["replace"] = "on"
    return client.post(url(p), data)


def confirm(client, p, response):
    return client.post(url(p), {"token": response.context["token"]})


def row_errors(response) -> dict[int, list[str]]:
    return {row.number: row.errors for row in response.context["result"].rows}


GOOD_ROWS = [
    ["5А", "Понедельник", 1, "Математика", "", "teacher", "201"],
    ["5 а", "вт", 2, "Английский язык", "1 группа", "Учителев У.", "305"],
    ["5А", "3", 2, "английский ЯЗЫК", "2 ГРУППА", "Классова Клара", "202"],
    ["5Б", "Пятница", 1, "Математика", "", "Учителев Устин", ""],
]


def test_r_tt_1_good_csv_preview_saves_nothing_then_confirm_imports_it(client, people, timetable):
    client.force_login(people.deputy)
    response = preview(client, people, csv_upload(GOOD_ROWS))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Все строки верны (4)" in html
    assert "Подтвердить загрузку" in html
    assert all(not errors for errors in row_errors(response).values())
    assert list(row_errors(response)) == [2, 3, 4, 5]
    result = response.context["result"]
    assert result.entries == 4 and result.lessons > 0 and not result.saved
    # the preview was rolled back
    assert not TimetableEntry.objects.exists() and not Lesson.objects.exists()

    token = response.context["token"]
    response = confirm(client, people, response)
    assert response.status_code == 302
    assert response["Location"] == url(people)
    entries = TimetableEntry.objects.order_by("school_class__letter", "weekday", "number", "pk")
    assert [(str(e.group), e.subject.name, e.weekday, e.number) for e in entries] == [
        ("5А", "Математика", 1, 1),
        ("5А 1 группа", "Английский язык", 2, 2),
        ("5А 2 группа", "Английский язык", 3, 2),
        ("5Б", "Математика", 5, 1),
    ]
    english_1 = entries[1]
    assert english_1.teacher == people.teacher and english_1.room == timetable.room_305
    assert english_1.starts_on == dt.date(2026, 10, 6) and english_1.created_by == people.deputy
    assert entries[2].teacher == people.class_teacher and entries[3].room is None
    lessons = Lesson.objects.count()
    assert lessons == result.lessons
    # Tuesday lessons begin today; none in the autumn vacation
    assert Lesson.objects.filter(entry=english_1).order_by("date").first().date == dt.date(
        2026, 10, 6
    )
    assert not Lesson.objects.filter(date__range=("2026-10-26", "2026-11-04")).exists()
    (text,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert text.startswith("Расписание загружено. Создано: 4 записи расписания, ")
    assert f"{lessons} урок" in text
    # the same token cannot import the file twice
    again = client.post(url(people), {"token": token})
    assert again.status_code == 400
    assert "Проверенный файл больше не сохранён" in again.content.decode()
    assert TimetableEntry.objects.count() == 4


def test_r_tt_1_confirm_cannot_be_replayed_and_needs_the_session_token(client, people, timetable):
    client.force_login(people.admin)
    response = preview(client, people, csv_upload(GOOD_ROWS[:1]))
    token = response.context["token"]
    assert client.post(url(people), {"token": "forged"}).status_code == 400
    # a wrong token drops the kept file: the real one no longer works either
    assert client.post(url(people), {"token": token}).status_code == 400
    assert not TimetableEntry.objects.exists()

    response = preview(client, people, csv_upload(GOOD_ROWS[:1]))
    assert confirm(client, people, response).status_code == 302
    assert client.post(url(people), {"token": response.context["token"]}).status_code == 400
    assert TimetableEntry.objects.count() == 1


def test_r_tt_1_xlsx_file_with_columns_in_any_order_and_case(client, people, timetable):
    headers = ["учитель", "КЛАСС", "День", "урок", "Предмет", "Кабинет", "группа"]
    rows = [
        ["Учителев Устин", "5А", "Среда", 3, "Математика", 201, None],
        ["teacher", "5А", 4, 1.0, "Английский язык", "305", "1 группа"],
    ]
    client.force_login(people.director)
    response = preview(client, people, xlsx_upload(rows, headers))
    assert response.status_code == 200
    assert row_errors(response) == {2: [], 3: []}
    shown = [row.display() for row in response.context["result"].rows]
    assert shown[0] == ["5А", "Среда", "3", "Математика", "весь класс", "Учителев У.", "201"]
    assert confirm(client, people, response).status_code == 302
    entries = TimetableEntry.objects.order_by("weekday")
    assert [(e.weekday, e.number, e.room.number, e.group_id) for e in entries] == [
        (3, 3, "201", people.class_5a.groups.get(is_whole_class=True).pk),
        (4, 1, "305", people.english_1.pk),
    ]


def test_r_tt_1_cp1251_csv_with_commas_is_read(client, people, timetable):
    client.force_login(people.deputy)
    upload = csv_upload(GOOD_ROWS[:1], delimiter=",", encoding="cp1251")
    response = preview(client, people, upload)
    assert response.status_code == 200
    assert row_errors(response) == {2: []}


def test_r_tt_1_clash_with_the_timetable_in_force_is_shown_on_its_row(client, people, timetable):
    entry_add(
        actor=people.deputy,
        school_class=people.class_5b,
        group=people.class_5b.groups.get(is_whole_class=True),
        subject=people.maths,
        teacher=people.teacher,
        room=None,
        weekday=1,
        number=1,
        starts_on=dt.date(2026, 9, 1),
    )
    client.force_login(people.deputy)
    response = preview(client, people, csv_upload(GOOD_ROWS))
    assert response.status_code == 200
    assert row_errors(response)[2] == [
        "Учитель Учителев У. в это время уже ведёт урок «Математика» в 5Б (Понедельник, 1-й урок)."
    ]
    assert all(not row_errors(response)[n] for n in (3, 4, 5))
    html = response.content.decode()
    assert "Строк с ошибками: 1 из 4. Ничего не сохранено" in html
    assert response.context["token"] is None and "Подтвердить загрузку" not in html
    assert TimetableEntry.objects.count() == 1


def test_r_tt_1_clashes_between_rows_of_one_file(client, people, timetable):
    rows = [
        ["5А", "пн", 1, "Математика", "", "teacher", "201"],
        ["5Б", "пн", 1, "Математика", "", "teacher", "202"],  # the same teacher
        ["5Б", "пн", 2, "Английский язык", "", "classteacher", "201"],
        ["5Б", "пн", 2, "Математика", "", "teacher", "201"],  # 5Б and room 201 again
    ]
    client.force_login(people.deputy)
    response = preview(client, people, csv_upload(rows))
    errors = row_errors(response)
    assert errors[2] == [] and errors[4] == []
    assert errors[3] == [
        "Учитель Учителев У. в это время уже ведёт урок «Математика» в 5А (Понедельник, 1-й урок)."
    ]
    assert errors[5] == [
        "Кабинет 201 в это время занят: 5Б, Английский язык (Классова К.).",
        "У 5Б в это время уже стоит урок «Английский язык» (Классова К., Понедельник, 2-й урок).",
    ]
    assert not TimetableEntry.objects.exists()


def test_r_tt_1_confirm_refuses_when_a_clash_appeared_after_the_preview(client, people, timetable):
    client.force_login(people.deputy)
    response = preview(client, people, csv_upload(GOOD_ROWS))
    assert response.context["token"]
    # meanwhile another deputy gives the teacher a lesson in 5Б at the same time
    entry_add(
        actor=people.admin,
        school_class=people.class_5b,
        group=people.class_5b.groups.get(is_whole_class=True),
        subject=people.maths,
        teacher=people.teacher,
        room=None,
        weekday=2,
        number=2,
        starts_on=dt.date(2026, 10, 6),
    )
    lessons_before = Lesson.objects.count()
    response = confirm(client, people, response)
    assert response.status_code == 400
    assert row_errors(response)[3] == [
        "Учитель Учителев У. в это время уже ведёт урок «Математика» в 5Б (Вторник, 2-й урок)."
    ]
    assert "Строк с ошибками: 1 из 4. Ничего не сохранено" in response.content.decode()
    # nothing of the file is saved, not even its good rows
    assert TimetableEntry.objects.count() == 1
    assert Lesson.objects.count() == lessons_before


def test_r_tt_1_unknown_names_bad_day_and_lesson_number_are_told_per_row(client, people, timetable):
    f.member(
        f.UserFactory(username="petrov1", last_name="Петров", first_name="Пётр"),
        people.lyceum,
        Role.TEACHER,
    )
    f.member(
        f.UserFactory(username="petrov2", last_name="Петров", first_name="Павел"),
        people.lyceum,
        Role.TEACHER,
    )
    rows = [
        ["7В", "пн", 1, "Математика", "", "teacher", ""],
        ["5А", "воскресенье", 1, "Математика", "", "teacher", ""],
        ["5А", "пн", 9, "Математика", "", "teacher", ""],
        ["5А", "пн", "второй", "Математика", "", "teacher", ""],
        ["5А", "пн", 1, "Физика", "", "teacher", ""],
        ["5А", "пн", 1, "Математика", "", "Никто Н. Н.", ""],
        ["5А", "пн", 1, "Математика", "", "Петров П.", ""],
        ["5А", "пн", 1, "Математика", "1 группа", "teacher", ""],
        ["5А", "пн", 1, "Математика", "", "teacher", "999"],
        ["5А", "сб", 1, "Математика", "", "outsider", ""],
    ]
    client.force_login(people.deputy)
    upload = csv_upload(rows[:5] + [[""] * 7] + rows[5:])  # an empty row keeps its number
    response = preview(client, people, upload)
    assert response.status_code == 200
    errors = row_errors(response)
    assert list(errors) == [2, 3, 4, 5, 6, 8, 9, 10, 11, 12]
    assert errors[2] == ["Неизвестный класс «7В»: такого класса нет в 2026/2027 учебном году."]
    assert errors[3] == [
        "Неизвестный день недели «воскресенье»: укажите день с понедельника по субботу, "
        "его сокращение (пн) или номер от 1 до 6."
    ]
    assert errors[4] == ["В расписании звонков 5А нет 9-го урока."]
    assert errors[5] == ["Номер урока «второй» — не целое число."]
    assert errors[6] == ["Неизвестный предмет «Физика»."]
    assert errors[8] == [
        "Неизвестный учитель «Никто Н. Н.»: укажите логин, ФИО или фамилию с инициалами "
        "(Фамилия И. О.) учителя школы."
    ]
    assert errors[9] == [
        "«Петров П.» подходит нескольким учителям: Петров Павел (petrov2), Петров Пётр "
        "(petrov1). Укажите логин."
    ]
    assert errors[10] == [
        "Группа «1 группа» класса 5А создана для предмета Английский язык, а не Математика."
    ]
    assert errors[11] == ["Неизвестный кабинет «999»."]
    # the outsider teaches in another school: he is unknown here
    assert errors[12][0].startswith("Неизвестный учитель «outsider»")
    html = response.content.decode()
    assert "Строк с ошибками: 10 из 10" in html
    assert not TimetableEntry.objects.exists()


def test_r_tt_1_every_error_of_a_row_is_listed(client, people, timetable):
    client.force_login(people.deputy)
    response = preview(client, people, csv_upload([["5Я", "пн", 1, "Химия", "", "", ""]]))
    assert row_errors(response)[2] == [
        "Неизвестный класс «5Я»: такого класса нет в 2026/2027 учебном году.",
        "Неизвестный предмет «Химия».",
        "Не указан учитель.",
    ]


def test_r_tt_1_a_day_beyond_the_grades_week_is_refused_by_the_service(client, people, timetable):
    client.force_login(people.deputy)
    response = preview(
        client, people, csv_upload([["5А", "Суббота", 1, "Математика", "", "teacher", ""]])
    )
    assert row_errors(response)[2] == ["5 класс учится 5 дней в неделю."]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            ["Класс", "День", "Урок", "Предмт", "Группа", "Учитель", "Кабинет"],
            ["В заголовке нет столбца «Предмет».", "Неизвестные столбцы: «Предмт»."],
        ),
        (
            ["Класс", "День", "Урок", "Предмет", "Учитель", "Учитель"],
            ["Столбцы повторяются: «Учитель»."],
        ),
        (
            ["5А", "пн", "1", "Математика", "", "teacher", ""],
            ["В заголовке нет столбца «Класс», «День», «Урок», «Предмет», «Учитель»."],
        ),
    ],
)
def test_r_tt_1_wrong_headers_are_refused(client, people, timetable, headers, expected):
    client.force_login(people.deputy)
    response = preview(client, people, csv_upload(GOOD_ROWS[:1], headers=headers))
    assert response.status_code == 400
    html = response.content.decode()
    for text in expected:
        assert text in html
    assert "В первой строке должны быть названия столбцов: Класс, День, Урок" in html


def test_r_tt_1_too_large_or_foreign_or_empty_files_are_refused(client, people, timetable):
    client.force_login(people.deputy)
    big = SimpleUploadedFile("big.csv", b"x" * (MAX_FILE_BYTES + 1))
    response = preview(client, people, big)
    assert response.status_code == 400
    assert "Файл больше 1 МБ" in response.content.decode()

    response = preview(client, people, SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0"))
    assert response.status_code == 400
    assert "Принимаются только файлы CSV и XLSX" in response.content.decode()

    response = preview(client, people, SimpleUploadedFile("broken.xlsx", b"not a zip"))
    assert response.status_code == 400
    assert "Не удаётся прочитать файл как книгу XLSX" in response.content.decode()

    response = preview(client, people, csv_upload([]))
    assert response.status_code == 400
    assert "В файле нет строк расписания под заголовком." in response.content.decode()

    response = client.post(url(people), {"starts_on": START})
    assert response.status_code == 400
    assert "Обязательное поле." in response.content.decode()
    assert not TimetableEntry.objects.exists()


def test_r_tt_1_the_date_must_lie_in_a_school_year(client, people, timetable):
    client.force_login(people.deputy)
    response = preview(client, people, csv_upload(GOOD_ROWS), starts_on="2027-07-01")
    assert response.status_code == 400
    assert "Ни один учебный год школы не содержит 1 июля 2027 г." in response.content.decode()


def test_r_tt_4_replace_ends_the_classes_timetable_from_the_date(client, people, timetable):
    whole_5a = people.class_5a.groups.get(is_whole_class=True)
    old = entry_add(
        actor=people.deputy,
        school_class=people.class_5a,
        group=whole_5a,
        subject=people.maths,
        teacher=people.teacher,
        room=timetable.room_201,
        weekday=1,
        number=1,
        starts_on=dt.date(2026, 9, 1),
    ).entries[0]
    other = entry_add(
        actor=people.deputy,
        school_class=people.class_5b,
        group=people.class_5b.groups.get(is_whole_class=True),
        subject=people.maths,
        teacher=people.teacher,
        room=None,
        weekday=3,
        number=1,
        starts_on=dt.date(2026, 9, 1),
    ).entries[0]
    # a lesson holding work stays, whatever the new timetable says
    planned = Lesson.objects.get(entry=old, date=dt.date(2026, 10, 19))
    planned.control_work = "Контрольная работа №2"
    planned.save()
    rows = [["5А", "пн", 1, "Английский язык", "", "classteacher", "202"]]
    client.force_login(people.deputy)

    # without "replace" the old Monday lesson is a clash
    response = preview(client, people, csv_upload(rows), starts_on="2026-10-12")
    assert row_errors(response)[2] == [
        "У 5А в это время уже стоит урок «Математика» (Учителев У., Понедельник, 1-й урок)."
    ]

    response = preview(client, people, csv_upload(rows), starts_on="2026-10-12", replace=True)
    assert row_errors(response)[2] == []
    html = response.content.decode()
    assert "Текущее расписание этих классов перестаёт действовать с 12.10.2026" in html
    assert "19.10.2026 1. 5А — Математика" in html
    old.refresh_from_db()
    assert old.ends_on is None  # still a preview

    response = confirm(client, people, response)
    assert response.status_code == 302
    old.refresh_from_db()
    other.refresh_from_db()
    assert old.ends_on == dt.date(2026, 10, 11) and other.ends_on is None
    assert (
        not Lesson.objects.filter(entry=old, date__gte="2026-10-12").exclude(pk=planned.pk).exists()
    )
    # Mondays 7, 14, 21, 28 September and 5 October stay
    assert Lesson.objects.filter(entry=old, date__lt="2026-10-12").count() == 5
    new = TimetableEntry.objects.get(subject=people.english)
    assert new.starts_on == dt.date(2026, 10, 12) and new.room == timetable.room_202
    # the slot of 19 October stays with the planned control work
    assert Lesson.objects.get(group=whole_5a, date="2026-10-19").pk == planned.pk
    assert Lesson.objects.get(group=whole_5a, date="2026-10-12").entry == new
    text = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Прежнее расписание классов перестаёт действовать с 12 октября 2026 г." in text[0]
    assert text[1].startswith("1 урок, в котором уже есть работа")


def test_r_tt_4_replace_cannot_rewrite_the_past(client, people, timetable):
    client.force_login(people.deputy)
    response = preview(client, people, csv_upload(GOOD_ROWS), starts_on="2026-10-05", replace=True)
    assert response.status_code == 400
    assert (
        "Заменить расписание можно только с сегодняшнего дня (6 октября 2026 г.) или позже."
        in response.content.decode()
    )


def test_r_tt_1_the_form_and_its_samples(client, people, timetable, django_assert_max_num_queries):
    client.force_login(people.deputy)
    # session, user, school + settings, roles, the current year, the school switcher,
    # the session save (savepoint, update, release); a teacher's led classes would be one more
    with django_assert_max_num_queries(10):
        response = client.get(url(people))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Загрузка недельного расписания" in html
    assert 'value="2026-10-06"' in html
    assert "Учитель" in html and "Кабинет" in html
    assert sample_url(people, "csv") in html.replace("&amp;", "&")

    for kind in ("csv", "xlsx"):
        response = client.get(sample_url(people, kind))
        assert response.status_code == 200
        assert f"timetable-sample.{kind}" in response["Content-Disposition"]
        content = b"".join(response.streaming_content)
        rows = read_rows(content, kind)  # the importer reads its own sample
        assert rows[0].cells["school_class"] == "5А" and rows[0].cells["number"] == "1"
        assert rows[1].cells["group"] == "1 группа"
    assert client.get(sample_url(people, "pdf")).status_code == 404


@pytest.mark.parametrize("role", ["admin", "director", "deputy"])
def test_r_tt_1_the_administration_may_import(client, people, role):
    client.force_login(getattr(people, role))
    assert client.get(url(people)).status_code == 200


@pytest.mark.parametrize("role", ["teacher", "class_teacher", "parent", "student"])
def test_r_tt_1_other_roles_are_refused(client, people, timetable, role):
    client.force_login(getattr(people, role))
    assert client.get(url(people)).status_code == 403
    assert preview(client, people, csv_upload(GOOD_ROWS)).status_code == 403
    assert client.get(sample_url(people, "csv")).status_code == 403
    assert not TimetableEntry.objects.exists()


def test_r_tt_1_outsider_sees_nothing(client, people, timetable):
    client.force_login(people.outsider)  # an admin of the gymnasium
    assert client.get(url(people)).status_code == 404
    assert preview(client, people, csv_upload(GOOD_ROWS)).status_code == 404
    assert client.get(sample_url(people, "xlsx")).status_code == 404


def test_r_tt_1_wrong_methods(client, people):
    client.force_login(people.deputy)
    assert client.put(url(people)).status_code == 405
    assert client.delete(url(people)).status_code == 405
    assert client.post(sample_url(people, "csv")).status_code == 405
