"""A child's absence notices in the diary (R-ATT-4): the list, a form for a new one and the
withdrawal.

Access: whoever reads the child's diary (his parent, the student himself, a trusted person
with an open grant) reads the list; only a parent files or withdraws (403 for the others).
Staff without one of those roles get 403; another school's child, or a child the user does
not read, is 404 (R-ROLE-2: guessing ids tells nothing)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import school_view
from accounts.models import ParentLink, Role, Student
from journal.models import AbsenceNotice
from journal.notice_selectors import student_notices
from journal.rules import Refusal
from journal.services.notices import MAX_DAYS, absence_notice_file, absence_notice_withdraw

from .access import DIARY_ROLES, current_class, get_student_for_reader, switcher_students

LESSON_CHOICES = [(str(n), str(n)) for n in range(1, 11)]


def _student_for_reader(request, student_id: int) -> tuple[Student, bool]:
    """The child of the URL if the user reads his diary (diary.access, 404 otherwise), and
    whether he is the child's parent (who alone files and withdraws notices)."""
    student = get_student_for_reader(request, student_id)
    is_parent = (
        Role.PARENT in request.access.roles
        and ParentLink.objects.filter(
            school=request.school, student=student, parent__user=request.user
        ).exists()
    )
    return student, is_parent


class NoticeForm(forms.Form):
    starts_on = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Until"),
        required=False,
        help_text=gettext_lazy("Empty: the same day."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Will miss"),
        choices=[
            ("days", gettext_lazy("whole days")),
            ("lessons", gettext_lazy("only these lessons")),
        ],
        initial="days",
        widget=forms.RadioSelect,
    )
    lessons = forms.MultipleChoiceField(
        label=gettext_lazy("Lessons"),
        choices=LESSON_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=AbsenceNotice.Reason.choices)
    comment = forms.CharField(
        label=gettext_lazy("Comment"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "style": "width:100%;box-sizing:border-box"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("scope") == "lessons" and not data.get("lessons"):
            self.add_error("lessons", _("Choose the lessons the child will miss."))
        if data.get("scope") == "days":
            data["lessons"] = []
        return data


def _page(request, student, is_parent, form=None, status=200):
    today = request.school.today()
    if form is None and is_parent:
        form = NoticeForm(initial={"starts_on": today, "reason": AbsenceNotice.Reason.ILLNESS})
    return render(
        request,
        "diary/notices.html",
        {
            "student": student,
            "school_class": current_class(student),
            "children": switcher_students(request),
            "tab": "diary_notices",
            "is_parent": is_parent,
            "notices": list(student_notices(student)),
            "form": form,
            "today": today,
            "max_days": MAX_DAYS,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@school_view(*DIARY_ROLES)
def diary_notices(request, student_id: int):
    """GET: the child's notices (and the form, for a parent). POST: a parent files one."""
    student, is_parent = _student_for_reader(request, student_id)
    if request.method == "GET":
        return _page(request, student, is_parent)
    if not is_parent:
        raise PermissionDenied
    form = NoticeForm(request.POST)
    if not form.is_valid():
        return _page(request, student, is_parent, form=form, status=400)
    data = form.cleaned_data
    try:
        filed = absence_notice_file(
            actor=request.user,
            student=student,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"] or data["starts_on"],
            lesson_numbers=data["lessons"],
            reason=data["reason"],
            comment=data["comment"],
        )
    except Refusal as refusal:
        if refusal.code == "forbidden":
            raise PermissionDenied from None
        form.add_error(None, refusal.message)
        return _page(request, student, is_parent, form=form, status=400)
    if filed.absences:
        messages.success(
            request,
            ngettext(
                "The notice is sent: %(count)d lesson is marked as a reported absence for "
                "the teachers to confirm.",
                "The notice is sent: %(count)d lessons are marked as reported absences for "
                "the teachers to confirm.",
                filed.absences,
            )
            % {"count": filed.absences},
        )
    else:
        messages.success(
            request,
            _(
                "The notice is sent to the class teacher. No lessons of those days are left "
                "to mark."
            ),
        )
    return redirect("diary_notices", request.school.slug, student.pk)


@require_POST
@school_view(*DIARY_ROLES)
def diary_notice_withdraw(request, student_id: int, notice_id: int):
    student, is_parent = _student_for_reader(request, student_id)
    notice = AbsenceNotice.objects.filter(
        school=request.school, student=student, pk=notice_id
    ).first()
    if notice is None:
        raise Http404
    if not is_parent:
        raise PermissionDenied
    notice.student = student
    try:
        removed = absence_notice_withdraw(actor=request.user, notice=notice)
    except Refusal as refusal:
        if refusal.code == "forbidden":
            raise PermissionDenied from None
        messages.error(request, refusal.message)
    else:
        messages.success(
            request,
            ngettext(
                "The notice is withdrawn; %(count)d reported absence is removed.",
                "The notice is withdrawn; %(count)d reported absences are removed.",
                removed,
            )
            % {"count": removed},
        )
    return redirect(reverse("diary_notices", args=[request.school.slug, student.pk]))


urlpatterns = [
    path("<int:student_id>/notices/", diary_notices, name="diary_notices"),
    path(
        "<int:student_id>/notices/<int:notice_id>/withdraw/",
        diary_notice_withdraw,
        name="diary_notice_withdraw",
    ),
]
