from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import CLASS_TEACHER, SchoolAccess, school_view
from accounts.models import LEADERSHIP_ROLES, STAFF_ROLES, Role, TrustedPerson
from accounts.selectors import is_coordinator
from accounts.services import MAX_ISSUE_BATCH, credentials_issue, parent_application_record
from accounts.trusted import open_grants

from . import selectors
from .forms import ParentApplicationForm
from .models import SchoolClass, TeachingLoad

OVERVIEW_ROLES = LEADERSHIP_ROLES | {
    Role.SECRETARY,
    Role.PSYCHOLOGIST,
    Role.SOCIAL_PEDAGOGUE,
    Role.MONITORING,
}
STAFF_LIST_ROLES = LEADERSHIP_ROLES | {Role.SECRETARY}


@require_GET
@school_view()
def school_home(request):
    """A home page for each of the user's roles in the school, with real data."""
    school, access, user = request.school, request.access, request.user
    today = school.today()
    year = selectors.current_year(school, today)
    sections = {}
    if year is not None:
        if access.has_any({Role.TEACHER, Role.SUBSTITUTE}):
            sections["loads"] = selectors.teacher_loads(school, user, year)
        if CLASS_TEACHER in access.roles:
            led = list(selectors.led_classes(school, user, year))
            sections["led_classes"] = [(c, selectors.class_roster(c, today)) for c in led]
        if access.has_any(OVERVIEW_ROLES):
            sections["classes"] = selectors.classes_with_counts(school, year, today)
    if access.has_any(STAFF_LIST_ROLES):
        sections["staff"] = _people_with_roles(selectors.staff_on(school, today))
    if Role.PARENT in access.roles:
        sections["children"] = selectors.parent_children(school, user, today)
    if Role.TRUSTED in access.roles:
        # R-ROLE-5: the diaries parents opened to him, while the grants are in force
        sections["shared_diaries"] = list(
            TrustedPerson.objects.filter(open_grants(today), school=school, user=user)
            .select_related("student")
            .order_by("student__last_name", "student__first_name", "pk")
        )
    if Role.STUDENT in access.roles:
        record = school.students.filter(user=user).first()
        if record is not None:
            sections["student_record"] = record
            sections["student_courses"] = selectors.student_courses(record, today)
    return render(
        request,
        "schedule/school_home.html",
        {"year": year, "today": today, **sections},
    )


def _people_with_roles(memberships):
    people = {}
    for m in memberships:
        person = people.setdefault(m.user_id, {"user": m.user, "roles": [], "positions": []})
        person["roles"].append(m.get_role_display())
        if m.position:
            person["positions"].append(m.position)
    return list(people.values())


def _can_read_class_list(user, access: SchoolAccess, school_class: SchoolClass) -> bool:
    if access.has_any(OVERVIEW_ROLES):
        return True
    if school_class.class_teacher_id == user.pk:
        return True
    if access.has_any(STAFF_ROLES):
        return TeachingLoad.objects.filter(
            school=access.school, teacher=user, group__school_class=school_class
        ).exists()
    return False


@require_GET
@school_view()
def class_detail(request, pk):
    """The class list (R-STR-4): who is in the class today, with parents' contacts."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("class_teacher", "year"), school=request.school, pk=pk
    )
    if not _can_read_class_list(request.user, request.access, school_class):
        raise PermissionDenied
    today = request.school.today()
    return render(
        request,
        "schedule/class_detail.html",
        {
            "school_class": school_class,
            "students": selectors.class_roster(school_class, today),
            "today": today,
            "can_issue_credentials": school_class.class_teacher_id == request.user.pk
            or Role.ADMIN in request.access.roles,
        },
    )


@require_GET
@login_required
def coordinator_home(request):
    """A municipal coordinator's schools (R-CTL-6)."""
    if not is_coordinator(request.user):
        raise Http404
    return render(
        request,
        "schedule/coordinator_home.html",
        {"schools": selectors.coordinator_schools(request.user, timezone.now().date())},
    )


CREDENTIALS_ROLES = {Role.ADMIN, Role.SECRETARY}


def _get_class_for_credentials(request, pk) -> SchoolClass:
    """The class teacher of the class, the school administrator or the secretary, who
    takes the written applications (R-ROLE-4, R-ROLE-7)."""
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("school", "year"), school=request.school, pk=pk
    )
    if school_class.class_teacher_id != request.user.pk and not request.access.has_any(
        CREDENTIALS_ROLES
    ):
        raise PermissionDenied
    return school_class


def _credentials_page(request, school_class, students, *, error=None, form=None, status=200):
    today = request.school.today()
    return render(
        request,
        "schedule/credentials.html",
        {
            "school_class": school_class,
            "students": students,
            "today": today,
            "error": error,
            "chosen": set(request.POST.getlist("person")),
            "request_note": request.POST.get("request_note", ""),
            "max_batch": MAX_ISSUE_BATCH,
            "application_form": form or ParentApplicationForm(students=students, today=today),
        },
        status=status,
    )


def _chosen_people(post, students):
    """The students and parents ticked on the form, taken only from this class's list."""
    by_key = {}
    for student in students:
        by_key[student.form_key] = student
        for link in student.parent_links.all():
            by_key[link.parent.form_key] = link.parent
    return [by_key[key] for key in dict.fromkeys(post.getlist("person")) if key in by_key]


@require_http_methods(["GET", "POST"])
@school_view()
def class_credentials(request, pk):
    """Logins for the class's students and parents, issued by the class teacher and logged;
    passwords are shown once, on a page to print and cut (R-ROLE-4)."""
    school_class = _get_class_for_credentials(request, pk)
    students = selectors.class_credentials(school_class, request.school.today())
    if request.method == "POST":
        try:
            issued = credentials_issue(
                actor=request.user,
                people=_chosen_people(request.POST, students),
                request_note=request.POST.get("request_note", ""),
            )
        except ValidationError as e:
            return _credentials_page(
                request, school_class, students, error=" ".join(e.messages), status=400
            )
        response = render(
            request,
            "schedule/credentials_issued.html",
            {
                "school_class": school_class,
                "issued": issued,
                "login_url": request.build_absolute_uri(reverse("account_login")),
            },
        )
        response["Cache-Control"] = "no-store"  # the passwords are shown once
        return response
    return _credentials_page(request, school_class, students)


@require_POST
@school_view()
def class_parent_application(request, pk):
    """Record a parent's application and consent, or the refusal with its reason
    (R-ROLE-7); then the parent can be given a login on the same page."""
    school_class = _get_class_for_credentials(request, pk)
    students = selectors.class_credentials(school_class, request.school.today())
    form = ParentApplicationForm(request.POST, students=students, today=request.school.today())
    if form.is_valid():
        try:
            parent_application_record(actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(
                request,
                _("The application of %(name)s is recorded.")
                % {"name": form.cleaned_data["parent"].full_name},
            )
            return redirect("class_credentials", request.school.slug, school_class.pk)
    return _credentials_page(request, school_class, students, form=form, status=400)
