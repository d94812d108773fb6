"""R-TEN-1 and R-TEN-3: every school-owned table carries `school` and its unique
constraints start with it; a new school gets the regulation's defaults."""

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from accounts.models import SchoolSettings, WorkType

from .. import factories as f

# Tables that are not owned by one school, and why.
NOT_SCHOOL_OWNED = {
    "accounts.User": "a person may work or study in several schools",
    "accounts.Municipality": "groups schools",
    "accounts.School": "the tenant itself",
    "accounts.CoordinatorAssignment": "spans the schools of a municipality (R-CTL-6)",
}


def project_models():
    for app in ("accounts", "schedule"):
        yield from apps.get_app_config(app).get_models()


@pytest.mark.parametrize("model", list(project_models()), ids=lambda m: m._meta.label)
def test_r_ten_1_school_owned_tables_and_their_unique_constraints(model):
    if model._meta.label in NOT_SCHOOL_OWNED:
        return
    school = model._meta.get_field("school")
    assert school.related_model._meta.label == "accounts.School"
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint):
            assert constraint.fields[0] == "school", constraint.name
    for fields in model._meta.unique_together:
        assert fields[0] == "school"


def test_r_ten_3_new_school_has_the_regulation_defaults(db):
    school = f.school_make("newschool", "Asia/Tomsk")
    s = school.settings
    assert s.first_lesson_attendance_deadline == dt.time(9, 30)
    assert s.absence_reason_deadline == dt.time(10, 0)
    assert s.weekly_reconciliation_deadline == dt.time(16, 0)
    assert s.current_marks_deadline == dt.time(16, 0)
    assert s.marks_limit_days == 8
    assert s.grade_one_without_marks is True
    assert s.mark_scale == SchoolSettings.MarkScale.ONE_TO_FIVE
    assert (s.threshold_five, s.threshold_four, s.threshold_three) == (
        Decimal("4.50"),
        Decimal("3.50"),
        Decimal("2.50"),
    )
    work_types = {w.code: w for w in WorkType.objects.filter(school=school)}
    assert work_types["essay"].double_mark and work_types["essay"].check_days == 14
    assert work_types["essay"].check_days_grades == "10,11"
    assert work_types["exposition"].check_days == 7
    assert work_types["control"].weight > work_types["answer"].weight


def test_r_ten_2_school_local_day(db):
    """At 20:00 UTC it is already tomorrow in Tomsk (UTC+7) but not in Moscow (UTC+3)."""
    import time_machine

    tomsk = f.school_make("tomsk", "Asia/Tomsk")
    moscow = f.school_make("moscow", "Europe/Moscow")
    with time_machine.travel(dt.datetime(2026, 10, 6, 20, 0, tzinfo=dt.UTC), tick=False):
        assert tomsk.today() == dt.date(2026, 10, 7)
        assert moscow.today() == dt.date(2026, 10, 6)


def test_r_ten_3_thresholds_must_decrease(db):
    school = f.school_make("thr")
    s = school.settings
    s.threshold_four = Decimal("4.80")
    with pytest.raises(ValidationError):
        s.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        s.save()


def test_r_ten_1_same_names_in_two_schools_are_fine(db):
    a, b = f.school_make("a"), f.school_make("b")
    f.subject_make(a, "Математика")
    f.subject_make(b, "Математика")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.subject_make(a, "Математика")


def test_a_whole_school_can_be_deleted(people):
    """Links inside one school restrict deleting a row in use, not the school itself."""
    from schedule.models import Enrolment, Subject, TeachingLoad

    with pytest.raises(models.RestrictedError):
        people.maths.delete()
    people.lyceum.delete()
    assert not Enrolment.objects.filter(school_id=people.lyceum.pk).exists()
    assert not TeachingLoad.objects.exists()
    assert Subject.objects.filter(school=people.gymnasium).count() == 0
