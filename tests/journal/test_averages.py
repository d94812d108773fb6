"""Averages, the forecast and the accumulation checks, pure functions (R-MRK-7, R-MRK-8,
R-MRK-9, R-FIN-3)."""

import datetime as dt
from decimal import Decimal as D

from accounts.models import SchoolSettings
from journal.averages import (
    Averages,
    accumulation_minimum,
    averages_compute,
    forecast_visible,
    period_mark_warnings,
    ru_decimal,
)

HALF_UP = SchoolSettings()  # 4.50 / 3.50 / 2.50
STRICT = SchoolSettings(
    threshold_five=D("4.65"), threshold_four=D("3.65"), threshold_three=D("2.65")
)


def one(*points):
    return [(p, D(1)) for p in points]


def test_r_mrk_7_simple_and_weighted_average_with_the_explanation():
    result = averages_compute([(5, D("1")), (4, D("2")), (3, D("1.5"))], HALF_UP)
    assert result == Averages(
        count=3,
        simple=D("4.00"),
        weighted=D("3.89"),
        suggested="4",
        explanation="(5×1 + 4×2 + 3×1,5) ÷ (1 + 2 + 1,5) = 3,89 → 4",
    )


def test_r_mrk_7_averages_round_half_up_to_two_decimals():
    # 14 / 3 = 4.666… → 4.67; (5 + 4×3×... ) checks the weighted side too
    result = averages_compute(one(5, 5, 4), HALF_UP)
    assert result.simple == D("4.67")
    # (5×1 + 2×2) / 3 = 3.0 exactly; (4 + 5 + 5 + 5 + 4 + 4 + 4 + 4) / 8 = 4.375 → 4.38
    assert averages_compute(one(4, 5, 5, 5, 4, 4, 4, 4), HALF_UP).simple == D("4.38")
    assert averages_compute([(5, D(1)), (2, D(2))], HALF_UP).weighted == D("3.00")


def test_r_mrk_7_no_marks_no_averages():
    result = averages_compute([], HALF_UP)
    assert (result.count, result.simple, result.weighted, result.suggested) == (0, None, None, "")
    assert result.explanation == ""
    assert (result.simple_text, result.weighted_text) == ("", "")


def test_r_mrk_7_equal_weights_explained_as_a_plain_average():
    result = averages_compute(one(5, 4, 4, 3), HALF_UP)
    assert result.explanation == "(5 + 4 + 4 + 3) ÷ 4 = 4 → 4"
    assert (result.simple_text, result.weighted_text) == ("4", "4")


def test_r_mrk_8_forecast_is_shown_two_weeks_before_the_period_ends():
    ends = dt.date(2026, 10, 25)
    assert not forecast_visible(HALF_UP, ends, dt.date(2026, 10, 10))
    assert forecast_visible(HALF_UP, ends, dt.date(2026, 10, 11))
    assert forecast_visible(HALF_UP, ends, dt.date(2026, 10, 26))


def test_r_mrk_7_weights_change_the_weighted_average_only():
    # a control work (weight 3) of 2 and three answers of 5
    result = averages_compute([(2, D(3)), (5, D(1)), (5, D(1)), (5, D(1))], HALF_UP)
    assert result.simple == D("4.25")
    assert result.weighted == D("3.50")
    assert result.suggested == "4"


def test_r_mrk_7_double_mark_counts_as_two_marks():
    # a dictation (weight 2) marked 5/3 is two pairs: content and literacy
    result = averages_compute([(5, D(2)), (3, D(2)), (4, D(1))], HALF_UP)
    assert result.count == 3
    assert result.weighted == D("4.00")
    assert result.explanation == "(5×2 + 3×2 + 4×1) ÷ (2 + 2 + 1) = 4 → 4"


def test_r_mrk_8_half_rounds_up_by_default():
    assert averages_compute(one(5, 4), HALF_UP).suggested == "5"  # 4.5
    assert averages_compute(one(4, 3), HALF_UP).suggested == "4"  # 3.5
    assert averages_compute(one(3, 2), HALF_UP).suggested == "3"  # 2.5
    assert averages_compute(one(3, 2, 2), HALF_UP).suggested == "2"  # 2.33
    assert averages_compute(one(1, 1), HALF_UP).suggested == "2"


def test_r_mrk_8_school_thresholds_4_65():
    # 4.6 is a 5 by the default rule and a 4 at a school that asks 4.65 for a 5
    marks = one(5, 5, 5, 4, 4)  # 4.60
    assert averages_compute(marks, HALF_UP).suggested == "5"
    assert averages_compute(marks, STRICT).suggested == "4"
    assert (
        averages_compute(
            one(5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4), STRICT
        ).suggested
        == "5"
    )  # 4.70
    assert averages_compute(one(4, 3, 4, 3, 4), STRICT).suggested == "3"  # 3.60
    assert averages_compute(one(3, 2, 3, 2, 3), STRICT).suggested == "2"  # 2.60
    assert averages_compute(one(3, 3, 2), STRICT).suggested == "3"  # 2.67


def test_r_mrk_8_suggestion_compares_the_rounded_average_shown():
    # 4.645… rounds to 4.65, the value people read, and so suggests 5 at a 4.65 school
    marks = [(5, D("10")), (5, D("2.9")), (4, D("7.1"))]  # 92.9 / 20 = 4.645
    result = averages_compute(marks, STRICT)
    assert result.weighted == D("4.65")
    assert result.suggested == "5"


def test_ru_decimal_uses_the_comma_without_trailing_zeros():
    assert [ru_decimal(D(x)) for x in ("1", "1.5", "2.00", "3.89", "10", "4.50")] == [
        "1",
        "1,5",
        "2",
        "3,89",
        "10",
        "4,5",
    ]


def test_r_mrk_9_minimum_by_weekly_hours():
    settings = SchoolSettings(min_marks_one_hour=3, min_marks_two_hours=5, min_marks_three_hours=7)
    assert accumulation_minimum(settings, None) == 0
    assert accumulation_minimum(settings, D("0.5")) == 3
    assert accumulation_minimum(settings, D("1")) == 3
    assert accumulation_minimum(settings, D("2")) == 5
    assert accumulation_minimum(settings, D("3")) == 7
    assert accumulation_minimum(settings, D("5")) == 7


def test_r_fin_3_no_warning_for_a_justified_mark():
    averages = averages_compute(one(5, 4, 4, 5, 4), HALF_UP)  # 4.40
    assert (
        period_mark_warnings(averages=averages, value="4", minimum=5, has_control_work=True) == []
    )
    # 5 is 0.6 away from 4.40: closer than one point, no warning
    assert (
        period_mark_warnings(averages=averages, value="5", minimum=5, has_control_work=True) == []
    )


def test_r_fin_3_warns_when_the_mark_is_a_point_or_more_from_the_weighted_average():
    averages = averages_compute(one(4, 4, 3, 4, 3), HALF_UP)  # 3.60
    warnings = period_mark_warnings(averages=averages, value="5", minimum=0, has_control_work=None)
    assert warnings == ["Оценка 5 далека от средневзвешенного балла 3,6."]
    exactly_one = averages_compute(one(4, 4), HALF_UP)
    assert period_mark_warnings(
        averages=exactly_one, value="5", minimum=0, has_control_work=None
    ) == ["Оценка 5 далека от средневзвешенного балла 4."]
    # special values are not compared with the average
    assert (
        period_mark_warnings(averages=averages, value="н/а", minimum=0, has_control_work=None) == []
    )


def test_r_fin_3_r_mrk_9_warns_about_too_few_marks_and_no_control_work():
    averages = averages_compute(one(5, 5), HALF_UP)
    warnings = period_mark_warnings(averages=averages, value="5", minimum=5, has_control_work=False)
    assert warnings == [
        "Мало оценок: 2 при минимуме 5.",
        "В периоде нет оценки за контрольную, письменную, лабораторную или практическую работу.",
    ]
    # nothing to justify with: a mark set without any current mark
    assert period_mark_warnings(
        averages=averages_compute([], HALF_UP), value="4", minimum=3, has_control_work=None
    ) == ["Мало оценок: 0 при минимуме 3."]


# --- course_period_averages: the same rules over the database, in one query ---------------


def _mark(people, lesson, student, code, value, points, part=1):
    from accounts.models import WorkType
    from journal.models import Mark

    moment = dt.datetime(2026, 10, 6, tzinfo=dt.UTC)
    return Mark.objects.create(
        school=people.lyceum,
        lesson=lesson,
        student=student,
        work_type=WorkType.objects.get(school=people.lyceum, code=code),
        part=part,
        value=value,
        points=points,
        created_at=moment,
        created_by=people.teacher,
        updated_at=moment,
        updated_by=people.teacher,
    )


def test_r_mrk_7_course_period_averages_per_student(people, journal, django_assert_num_queries):
    from journal.marks_selectors import course_period_averages, course_period_stats

    from .conftest import lesson_on

    whole = people.class_5a.groups.get(is_whole_class=True)
    sept = lesson_on(people, dt.date(2026, 9, 14))
    dictation = lesson_on(people, dt.date(2026, 9, 16))
    november = lesson_on(people, dt.date(2026, 11, 9))
    me, other = people.student_record, people.other_student_record
    _mark(people, sept, me, "answer", "5", 5)
    _mark(people, dictation, me, "dictation", "4", 4, part=1)  # weight 2, two marks
    _mark(people, dictation, me, "dictation", "3", 3, part=2)
    _mark(people, sept, other, "homework", "зч", None)  # pass/fail: no points
    _mark(people, november, me, "answer", "2", 2)  # the second quarter
    _mark(people, journal.english_1_today, me, "answer", "2", 2)  # another course
    q1 = journal.quarters[0]
    settings = people.lyceum.settings
    with django_assert_num_queries(1):
        result = course_period_averages(whole, people.maths, q1.starts_on, q1.ends_on, settings)
    mine = result[me.pk]
    assert (mine.count, mine.simple, mine.weighted, mine.suggested) == (
        3,
        D("4.00"),
        D("3.80"),
        "4",
    )
    assert mine.explanation == "(5×1 + 4×2 + 3×2) ÷ (1 + 2 + 2) = 3,8 → 4"
    assert result[other.pk].count == 0 and result[other.pk].suggested == ""
    stats = course_period_stats(whole, people.maths, q1.starts_on, q1.ends_on, settings)
    assert stats[me.pk].has_control_work  # the dictation
    assert not stats[other.pk].has_control_work
