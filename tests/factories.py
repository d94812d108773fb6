import datetime as dt

import factory
from factory.django import DjangoModelFactory

from accounts import services as account_services
from accounts.models import Membership, Municipality, Parent, ParentLink, Role, Student, User
from schedule import services as schedule_services
from schedule.models import AcademicYear, Order, Subject

YEAR_START = dt.date(2026, 9, 1)
YEAR_END = dt.date(2027, 5, 31)


class MunicipalityFactory(DjangoModelFactory):
    class Meta:
        model = Municipality
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Город {n}")


def school_make(slug: str, time_zone: str = "Europe/Moscow", municipality=None, **fields):
    return account_services.school_create(
        name=fields.pop("name", f"Школа {slug}"),
        short_name=fields.pop("short_name", slug),
        slug=slug,
        municipality=municipality or MunicipalityFactory(),
        time_zone=time_zone,
        **fields,
    )


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = factory.Sequence(lambda n: f"Фамилия{n}")
    first_name = "Иван"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def member(user, school, role, starts_on=dt.date(2020, 1, 1), ends_on=None) -> Membership:
    return Membership.objects.create(
        user=user, school=school, role=role, starts_on=starts_on, ends_on=ends_on
    )


def year_make(school, name="2026/2027", starts_on=YEAR_START, ends_on=YEAR_END):
    return AcademicYear.objects.create(
        school=school, name=name, starts_on=starts_on, ends_on=ends_on
    )


def subject_make(school, name, **fields):
    return Subject.objects.create(school=school, name=name, **fields)


def order_make(school, number="1-у", date=dt.date(2026, 8, 30), kind=Order.Kind.ENROLMENT):
    return Order.objects.create(school=school, number=number, date=date, kind=kind)


def class_make(school, year, grade=5, letter="А", class_teacher=None):
    return schedule_services.school_class_create(
        school=school, year=year, grade=grade, letter=letter, class_teacher=class_teacher
    )


def student_make(
    school, school_class, last_name, first_name="Пётр", order=None, on=YEAR_START, user=None
):
    student = Student.objects.create(
        school=school, last_name=last_name, first_name=first_name, user=user
    )
    if user is not None:
        member(user, school, Role.STUDENT, starts_on=on)
    if school_class is not None:
        schedule_services.student_enrol(
            student=student,
            school_class=school_class,
            order=order
            or Order.objects.get_or_create(
                school=school,
                number="1-у",
                date=dt.date(2026, 8, 30),
                defaults={"kind": Order.Kind.ENROLMENT},
            )[0],
            on=on,
        )
    return student


def parent_make(school, user, *children, relation=ParentLink.Relation.MOTHER):
    parent = Parent.objects.create(
        school=school, last_name=user.last_name, first_name=user.first_name, user=user
    )
    member(user, school, Role.PARENT)
    for child in children:
        ParentLink.objects.create(school=school, parent=parent, student=child, relation=relation)
    return parent
