"""R-PLAN-1: the teacher loads his course's lesson plan (КТП) from a CSV or XLSX file. Every
row is checked first (the real import rolled back) with Russian errors; the confirmation
imports exactly the checked file, all rows or none; loading again replaces the plan by
number; the topics may go into the lessons right away (R-PLAN-2)."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journal.models import CoursePlan, JournalChange, LessonRecord, PlanItem
from journal.plan_import import HEADERS, read_rows, sample_file

HEADER = ["№", "Тема", "Часы", "Вид работы", "Домашнее задание"]
GOOD = [
    [1, "Натуральные числа", 1, "", "§1, № 5"],
    [2, "Сложение натуральных чисел", 2, "Ответ на уроке", "§2"],
    [3, "Самостоятельная работа", 1, "independent", ""],
    [4, "Контрольная работа № 1", "", "контрольная РАБОТА", ""],
]


def whole(people):
    return people.class_5a.groups.get(is_whole_class=True)


def url(people, group=None, subject=None):
    return reverse(
        "journal_plan_import",
        args=[people.lyceum.slug, (group or whole(people)).pk, (subject or people.maths).pk],
    )


def csv_upload(rows, header=HEADER, name="ктп.csv", delimiter=";", encoding="utf-8", title=()):
    lines = [*title, delimiter.join(header)] + [delimiter.join(str(c) for c in r) for r in rows]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(encoding))


def xlsx_upload(rows, header=HEADER, name="ктп.xlsx", title=()):
    book = openpyxl.Workbook()
    sheet = book.active
    for line in title:
        sheet.append([line])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def preview(client, people, upload, fill=True):
    data = {"file": upload}
    if fill:
        data["fill"] = "on"
    return client.post(url(people), data)


def confirm(client, people, response):
    return client.post(url(people), {"token": response.context["token"]})


def errors(response) -> dict[int, list[str]]:
    return {row.number: row.errors for row in response.context["result"].rows}


def test_r_plan_1_csv_preview_saves_nothing_then_confirm_imports_and_fills(client, people, journal):
    client.force_login(people.teacher)
    response = preview(client, people, csv_upload(GOOD))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Все строки верны. Тем: 4, часов: 5." in html
    assert "Подтвердить загрузку" in html
    assert all(not e for e in errors(response).values())
    assert response.context["result"].filled.filled == 5
    # the preview was the real import, rolled back
    assert not CoursePlan.objects.exists()
    assert not LessonRecord.objects.exists()
    assert not JournalChange.objects.exists()

    done = confirm(client, people, response)
    assert done.status_code == 302
    assert done.url == reverse(
        "journal_plan", args=[people.lyceum.slug, whole(people).pk, people.maths.pk]
    )
    plan = CoursePlan.objects.get()
    assert (plan.file_name, plan.imported_by, plan.year) == ("ктп.csv", people.teacher, people.year)
    items = list(PlanItem.objects.order_by("number").select_related("work_type"))
    assert [(i.number, i.hours) for i in items] == [(1, 1), (2, 2), (3, 1), (4, 1)]
    assert [i.work_type.code if i.work_type else None for i in items] == [
        None,
        "answer",
        "independent",
        "control",
    ]
    assert items[0].homework == "§1, № 5"
    assert LessonRecord.objects.filter(plan_item__isnull=False).count() == 5
    page = client.get(done.url).content.decode()
    assert "КТП загружено. Тем: 4, часов: 5" in page


def test_r_plan_1_xlsx_with_a_title_row_and_extra_columns(client, people, journal):
    rows = [[r[0], "01.09", *r[1:]] for r in GOOD]
    header = ["№", "Дата", "Тема", "Часы", "Вид работы", "Домашнее задание"]
    upload = xlsx_upload(rows, header=header, title=["КТП по математике, 5А, 2026/2027"])
    client.force_login(people.teacher)
    response = preview(client, people, upload, fill=False)
    assert response.status_code == 200
    result = response.context["result"]
    assert result.ok and result.filled is None
    assert result.ignored == ["Дата"]
    assert "Не загружаются столбцы:" in response.content.decode()
    assert list(errors(response)) == [3, 4, 5, 6]  # the rows a spreadsheet shows
    assert confirm(client, people, response).status_code == 302
    assert PlanItem.objects.count() == 4
    assert not LessonRecord.objects.exists()  # not filled


def test_r_plan_1_every_row_error_is_shown_and_nothing_is_saved(client, people, journal):
    rows = [
        [1, "Натуральные числа", 1, "", ""],
        [2, "", 1, "", ""],
        [3, "Сложение", "два", "", ""],
        [4, "Вычитание", 0, "", ""],
        [5, "Умножение", 1, "Реферат", ""],
        [1, "Деление", 1, "", ""],
        ["x", "Дроби", 1, "", ""],
        ["", "Проценты", 1, "", ""],
    ]
    client.force_login(people.teacher)
    response = preview(client, people, csv_upload(rows))
    assert response.status_code == 200
    found = errors(response)
    assert found[2] == []
    assert found[3] == ["Не указана тема."]
    assert found[4] == ["Часы «два» — не целое число от 1 до 50."]
    assert found[5] == ["Часы «0» — не целое число от 1 до 50."]
    assert found[6][0].startswith("Неизвестный вид работы «Реферат»; виды работ школы:")
    assert "Контрольная работа" in found[6][0]
    assert found[7] == ["Номер 1 повторяется: он уже есть в строке 2."]
    assert found[8] == ["Номер «x» — не целое число от 1."]
    assert found[9] == ["Не указан номер."]
    html = response.content.decode()
    assert "Строк с ошибками: 7 из 8" in html
    assert response.context["token"] is None
    assert "Подтвердить загрузку" not in html
    assert not CoursePlan.objects.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "файл пуст."),
        ("Тема;Часы\nЧисла;1\n".encode(), "нет строки заголовков"),
        ("№;Тема\n".encode(), "Под строкой заголовков нет строк плана."),
    ],
)
def test_r_plan_1_an_unusable_file_is_refused_with_a_message(
    client, people, journal, content, message
):
    client.force_login(people.teacher)
    response = preview(client, people, SimpleUploadedFile("ктп.csv", content))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_r_plan_1_only_csv_and_xlsx(client, people, journal):
    client.force_login(people.teacher)
    response = preview(client, people, SimpleUploadedFile("ктп.docx", b"PK"))
    assert response.status_code == 400
    assert "CSV" in response.content.decode()


def test_r_plan_1_a_windows_1251_csv_with_commas_is_read(people, journal):
    content = ("№,Тема,Часы\n1,Числа,1\n2,Дроби,3\n").encode("cp1251")
    table = read_rows(content, "csv")
    assert [r.cells["topic"] for r in table.rows] == ["Числа", "Дроби"]


def test_r_plan_1_kazakh_headers_are_accepted(people, journal):
    content = "Нөмірі;Тақырып;Сағат\n1;Натурал сандар;2\n".encode()
    table = read_rows(content, "csv")
    assert table.rows[0].cells == {
        "number": "1",
        "topic": "Натурал сандар",
        "hours": "2",
        "work_type": "",
        "homework": "",
    }


def test_r_plan_1_loading_again_replaces_the_plan_by_number(client, people, journal):
    client.force_login(people.teacher)
    confirm(client, people, preview(client, people, csv_upload(GOOD)))
    item_2 = PlanItem.objects.get(number=2)
    first_lesson = LessonRecord.objects.order_by("lesson__date").first()
    first_lesson.topic_confirmed = True
    first_lesson.save()
    again = [
        [1, "Натуральные числа и нуль", 1, "", ""],
        [2, "Сложение", 1, "", "§2"],
        [5, "Умножение", 1, "", ""],
    ]
    response = preview(client, people, csv_upload(again, name="ктп-2.csv"))
    assert "У курса уже есть КТП" not in response.content.decode()  # that is on the form
    plan_result = response.context["result"].plan
    assert (plan_result.created, plan_result.updated, plan_result.deleted) == (1, 2, 2)
    confirm(client, people, response)
    assert sorted(PlanItem.objects.values_list("number", flat=True)) == [1, 2, 5]
    assert PlanItem.objects.get(number=2).pk == item_2.pk
    first_lesson.refresh_from_db()
    # the confirmed lesson keeps its topic as given
    assert (first_lesson.topic, first_lesson.topic_confirmed) == ("Натуральные числа", True)
    assert CoursePlan.objects.get().file_name == "ктп-2.csv"
    form = client.get(url(people)).content.decode()
    assert "У курса уже есть КТП" in form


def test_r_plan_1_confirm_needs_the_token_of_this_course(client, people, journal):
    client.force_login(people.teacher)
    response = preview(client, people, csv_upload(GOOD))
    other = reverse(
        "journal_plan_import", args=[people.lyceum.slug, people.english_1.pk, people.english.pk]
    )
    refused = client.post(other, {"token": response.context["token"]})
    assert refused.status_code == 400
    assert "больше не сохранён" in refused.content.decode()
    assert not CoursePlan.objects.exists()
    # and a token is used once
    assert client.post(url(people), {"token": "forged"}).status_code == 400


def sheet_values(content: bytes) -> list[tuple]:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def test_r_plan_1_the_sample_files_import_cleanly(client, people, journal):
    client.force_login(people.teacher)
    for kind in ("csv", "xlsx"):
        response = client.get(
            reverse("journal_plan_sample", args=[people.lyceum.slug]) + f"?format={kind}"
        )
        assert response.status_code == 200
        content = b"".join(response.streaming_content)
        if kind == "csv":
            assert content == sample_file(kind)
        else:  # a workbook carries the second it was written: compare the cells
            assert sheet_values(content) == sheet_values(sample_file(kind))
        checked = preview(client, people, SimpleUploadedFile(f"sample.{kind}", content))
        assert checked.status_code == 200
        assert checked.context["result"].ok, errors(checked)
    assert HEADERS[:2] == ["№", "Тема"]
    assert (
        client.get(
            reverse("journal_plan_sample", args=[people.lyceum.slug]) + "?format=pdf"
        ).status_code
        == 404
    )


# --- who ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["class_teacher", "deputy", "director"])
def test_r_plan_1_readers_do_not_load_plans(client, people, journal, who):
    client.force_login(getattr(people, who))
    assert client.get(url(people)).status_code == 403
    assert preview(client, people, csv_upload(GOOD)).status_code == 403


def test_r_plan_1_a_teacher_of_another_course_gets_403(client, people, journal):
    client.force_login(journal.english_teacher)
    assert client.get(url(people)).status_code == 403
    assert preview(client, people, csv_upload(GOOD)).status_code == 403
    assert not CoursePlan.objects.exists()


def test_r_plan_1_the_outsider_gets_404(client, people, journal):
    client.force_login(people.outsider)
    assert client.get(url(people)).status_code == 404
    sample = reverse("journal_plan_sample", args=[people.lyceum.slug])
    assert client.get(sample).status_code == 404


def test_r_plan_1_a_course_of_another_school_is_404(client, people, journal):
    from .. import factories as f

    foreign = f.subject_make(people.gymnasium, "Математика")
    client.force_login(people.teacher)
    assert client.get(url(people, subject=foreign)).status_code == 404


def test_r_plan_1_import_refuses_other_methods(client, people, journal):
    client.force_login(people.teacher)
    assert client.put(url(people)).status_code == 405
    sample = reverse("journal_plan_sample", args=[people.lyceum.slug])
    assert client.post(sample).status_code == 405
