"""plan_save, plan_fill and plan_topics_confirm: the КТП's topics go into the course's dated
lessons in order; the teacher confirms or edits (R-PLAN-1, R-PLAN-2, R-LES-3)."""

import pytest
from django.utils import timezone

from accounts.models import WorkType
from journal.history import chain_verify
from journal.models import CoursePlan, JournalChange, LessonRecord, Mark, PlanItem
from journal.rules import Refusal
from journal.services.lessons import lesson_record_save
from journal.services.plans import ItemRow, plan_fill, plan_save, plan_topics_confirm
from schedule.models import Lesson


def work_type(people, code):
    return WorkType.objects.get(school=people.lyceum, code=code)


def maths_lessons(people):
    whole = people.class_5a.groups.get(is_whole_class=True)
    return list(
        Lesson.objects.filter(group=whole, subject=people.maths)
        .select_related("school__settings", "school_class", "subject", "group")
        .order_by("date", "number")
    )


def make_plan(people, rows, actor=None):
    whole = people.class_5a.groups.get(is_whole_class=True)
    items = [
        ItemRow(number=n, topic=topic, hours=hours, work_type=wt, homework=hw)
        for n, topic, hours, wt, hw in rows
    ]
    return plan_save(
        actor=actor or people.teacher,
        school=people.lyceum,
        year=people.year,
        group=whole,
        subject=people.maths,
        items=items,
        file_name="ктп.csv",
    ).plan


def topics(lessons, count):
    records = {r.lesson_id: r for r in LessonRecord.objects.filter(lesson__in=lessons[:count])}
    return [
        (records[lesson.pk].topic if lesson.pk in records else None) for lesson in lessons[:count]
    ]


ROWS = [
    (1, "Натуральные числа", 1, None, "§1"),
    (2, "Сложение", 2, None, "§2"),
    (3, "Вычитание", 1, None, ""),
]


def test_r_plan_2_topics_fill_the_lessons_in_order_hours_taking_several(people, journal):
    plan = make_plan(people, ROWS)
    result = plan_fill(actor=people.teacher, plan=plan)
    lessons = maths_lessons(people)
    assert topics(lessons, 5) == [
        "Натуральные числа",
        "Сложение",
        "Сложение",
        "Вычитание",
        None,
    ]
    assert (result.filled, result.placed, result.not_placed) == (4, 4, 0)
    assert (result.first, result.last) == (lessons[0].date, lessons[3].date)
    records = list(LessonRecord.objects.order_by("lesson__date").select_related("plan_item"))
    assert all(not r.topic_confirmed for r in records)
    assert [r.plan_item.number for r in records] == [1, 2, 2, 3]
    assert [r.homework for r in records] == ["§1", "§2", "§2", ""]
    assert all(r.updated_by == people.teacher for r in records)


def test_r_plan_2_fill_writes_the_topics_to_the_history(people, journal):
    plan = make_plan(people, ROWS)
    plan_fill(actor=people.teacher, plan=plan, ip="10.1.1.1")
    changes = JournalChange.objects.filter(subject_kind="topic").order_by("seq")
    assert changes.count() == 4
    first = changes.first()
    assert (first.action, first.old, first.new, first.ip) == (
        "create",
        "",
        "Натуральные числа",
        "10.1.1.1",
    )
    assert first.reason == "заполнено из КТП"
    assert JournalChange.objects.filter(subject_kind="homework").count() == 3
    assert chain_verify(people.lyceum.pk).intact


def test_r_plan_2_cancelled_lessons_are_skipped(people, journal):
    lessons = maths_lessons(people)
    Lesson.objects.filter(pk=lessons[1].pk).update(is_cancelled=True, change_reason="карантин")
    plan = make_plan(people, ROWS)
    result = plan_fill(actor=people.teacher, plan=plan)
    assert topics(lessons, 6) == [
        "Натуральные числа",
        None,
        "Сложение",
        "Сложение",
        "Вычитание",
        None,
    ]
    assert result.cancelled >= 1


def test_r_plan_2_a_lesson_cancelled_after_the_fill_loses_its_proposal_on_a_new_fill(
    people, journal
):
    plan = make_plan(people, ROWS)
    plan_fill(actor=people.teacher, plan=plan)
    lessons = maths_lessons(people)
    Lesson.objects.filter(pk=lessons[0].pk).update(is_cancelled=True, change_reason="карантин")
    result = plan_fill(actor=people.teacher, plan=plan)
    assert topics(lessons, 6) == [
        "",
        "Натуральные числа",
        "Сложение",
        "Сложение",
        "Вычитание",
        None,
    ]
    assert result.withdrawn == 1
    assert LessonRecord.objects.get(lesson=lessons[0]).plan_item is None


def test_r_plan_2_confirmed_topics_are_not_overwritten_and_keep_their_place(people, journal):
    """A topic the teacher confirms or rewords stays linked to its plan item: the plan goes
    on after it."""
    plan = make_plan(people, ROWS)
    plan_fill(actor=people.teacher, plan=plan)
    lessons = maths_lessons(people)
    plan_topics_confirm(actor=people.teacher, plan=plan, lesson_ids=[lessons[0].pk])
    lesson_record_save(
        actor=people.teacher,
        lesson=lessons[1],
        topic="Сложение: свойства",
        homework="",
        homework_pages="",
        homework_exercises="",
        work_type_ids=[],
    )
    result = plan_fill(actor=people.teacher, plan=plan)
    assert topics(lessons, 5) == [
        "Натуральные числа",
        "Сложение: свойства",
        "Сложение",
        "Вычитание",
        None,
    ]
    assert result.kept == 2
    reworded = LessonRecord.objects.get(lesson=lessons[1])
    assert reworded.topic_confirmed and reworded.plan_item.number == 2


def test_r_plan_2_topics_written_before_the_plan_take_its_first_hours(people, journal):
    """The teacher gave two lessons with his own topics before loading the plan: they keep
    their text, take the plan's first two hours (linked) and the plan goes on after them."""
    lessons = maths_lessons(people)
    for lesson, topic in zip(lessons[:2], ("Числа", "Сложение чисел"), strict=True):
        lesson_record_save(
            actor=people.teacher,
            lesson=lesson,
            topic=topic,
            homework="",
            homework_pages="",
            homework_exercises="",
            work_type_ids=[],
        )
    history = JournalChange.objects.count()
    plan = make_plan(people, ROWS)
    result = plan_fill(actor=people.teacher, plan=plan)
    assert topics(lessons, 5) == ["Числа", "Сложение чисел", "Сложение", "Вычитание", None]
    assert (result.kept, result.placed, result.filled) == (2, 4, 2)
    linked = LessonRecord.objects.filter(lesson__in=lessons[:2]).order_by("lesson__date")
    assert [r.plan_item.number for r in linked] == [1, 2]
    assert all(r.topic_confirmed for r in linked)
    # linking wrote no change; the two proposals did: two topics, one homework (§2)
    assert JournalChange.objects.count() - history == 3


def test_r_plan_2_fill_from_a_date_leaves_earlier_lessons_and_continues_the_plan(people, journal):
    plan = make_plan(people, ROWS)
    plan_fill(actor=people.teacher, plan=plan)
    lessons = maths_lessons(people)
    LessonRecord.objects.filter(lesson=lessons[0]).update(topic="Изменено вручную")
    Lesson.objects.filter(pk=lessons[2].pk).update(is_cancelled=True, change_reason="карантин")
    plan_fill(actor=people.teacher, plan=plan, from_date=lessons[2].date)
    assert topics(lessons, 6) == [
        "Изменено вручную",  # before the date: untouched
        "Сложение",
        "",  # cancelled: its proposal withdrawn
        "Сложение",  # the second hour of item 2 continues after the first
        "Вычитание",
        None,
    ]


def test_r_plan_2_the_planned_work_type_becomes_a_column(people, journal):
    test, answer = work_type(people, "test"), work_type(people, "answer")
    plan = make_plan(people, [(1, "Тема", 1, None, ""), (2, "Тест по теме", 1, test, "")])
    plan_fill(actor=people.teacher, plan=plan)
    lessons = maths_lessons(people)
    first, second = (LessonRecord.objects.get(lesson=lesson) for lesson in lessons[:2])
    assert first.work_type_ids == [answer.pk]
    assert second.work_type_ids == [answer.pk, test.pk]


@pytest.mark.parametrize("marked", [False, True])
def test_r_plan_2_a_new_fill_moves_a_work_type_column_unless_it_holds_marks(
    people, journal, marked
):
    test, answer = work_type(people, "test"), work_type(people, "answer")
    plan = make_plan(people, [(1, "Тема", 1, None, ""), (2, "Тест", 1, test, "")])
    plan_fill(actor=people.teacher, plan=plan)
    lessons = maths_lessons(people)
    if marked:
        now = timezone.now()
        Mark.objects.create(
            school=people.lyceum,
            lesson=lessons[1],
            student=people.student_record,
            work_type=test,
            value="4",
            points=4,
            created_at=now,
            created_by=people.teacher,
            updated_at=now,
            updated_by=people.teacher,
        )
    # the first lesson is cancelled after the fill: the plan moves one lesson on
    Lesson.objects.filter(pk=lessons[0].pk).update(is_cancelled=True, change_reason="болезнь")
    plan_fill(actor=people.teacher, plan=plan)
    second, third = (LessonRecord.objects.get(lesson=lesson) for lesson in lessons[1:3])
    assert (second.topic, third.topic) == ("Тема", "Тест")
    assert third.work_type_ids == [answer.pk, test.pk]
    assert second.work_type_ids == ([answer.pk, test.pk] if marked else [answer.pk])


def test_r_plan_2_teacher_homework_is_kept_by_a_new_fill(people, journal):
    plan = make_plan(people, ROWS)
    plan_fill(actor=people.teacher, plan=plan)
    lessons = maths_lessons(people)
    first = LessonRecord.objects.get(lesson=lessons[0])
    first.homework = "Своё задание"
    first.save()
    PlanItem.objects.filter(plan=plan, number=1).update(topic="Натуральные числа и нуль")
    plan_fill(actor=people.teacher, plan=plan)
    first.refresh_from_db()
    assert (first.topic, first.homework) == ("Натуральные числа и нуль", "Своё задание")


def test_r_plan_2_a_plan_longer_than_the_year_reports_what_does_not_fit(people, journal):
    count = len(maths_lessons(people))
    plan = make_plan(people, [(1, "Всё", count + 7, None, "")])
    result = plan_fill(actor=people.teacher, plan=plan)
    assert result.not_placed == 7
    assert result.filled == count


def test_r_plan_2_only_the_course_teacher_fills(people, journal):
    plan = make_plan(people, ROWS)
    for who in (journal.english_teacher, people.deputy, people.class_teacher, people.outsider):
        with pytest.raises(Refusal) as refused:
            plan_fill(actor=who, plan=plan)
        assert refused.value.code == "forbidden"
        with pytest.raises(Refusal):
            plan_topics_confirm(actor=who, plan=plan, lesson_ids=[])
    assert not LessonRecord.objects.exists()


def test_r_plan_2_confirm_several_at_once_only_of_this_course(people, journal):
    plan = make_plan(people, ROWS)
    plan_fill(actor=people.teacher, plan=plan)
    lessons = maths_lessons(people)
    other = LessonRecord.objects.create(
        school=people.lyceum, lesson=journal.english_1_today, topic="Present", topic_confirmed=False
    )
    count = plan_topics_confirm(
        actor=people.teacher,
        plan=plan,
        lesson_ids=[str(lessons[0].pk), lessons[1].pk, "junk", journal.english_1_today.pk],
    )
    assert count == 2
    confirmed = set(
        LessonRecord.objects.filter(topic_confirmed=True).values_list("lesson", flat=True)
    )
    assert confirmed == {lessons[0].pk, lessons[1].pk}
    other.refresh_from_db()
    assert not other.topic_confirmed


def test_r_plan_1_saving_again_matches_items_by_number(people, journal):
    plan = make_plan(people, ROWS)
    plan_fill(actor=people.teacher, plan=plan)
    item_2 = PlanItem.objects.get(plan=plan, number=2)
    again = plan_save(
        actor=people.teacher,
        school=people.lyceum,
        year=people.year,
        group=plan.group,
        subject=people.maths,
        items=[
            ItemRow(1, "Натуральные числа", 1, None, "§1"),
            ItemRow(2, "Сложение чисел", 2, None, "§2"),
            ItemRow(4, "Умножение", 1, None, ""),
        ],
        file_name="ктп-2.csv",
    )
    assert (again.created, again.updated, again.deleted, again.unchanged) == (1, 1, 1, 1)
    assert again.plan.pk == plan.pk
    assert CoursePlan.objects.get().file_name == "ктп-2.csv"
    assert PlanItem.objects.get(plan=plan, number=2).pk == item_2.pk  # updated in place
    assert sorted(PlanItem.objects.values_list("number", flat=True)) == [1, 2, 4]
    # the lessons of the deleted item 3 lost the link; a new fill replaces them
    plan_fill(actor=people.teacher, plan=plan)
    assert topics(maths_lessons(people), 5) == [
        "Натуральные числа",
        "Сложение чисел",
        "Сложение чисел",
        "Умножение",
        None,
    ]
