"""Writes to the school structure (contingent.py), the weekly timetable and its dated
lessons (timetable.py), and replacements, cancellations and control works (lessons.py)."""

from .contingent import (
    group_member_move,
    school_class_create,
    student_enrol,
    student_transfer,
    student_withdraw,
    whole_class_group_ensure,
)

__all__ = [
    "group_member_move",
    "school_class_create",
    "student_enrol",
    "student_transfer",
    "student_withdraw",
    "whole_class_group_ensure",
]
