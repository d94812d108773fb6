"""The admin site the school administrator keeps the school's structure in (R-STR, R-TEN-1).

A school administrator is an ordinary user with an active ADMIN membership: no is_staff, no
Django model permissions. Everything he sees is scoped to one school, the *managed school*:
the school of the last school page he opened (``session["school_id"]``, set by
``school_view``) if he is its admin, otherwise the first school he administers. A superuser
is the system administrator and sees every school unscoped."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.filters import RelatedOnlyFieldListFilter
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db.models import Q, QuerySet
from django.forms.models import InlineForeignKeyField
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from .models import Membership, Role, School, User

SESSION_KEY = "school_id"


# ---------------------------------------------------------------- the managed school


def admin_schools(user) -> list[School]:
    """Schools where the user is an administrator today, each by its own local date
    (R-TEN-2): a membership ending "today" in Tomsk may still run in Kaliningrad."""
    if not user.is_authenticated or not user.is_active:
        return []
    memberships = (
        Membership.objects.filter(user=user, role=Role.ADMIN)
        .select_related("school")
        .order_by("school__short_name", "school_id")
    )
    schools: dict[int, School] = {}
    for membership in memberships:
        if membership.is_active_on(membership.school.today()):
            schools.setdefault(membership.school_id, membership.school)
    return list(schools.values())


def current_admin_school(request) -> School | None:
    """The school the admin pages are scoped to; None for a superuser (unscoped) and for
    users who administer no school. Computed once per request."""
    if not hasattr(request, "_admin_school"):
        user = request.user
        school = None
        schools: list[School] = []
        if user.is_authenticated and user.is_active and not user.is_superuser:
            schools = admin_schools(user)
            wanted = request.session.get(SESSION_KEY)
            school = next((s for s in schools if s.pk == wanted), schools[0] if schools else None)
        request._admin_schools = schools
        request._admin_school = school
    return request._admin_school


def is_school_admin(request) -> bool:
    return not request.user.is_superuser and current_admin_school(request) is not None


def school_field(model):
    """The model's FK to School named `school`, if it is a school-owned model."""
    try:
        field = model._meta.get_field("school")
    except FieldDoesNotExist:
        return None
    if getattr(field, "remote_field", None) and field.remote_field.model is School:
        return field
    return None


def staff_users(school: School, roles) -> QuerySet:
    """Users holding one of `roles` in the school now or from a future date: the structure
    for 1 September is prepared in August, before new teachers start (R-STR)."""
    today = school.today()
    memberships = Membership.objects.filter(school=school, role__in=roles).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    return User.objects.filter(pk__in=memberships.values("user_id")).order_by(
        "last_name", "first_name", "username"
    )


def school_users(school: School) -> QuerySet:
    return User.objects.filter(
        pk__in=Membership.objects.filter(school=school).values("user_id")
    ).order_by("last_name", "first_name", "username")


# FKs to User that must point to teaching staff; any other FK to User (a student's or a
# parent's account) may point to anyone with a role in the school.
TEACHER_FIELDS = {
    "class_teacher": (Role.TEACHER,),
    "teacher": (Role.TEACHER, Role.SUBSTITUTE),
}

# Choice labels that read a related row: fetch it with the choices, not once per option.
CHOICE_SELECT_RELATED = {
    ("schedule", "group"): ("school_class",),
}


def scoped_choices(db_field, school: School):
    """The rows a FK/M2M form field may offer in `school`, or None to leave it alone."""
    related = db_field.remote_field.model
    if related is School:
        return School.objects.filter(pk=school.pk)
    if related is User:
        roles = TEACHER_FIELDS.get(db_field.name)
        return staff_users(school, roles) if roles else school_users(school)
    if school_field(related) is not None:
        qs = related._default_manager.filter(school=school)
        key = (related._meta.app_label, related._meta.model_name)
        if key in CHOICE_SELECT_RELATED:
            qs = qs.select_related(*CHOICE_SELECT_RELATED[key])
        return qs
    return None


# ---------------------------------------------------------------- forms


class SchoolScopedFormMixin:
    """Puts the managed school on the instance *before* validation, so the model's clean()
    (same-school checks) and the unique constraints starting with `school` run on the form
    and end as form errors instead of an IntegrityError."""

    admin_school: School | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        school = self.admin_school
        if school is None:
            return
        if school_field(type(self.instance)) is not None and self.instance.school_id is None:
            self.instance.school = school
        self._keep_current_users()

    def _keep_current_users(self):
        """A class teacher whose job ended stays selectable on his old class; otherwise the
        select would silently drop him when the class is saved."""
        for name, field in self.fields.items():
            if not isinstance(field, forms.ModelChoiceField) or field.queryset.model is not User:
                continue
            current = getattr(self.instance, f"{name}_id", None)
            if current is not None:
                field.queryset = field.queryset | User.objects.filter(pk=current)

    def _post_clean(self):
        if school_field(type(self.instance)) is not None and not self.instance.school_id:
            # a superuser's inline row belongs to the school of the row it is inlined in
            for field in self.fields.values():
                if isinstance(field, InlineForeignKeyField):
                    parent = field.parent_instance
                    parent_school = parent.pk if isinstance(parent, School) else None
                    parent_school = parent_school or getattr(parent, "school_id", None)
                    if parent_school:
                        self.instance.school_id = parent_school
        super()._post_clean()

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        if "school" not in self.fields and getattr(self.instance, "school_id", None):
            # `school` is not a form field but is set: validate the constraints that use it
            exclude.discard("school")
        return exclude

    def _update_errors(self, errors):
        # A model error about a field the form does not show would crash add_error();
        # show it above the form instead.
        if hasattr(errors, "error_dict"):
            hidden = [
                f for f in errors.error_dict if f != NON_FIELD_ERRORS and f not in self.fields
            ]
            if hidden:
                error_dict = dict(errors.error_dict)
                moved = [e for f in hidden for e in error_dict.pop(f)]
                error_dict[NON_FIELD_ERRORS] = error_dict.get(NON_FIELD_ERRORS, []) + moved
                errors = ValidationError(error_dict)
        super()._update_errors(errors)


def bind_school(form_class, school: School | None):
    return type(form_class.__name__, (SchoolScopedFormMixin, form_class), {"admin_school": school})


# ---------------------------------------------------------------- model admins


class ImproperlyScoped(Exception):
    """A scoped admin was put on a model it does not know how to scope."""


class _ScopedBase:
    """What a ModelAdmin and an inline share: scoped rows, scoped choices, permissions."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        school = current_admin_school(request)
        if school is None:
            return qs.none()
        return self.scope_queryset(qs, school)

    def scope_queryset(self, qs, school: School):
        if qs.model is School:
            return qs.filter(pk=school.pk)
        if school_field(qs.model) is not None:
            return qs.filter(school=school)
        raise ImproperlyScoped(qs.model)

    def school_is_implied(self, request) -> bool:
        """The school comes from the managed school (or an inline's parent), not a field."""
        return is_school_admin(request)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if school_field(self.model) is not None and self.school_is_implied(request):
            exclude.append("school")
        return exclude

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if (
            school_field(self.model) is not None
            and "school" not in fields
            and not self.school_is_implied(request)
        ):
            # the system administrator picks the school of a row himself
            fields = ["school", *fields]
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        school = current_admin_school(request)
        if school is not None and "queryset" not in kwargs:
            qs = scoped_choices(db_field, school)
            if qs is not None:
                kwargs["queryset"] = qs
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        school = current_admin_school(request)
        if school is not None and "queryset" not in kwargs:
            qs = scoped_choices(db_field, school)
            if qs is not None:
                kwargs["queryset"] = qs
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def owns(self, request, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        school = current_admin_school(request)
        if school is None:
            return False
        if isinstance(obj, School):
            return obj.pk == school.pk
        if school_field(type(obj)) is not None:
            return obj.school_id == school.pk
        return True

    # The school admin has no Django model permissions: his role is the permission.
    def has_module_permission(self, request):
        return request.user.is_superuser or is_school_admin(request)

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        return is_school_admin(request) and self.owns(request, obj)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)


class SchoolScopedAdmin(_ScopedBase):
    """Mixin for the ModelAdmin of every school-owned model (R-TEN-1)."""

    list_per_page = 50

    def has_add_permission(self, request):
        return request.user.is_superuser or is_school_admin(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return bind_school(form, current_admin_school(request))

    def save_model(self, request, obj, form, change):
        school = current_admin_school(request)
        if school is not None and school_field(type(obj)) is not None and not obj.school_id:
            obj.school = school
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        school = current_admin_school(request)
        if school is not None:
            for inline_form in formset.forms:
                instance = inline_form.instance
                if school_field(type(instance)) is not None and not instance.school_id:
                    instance.school = school
        super().save_formset(request, form, formset, change)


class SchoolScopedInline(_ScopedBase):
    """Mixin for inlines of school-owned models."""

    extra = 0

    def school_is_implied(self, request) -> bool:
        parent = self.parent_model
        return (
            super().school_is_implied(request)
            or parent is School
            or school_field(parent) is not None
        )

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser or is_school_admin(request)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = bind_school(formset.form, current_admin_school(request))
        return formset


class SuperuserOnlyAdmin:
    """Models that span schools (municipalities, coordinators): the system administrator's."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class ScopedRelatedFilter(RelatedOnlyFieldListFilter):
    """A list filter offering the related rows that occur in the managed school's list,
    so another school's names never appear in the sidebar, fetched in one query."""

    def field_choices(self, field, request, model_admin):
        rows = model_admin.model._default_manager.all()
        school = current_admin_school(request)
        if school is not None:
            rows = rows.filter(school=school)
        related = field.remote_field.model
        qs = related._default_manager.filter(pk__in=rows.values(self.field_path))
        key = (related._meta.app_label, related._meta.model_name)
        if key in CHOICE_SELECT_RELATED:
            qs = qs.select_related(*CHOICE_SELECT_RELATED[key])
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            qs = qs.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in qs]


def scoped_related_filter(field_path: str):
    return (field_path, ScopedRelatedFilter)


# ---------------------------------------------------------------- the site


class SchoolAdminSite(admin.AdminSite):
    site_header = _("Otmetka — school management")
    site_title = _("Otmetka")
    index_title = _("School structure")
    enable_nav_sidebar = True

    def has_permission(self, request):
        user = request.user
        if not (user.is_active and user.is_authenticated):
            return False
        request.school = current_admin_school(request)
        return user.is_superuser or request.school is not None

    def login(self, request, extra_context=None):
        """One login for everybody, the site's (allauth, with the second factor for staff,
        R-ROLE-6); the admin's own form would bypass it and demands is_staff."""
        if request.user.is_authenticated:
            if not self.has_permission(request):
                raise PermissionDenied
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect_to_login(next_url, settings.LOGIN_URL)

    def each_context(self, request):
        context = super().each_context(request)
        context["admin_school"] = current_admin_school(request)
        context["admin_schools"] = getattr(request, "_admin_schools", [])
        return context

    def get_urls(self):
        return [
            path(
                "switch-school/",
                self.admin_view(require_POST(self.switch_school)),
                name="switch_school",
            ),
            *super().get_urls(),
        ]

    def switch_school(self, request):
        """Manage another school the user administers (POST only, CSRF-checked)."""
        try:
            wanted = int(request.POST.get("school", ""))
        except ValueError:
            raise Http404 from None
        school = next((s for s in admin_schools(request.user) if s.pk == wanted), None)
        if school is None:
            # not his school: do not even confirm that it exists
            raise Http404
        request.session[SESSION_KEY] = school.pk
        messages.info(request, _("You now manage «%(school)s».") % {"school": school.short_name})
        return HttpResponseRedirect(reverse("admin:index", current_app=self.name))


admin_site = SchoolAdminSite(name="admin")
