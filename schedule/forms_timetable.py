"""Forms of the timetable pages. Every choice is limited to the school of the page."""

import datetime as dt

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Role, User

from .models import Group, Room, SchoolClass, Subject, Weekday

TEACHING_ROLES = (Role.TEACHER, Role.SUBSTITUTE)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


def school_teachers(school, on: dt.date):
    return (
        User.objects.filter(
            pk__in=Membership.objects.filter(school=school, role__in=TEACHING_ROLES)
            .active_on(on)
            .values("user")
        )
        .order_by("last_name", "first_name", "middle_name")
        .distinct()
    )


def school_rooms(school):
    return (
        Room.objects.filter(school=school)
        .select_related("building")
        .order_by("building__name", "number")
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class EntryForm(forms.Form):
    """A cell of a class's weekly timetable, in force from a date (R-TT-1, R-TT-4)."""

    weekday = forms.TypedChoiceField(label=_("day of the week"), choices=Weekday, coerce=int)
    number = forms.IntegerField(label=_("lesson number"), min_value=0, max_value=12)
    group = forms.ModelChoiceField(label=_("group"), queryset=Group.objects.none())
    subject = forms.ModelChoiceField(label=_("subject"), queryset=Subject.objects.none())
    teacher = PersonChoiceField(label=_("teacher"), queryset=User.objects.none())
    room = forms.ModelChoiceField(
        label=_("room"), queryset=Room.objects.none(), required=False, empty_label=_("no room")
    )
    starts_on = forms.DateField(label=_("from"), widget=DateInput())

    def __init__(self, *args, school_class: SchoolClass, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        school = school_class.school
        self.fields["group"].queryset = Group.objects.filter(school_class=school_class).order_by(
            "-is_whole_class", "subject__name", "name"
        )
        self.fields["group"].label_from_instance = lambda g: (
            _("whole class") if g.is_whole_class else f"{g.name} ({g.subject})"
        )
        self.fields["subject"].queryset = Subject.objects.filter(school=school)
        self.fields["teacher"].queryset = school_teachers(school, today)
        self.fields["room"].queryset = school_rooms(school)
        self.fields["starts_on"].initial = max(today, school_class.year.starts_on)


class EntryChangeForm(forms.Form):
    """Change the teacher or room of a cell from a date, or remove it from a date."""

    from_date = forms.DateField(label=_("from"), widget=DateInput())
    teacher = PersonChoiceField(label=_("teacher"), queryset=User.objects.none(), required=False)
    room = forms.ModelChoiceField(label=_("room"), queryset=Room.objects.none(), required=False)

    def __init__(self, *args, school, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teacher"].queryset = school_teachers(school, today)
        self.fields["room"].queryset = school_rooms(school)


class LessonChangeForm(forms.Form):
    """A replacement, a room change or a cancellation of one dated lesson (R-TT-3)."""

    substitute = PersonChoiceField(
        label=_("substitute"), queryset=User.objects.none(), required=False
    )
    room = forms.ModelChoiceField(
        label=_("room"), queryset=Room.objects.none(), required=False, empty_label=_("as planned")
    )
    reason = forms.CharField(label=_("reason"), max_length=300, required=False)

    def __init__(self, *args, school, on: dt.date, busy_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["substitute"].queryset = school_teachers(school, on)
        self.fields["substitute"].label_from_instance = lambda u: (
            gettext("%(name)s — busy") % {"name": u.full_name} if u.pk in busy_ids else u.full_name
        )
        self.fields["room"].queryset = school_rooms(school)


class RangeReplaceForm(forms.Form):
    """A sick week: all lessons of a teacher between two dates go to a substitute."""

    teacher = PersonChoiceField(label=_("absent teacher"), queryset=User.objects.none())
    date_from = forms.DateField(label=_("from"), widget=DateInput())
    date_to = forms.DateField(label=_("until"), widget=DateInput())
    substitute = PersonChoiceField(label=_("substitute"), queryset=User.objects.none())
    reason = forms.CharField(label=_("reason"), max_length=300)

    def __init__(self, *args, school, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("teacher", "substitute"):
            self.fields[name].queryset = school_teachers(school, today)
        self.fields["date_from"].initial = today
        self.fields["date_to"].initial = today

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
