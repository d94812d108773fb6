import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from schedule import services
from schedule.models import Group, Order
from schedule.selectors import group_students_on

from .. import factories as f


def test_r_str_5_group_roster_by_date_in_one_query(people, django_assert_num_queries):
    """R-STR-5: a move between groups by order takes effect from its date."""
    p = people
    services.group_member_move(
        student=p.student_record,
        to_group=p.english_1,
        order=None,
        on=dt.date(2026, 9, 1),
        initial=True,
    )
    services.group_member_move(
        student=p.other_student_record,
        to_group=p.english_2,
        order=None,
        on=dt.date(2026, 9, 1),
        initial=True,
    )
    move = f.order_make(p.lyceum, "7-г", dt.date(2026, 10, 1), Order.Kind.GROUPS)
    services.group_member_move(
        student=p.student_record, to_group=p.english_2, order=move, on=dt.date(2026, 10, 5)
    )

    with django_assert_num_queries(1):
        before = list(group_students_on(p.english_1, dt.date(2026, 10, 4)))
    assert before == [p.student_record]
    with django_assert_num_queries(1):
        after = list(group_students_on(p.english_2, dt.date(2026, 10, 5)))
    assert after == [p.other_student_record, p.student_record]
    assert list(group_students_on(p.english_1, dt.date(2026, 10, 5))) == []


def test_r_str_5_move_without_order_is_refused(people):
    p = people
    services.group_member_move(
        student=p.student_record,
        to_group=p.english_1,
        order=None,
        on=dt.date(2026, 9, 1),
        initial=True,
    )
    with pytest.raises(ValidationError, match="нужен приказ"):
        services.group_member_move(
            student=p.student_record, to_group=p.english_2, order=None, on=dt.date(2026, 10, 5)
        )


def test_r_str_4_transfer_keeps_history(people):
    """R-STR-4: the student is in the old class before the transfer date, the new after."""
    p = people
    order = f.order_make(p.lyceum, "12-п", dt.date(2026, 11, 2), Order.Kind.TRANSFER)
    services.student_transfer(
        student=p.other_student_record, to_class=p.class_5b, order=order, on=dt.date(2026, 11, 9)
    )
    whole_5a = p.class_5a.groups.get(is_whole_class=True)
    whole_5b = p.class_5b.groups.get(is_whole_class=True)
    assert p.other_student_record in group_students_on(whole_5a, dt.date(2026, 11, 8))
    assert p.other_student_record not in group_students_on(whole_5a, dt.date(2026, 11, 9))
    assert p.other_student_record in group_students_on(whole_5b, dt.date(2026, 11, 9))
    assert p.other_student_record.enrolments.count() == 2


def test_r_str_4_withdrawal_ends_group_memberships(people):
    p = people
    services.group_member_move(
        student=p.student_record,
        to_group=p.english_1,
        order=None,
        on=dt.date(2026, 9, 1),
        initial=True,
    )
    order = f.order_make(p.lyceum, "20-в", dt.date(2026, 12, 1), Order.Kind.WITHDRAWAL)
    services.student_withdraw(student=p.student_record, order=order, last_day=dt.date(2026, 12, 4))
    assert p.student_record in group_students_on(p.english_1, dt.date(2026, 12, 4))
    assert p.student_record not in group_students_on(p.english_1, dt.date(2026, 12, 5))


def test_r_str_4_change_before_its_order_is_refused(people):
    p = people
    order = f.order_make(p.lyceum, "12-п", dt.date(2026, 11, 2), Order.Kind.TRANSFER)
    with pytest.raises(ValidationError):
        services.student_transfer(
            student=p.other_student_record,
            to_class=p.class_5b,
            order=order,
            on=dt.date(2026, 11, 1),
        )


def test_r_str_4_two_open_enrolments_are_refused_by_the_database(people):
    p = people
    from schedule.models import Enrolment

    with pytest.raises(IntegrityError), transaction.atomic():
        Enrolment.objects.create(
            school=p.lyceum,
            student=p.student_record,
            school_class=p.class_5b,
            order=Order.objects.first(),
            starts_on=dt.date(2026, 9, 2),
        )


def test_r_ten_1_a_class_has_exactly_one_whole_class_group(people):
    p = people
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.create(
            school=p.lyceum, school_class=p.class_5a, name="ещё", is_whole_class=True
        )


def test_r_ten_1_links_across_schools_are_refused(people):
    p = people
    foreign_subject = f.subject_make(p.gymnasium, "Физика")
    group = Group(school=p.lyceum, school_class=p.class_5a, name="физ", subject=foreign_subject)
    with pytest.raises(ValidationError, match="относится к другой школе"):
        group.full_clean()
