"""A parent's trusted persons (R-ROLE-5): his children, per child the persons given read
access to the diary (in force, expired, revoked: the rows are the log), a form for a new
grant, and the revocation.

Access: parents of the school only (403 for others); a child who is not the parent's, or
a grant of such a child, is 404."""

import datetime as dt
from collections import defaultdict

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import school_view
from accounts.models import Role, Student, TrustedPerson
from accounts.trusted import MAX_GRANT_DAYS, grant_status, trusted_grant, trusted_revoke


def _children(request):
    return list(
        Student.objects.filter(school=request.school, parent_links__parent__user=request.user)
        .distinct()
        .order_by("last_name", "first_name", "pk")
    )


class TrustedForm(forms.Form):
    full_name = forms.CharField(
        label=gettext_lazy("Full name"),
        max_length=300,
        help_text=gettext_lazy("Last name, first name, patronymic"),
    )
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=254)
    student = forms.TypedChoiceField(label=gettext_lazy("Child"), coerce=int)
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, children, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = [(c.pk, c.short_name) for c in children]
        latest = today + dt.timedelta(days=MAX_GRANT_DAYS)
        widget = self.fields["valid_until"].widget
        widget.attrs.update(min=today.isoformat(), max=latest.isoformat())
        self.fields["valid_until"].help_text = _("At most until %(date)s.") % {
            "date": latest.strftime("%d.%m.%Y")
        }


def _page(request, children, form=None, status=200):
    school = request.school
    today = school.today()
    if form is None:
        form = TrustedForm(children=children, today=today)
    grants = defaultdict(list)
    for grant in (
        TrustedPerson.objects.filter(school=school, student__in=[c.pk for c in children])
        .select_related("user", "granted_by", "revoked_by")
        .order_by("-granted_at", "-pk")
    ):
        grant.status = grant_status(grant, today, school)
        grants[grant.student_id].append(grant)
    return render(
        request,
        "diary/trusted.html",
        {
            "children": [(child, grants[child.pk]) for child in children],
            "form": form,
            "today": today,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@school_view(Role.PARENT)
def diary_trusted(request):
    """The parent's settings page of trusted persons; POST gives a new grant."""
    children = _children(request)
    if request.method == "GET":
        return _page(request, children)
    try:
        student_id = int(request.POST.get("student", ""))
    except ValueError:
        student_id = None
    if student_id is not None and student_id not in {c.pk for c in children}:
        raise Http404  # another family's child (R-ROLE-2)
    form = TrustedForm(request.POST, children=children, today=request.school.today())
    if not form.is_valid():
        return _page(request, children, form=form, status=400)
    data = form.cleaned_data
    student = next(c for c in children if c.pk == data["student"])
    try:
        grant = trusted_grant(
            parent_user=request.user,
            school=request.school,
            student=student,
            full_name=data["full_name"],
            email=data["email"],
            valid_until=data["valid_until"],
            request=request,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _page(request, children, form=form, status=400)
    messages.success(
        request,
        _(
            "%(name)s may read the diary of %(student)s until %(date)s. An e-mail about it "
            "has been sent to %(email)s."
        )
        % {
            "name": grant.full_name,
            "student": student.short_name,
            "date": grant.valid_until.strftime("%d.%m.%Y"),
            "email": grant.user.email,
        },
    )
    return redirect("diary_trusted", request.school.slug)


@require_POST
@school_view(Role.PARENT)
def diary_trusted_revoke(request, grant_id: int):
    grant = (
        TrustedPerson.objects.filter(
            school=request.school,
            pk=grant_id,
            student__parent_links__parent__user=request.user,
        )
        .select_related("student", "user")
        .first()
    )
    if grant is None:
        raise Http404
    grant.school = request.school
    try:
        trusted_revoke(actor=request.user, grant=grant)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(name)s no longer reads the diary of %(student)s.")
            % {"name": grant.full_name, "student": grant.student.short_name},
        )
    return redirect("diary_trusted", request.school.slug)


urlpatterns = [
    path("trusted/", diary_trusted, name="diary_trusted"),
    path("trusted/<int:grant_id>/revoke/", diary_trusted_revoke, name="diary_trusted_revoke"),
]
