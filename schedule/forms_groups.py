"""Forms of the class groups pages: the subgroups of a subject and their teachers
(R-STR-5, R-STR-6), the split of a class into them by pick lists (R-STR-5), and the
individual curricula of the class's students (R-STR-7).

The forms get their choices as lists from the view, so rendering them runs no query."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import IndividualCurriculum
from .services.groups import Move, NewGroup

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DateField(forms.DateField):
    widget = DATE_WIDGET


class OnDateForm(forms.Form):
    """`?on=` of the pages: the date the lists are shown on."""

    on = DateField(label=_("On"), required=False)

    @classmethod
    def date(cls, data, default: dt.date) -> dt.date:
        form = cls(data)
        if form.is_valid() and form.cleaned_data["on"]:
            return form.cleaned_data["on"]
        return default


# ---------------------------------------------------------------- new subgroups (R-STR-5)


class SubgroupsCreateForm(forms.Form):
    """The subgroups of one subject, each with its teacher and weekly hours (a teaching
    load, R-STR-6) when they are already known."""

    ROWS = 4

    subject = forms.ChoiceField(label=_("Subject"))

    def __init__(self, *args, subjects, teachers, existing_names, **kwargs):
        """`subjects` the user may split the class for, `teachers` of the school, and
        `existing_names` {subject id: names of its subgroups in the class}."""
        super().__init__(*args, **kwargs)
        self.subjects = {str(s.pk): s for s in subjects}
        self.teachers = {str(t.pk): t for t in teachers}
        self.existing_names = existing_names
        self.fields["subject"].choices = [("", "—")] + [
            (key, s.name) for key, s in self.subjects.items()
        ]
        teacher_choices = [("", "—")] + [(key, t.full_name) for key, t in self.teachers.items()]
        for n in range(1, self.ROWS + 1):
            self.fields[f"name_{n}"] = forms.CharField(
                label=_("Group name"),
                max_length=60,
                required=False,
                initial=gettext("%(n)s group") % {"n": n} if n <= 2 else "",
            )
            self.fields[f"teacher_{n}"] = forms.ChoiceField(
                label=_("Teacher"), choices=teacher_choices, required=False
            )
            self.fields[f"hours_{n}"] = forms.DecimalField(
                label=_("Hours a week"),
                required=False,
                max_digits=3,
                decimal_places=1,
                min_value=Decimal("0.5"),
                max_value=Decimal("10"),
                widget=forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "max": "10"}),
            )

    def rows(self):
        """The bound fields of each row, for the template."""
        return [
            (self[f"name_{n}"], self[f"teacher_{n}"], self[f"hours_{n}"])
            for n in range(1, self.ROWS + 1)
        ]

    def clean_subject(self):
        return self.subjects[self.cleaned_data["subject"]]

    def clean(self):
        cleaned = super().clean()
        groups: list[NewGroup] = []
        for n in range(1, self.ROWS + 1):
            name = (cleaned.get(f"name_{n}") or "").strip()
            teacher_key = cleaned.get(f"teacher_{n}")
            hours = cleaned.get(f"hours_{n}")
            if f"hours_{n}" in self.errors:
                continue
            if not name:
                if teacher_key or hours:
                    self.add_error(f"name_{n}", _("Give the group a name."))
                continue
            teacher = self.teachers.get(teacher_key) if teacher_key else None
            if teacher and hours is None:
                self.add_error(f"hours_{n}", _("Enter the teacher's hours a week."))
            elif hours is not None and teacher is None:
                self.add_error(f"teacher_{n}", _("Choose the teacher of these hours."))
            groups.append(NewGroup(name, teacher, hours))
        subject = cleaned.get("subject")
        if subject is None:
            return cleaned
        existing = {name.casefold() for name in self.existing_names.get(subject.pk, ())}
        seen: set[str] = set()
        for group in groups:
            key = group.name.casefold()
            if key in existing or key in seen:
                raise ValidationError(
                    _("The class already has a group «%(name)s» for this subject.")
                    % {"name": group.name}
                )
            seen.add(key)
        if not groups:
            raise ValidationError(_("Enter the names of the groups."))
        if not existing and len(groups) < 2:
            raise ValidationError(_("A class is split into at least two groups for a subject."))
        cleaned["groups"] = groups
        return cleaned


# ---------------------------------------------------------------- the split (R-STR-5)

NOT_PLACED = "none"


class GroupSplitForm(forms.Form):
    """Pick lists: a radio per subgroup for each student of the class on the date the
    change takes effect. A student's first placement needs no order; moving a student who
    has been in a group of the subject needs one (R-STR-5)."""

    on = DateField(label=_("Takes effect from"))
    order_number = forms.CharField(label=_("Order number"), max_length=30, required=False)
    order_date = DateField(label=_("Order date"), required=False)

    def __init__(self, *args, students, groups, current, ever_placed, **kwargs):
        """`students` of the class on the date, the subject's `groups` in the class,
        `current` {student id: group id} on the date, `ever_placed` ids of the students
        who have been in a group of the subject."""
        super().__init__(*args, **kwargs)
        self.students = list(students)
        self.groups = {str(g.pk): g for g in groups}
        self.current = current
        self.ever_placed = ever_placed
        choices = [(key, g.name) for key, g in self.groups.items()]
        choices.append((NOT_PLACED, gettext("not placed")))
        for student in self.students:
            self.fields[self.key(student)] = forms.ChoiceField(
                label=student.full_name,
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
                initial=str(current.get(student.pk) or NOT_PLACED),
            )

    @staticmethod
    def key(student) -> str:
        return f"s{student.pk}"

    def rows(self):
        """(student, his current group, the bound radio field) for the template."""
        return [
            (
                student,
                self.groups.get(str(self.current.get(student.pk))),
                self[self.key(student)],
            )
            for student in self.students
        ]

    def clean(self):
        cleaned = super().clean()
        moves: list[Move] = []
        for student in self.students:
            chosen = cleaned.get(self.key(student))
            if not chosen:
                continue  # no radio sent: unchanged
            current = self.groups.get(str(self.current.get(student.pk)))
            target = None if chosen == NOT_PLACED else self.groups[chosen]
            if target == current:
                continue
            initial = current is None and student.pk not in self.ever_placed
            moves.append(Move(student, current, target, initial))
        cleaned["moves"] = moves
        number = (cleaned.get("order_number") or "").strip()
        cleaned["order_number"] = number
        order_date = cleaned.get("order_date")
        if "order_date" in self.errors:
            return cleaned
        if bool(number) != bool(order_date):
            raise ValidationError(_("Enter both the number and the date of the order."))
        needing_order = [m.student.full_name for m in moves if not m.initial]
        if needing_order and not number:
            raise ValidationError(
                _(
                    "Moving a student who has already been in a group needs an order: "
                    "enter its number and date (%(students)s)."
                )
                % {"students": ", ".join(needing_order)}
            )
        on = cleaned.get("on")
        if order_date and on and on < order_date:
            raise ValidationError(_("A change cannot take effect before its order is signed."))
        return cleaned


# ---------------------------------------------------------------- individual curricula (R-STR-7)


class IndividualCurriculumForm(forms.Form):
    """A student of the class exempted from a course or attached to one for a range of
    dates, on a documented basis (R-STR-7)."""

    student = forms.ChoiceField(label=_("Student"))
    kind = forms.ChoiceField(label=_("Kind"), choices=IndividualCurriculum.Kind)
    course = forms.ChoiceField(label=_("Course"))
    starts_on = DateField(label=_("First day"))
    ends_on = DateField(
        label=_("Last day"), required=False, help_text=_("Empty: until it is ended.")
    )
    basis = forms.CharField(
        label=_("Basis"),
        max_length=300,
        help_text=_("The order or document, e.g. «order no. 12 of 01.09, medical certificate»."),
    )

    def __init__(self, *args, school_class, students, courses, today, **kwargs):
        """`students` of the class, `courses` (group, subject) pairs with a teacher."""
        super().__init__(*args, **kwargs)
        self.school_class = school_class
        self.students = {str(s.pk): s for s in students}
        self.courses = {f"{g.pk}-{s.pk}": (g, s) for g, s in courses}
        self.fields["student"].choices = [("", "—")] + [
            (key, s.full_name) for key, s in self.students.items()
        ]
        self.fields["course"].choices = [("", "—")] + [
            (key, f"{g} — {s.name}") for key, (g, s) in self.courses.items()
        ]
        self.fields["starts_on"].initial = today

    def clean_student(self):
        return self.students[self.cleaned_data["student"]]

    def clean_course(self):
        return self.courses[self.cleaned_data["course"]]

    def clean(self):
        cleaned = super().clean()
        starts_on, ends_on = cleaned.get("starts_on"), cleaned.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The end date is before the start date."))
        course, kind = cleaned.get("course"), cleaned.get("kind")
        if course and kind:
            group, _subject = course
            own_class = group.school_class_id == self.school_class.pk
            if kind == IndividualCurriculum.Kind.EXEMPT and not own_class:
                self.add_error(
                    "course", _("A student is exempted only from a course of his own class.")
                )
            if kind == IndividualCurriculum.Kind.ATTACH and own_class and group.is_whole_class:
                self.add_error(
                    "course", _("The student attends the courses of his whole class anyway.")
                )
        return cleaned


class CurriculumEndForm(forms.Form):
    """From this date the student studies the course by the common curriculum again."""

    ends_from = DateField(label=_("Ends from"))
