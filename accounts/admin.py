"""Schools, staff and parents in the admin, scoped to the managed school (R-TEN-1, R-ROLE-1,
R-ROLE-4). Students are registered in schedule/admin.py: their list is filtered by class,
and classes belong to schedule, which accounts must not import."""

from allauth.account.admin import EmailAddressAdmin
from allauth.account.models import EmailAddress
from allauth.mfa.admin import AuthenticatorAdmin
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .admin_site import (
    SchoolScopedAdmin,
    SchoolScopedInline,
    SuperuserOnlyAdmin,
    admin_schools,
    admin_site,
    current_admin_school,
    is_school_admin,
)
from .models import (
    CoordinatorAssignment,
    CredentialIssue,
    Membership,
    Municipality,
    Parent,
    ParentApplication,
    ParentLink,
    Role,
    School,
    SchoolSettings,
    TrustedPerson,
    User,
    WorkType,
)
from .services import school_defaults_ensure, staff_credentials_log

# ---------------------------------------------------------------- the school itself


class SchoolSettingsInline(SchoolScopedInline, admin.StackedInline):
    model = SchoolSettings
    can_delete = False
    max_num = 1
    # grouped as a deputy thinks of them: marks, attendance, periods, then the reminders
    # and reports the deadlines engine sends (each time is the school's local time)
    fieldsets = [
        (
            _("Marks"),
            {
                "fields": [
                    "instruction_languages",
                    "mark_scale",
                    "grade_one_without_marks",
                    "current_marks_deadline",
                    "marks_limit_days",
                    "edit_window_days",
                    ("threshold_five", "threshold_four", "threshold_three"),
                    ("min_marks_one_hour", "min_marks_two_hours", "min_marks_three_hours"),
                    "max_control_works_per_day",
                ]
            },
        ),
        (
            _("Attendance and homework"),
            {
                "fields": [
                    "first_lesson_attendance_deadline",
                    "absence_reason_deadline",
                    "weekly_reconciliation_deadline",
                    "attendance_limit_days",
                    "homework_entry_hours",
                ]
            },
        ),
        (
            _("Periods"),
            {
                "fields": [
                    "period_marks_days_after_end",
                    "attestation_days_before_end",
                    "forecast_days_before_end",
                ]
            },
        ),
        (
            _("Reminders to teachers and the deputy"),
            {
                "fields": [
                    ("first_lesson_reminders", "first_lesson_escalation_minutes"),
                    "absence_reason_reminders",
                    ("absence_digest", "absence_digest_time"),
                    ("lesson_content_reminders", "deputy_morning_time"),
                    "reconciliation_reminders",
                    "period_marks_reminders",
                ]
            },
        ),
        (
            _("Reports to parents"),
            {
                "fields": [
                    ("parent_reports", "parent_report_weekday", "parent_report_time"),
                    "print_batches",
                    ("failing_reports", "failing_report_weekday", "failing_report_time"),
                    ("failing_average_below", "failing_recent_marks"),
                    "forecast_notices",
                    "period_notices_time",
                ]
            },
        ),
    ]


@admin.register(School, site=admin_site)
class SchoolAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    """The school admin edits his school's card and settings (R-TEN-2, R-TEN-3); creating
    and removing schools is the system administrator's."""

    list_display = ("short_name", "name", "municipality", "time_zone")
    list_select_related = ("municipality",)
    search_fields = ("name", "short_name")

    def get_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ("name", "short_name", "slug", "municipality", "time_zone", "address")
        return ("name", "short_name", "address", "time_zone", "slug", "municipality")

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        # the slug is in every bookmarked URL; the municipality decides who coordinates it
        return ("slug", "municipality")

    def get_inlines(self, request, obj):
        # a new school gets its settings from school_defaults_ensure, not from a form
        return [SchoolSettingsInline] if obj is not None else []

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            school_defaults_ensure(school=obj)


@admin.register(WorkType, site=admin_site)
class WorkTypeAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "weight",
        "double_mark",
        "is_control",
        "check_days",
        "check_days_grades",
        "position",
    )
    list_display_links = ("name",)
    search_fields = ("name", "code")
    ordering = ("position", "name")


class ReadOnlyLog:
    """Rows written only by their service, which checks the rule and names the actor."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CredentialIssue, site=admin_site)
class CredentialIssueAdmin(ReadOnlyLog, SchoolScopedAdmin, admin.ModelAdmin):
    """Журнал выдачи учётных данных (R-ROLE-4): read only; rows come from the service."""

    list_display = ("issued_at", "person_name", "role", "kind", "request_note", "issued_by")
    list_filter = ("kind", "role")
    search_fields = ("person_name", "user__username", "request_note")
    list_select_related = ("issued_by",)
    date_hierarchy = "issued_at"


@admin.register(TrustedPerson, site=admin_site)
class TrustedPersonAdmin(ReadOnlyLog, SchoolScopedAdmin, admin.ModelAdmin):
    """R-ROLE-5: the persons parents let read a child's diary, with revocations; parents
    give and revoke them in the diary, the school reads them here."""

    list_display = (
        "granted_at",
        "full_name",
        "user",
        "student",
        "parent",
        "valid_until",
        "revoked_at",
        "revoked_by",
    )
    search_fields = ("full_name", "user__username", "user__email", "student__last_name")
    list_select_related = ("user", "student", "parent", "revoked_by")
    date_hierarchy = "granted_at"


# ---------------------------------------------------------------- staff and users


class ActiveFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", _("active")), ("ended", _("ended")), ("future", _("from a later date"))]

    def queryset(self, request, queryset):
        school = current_admin_school(request)
        today = school.today() if school else timezone.localdate()
        if self.value() == "active":
            return queryset.active_on(today)
        if self.value() == "ended":
            return queryset.filter(ends_on__lt=today)
        if self.value() == "future":
            return queryset.filter(starts_on__gt=today)
        return queryset


class MembershipForm(forms.ModelForm):
    """A role is given to an existing account found by its exact login, so the list of
    accounts of other schools is never shown (R-TEN-1); new people are added under Users."""

    username = forms.CharField(
        label=_("login"),
        max_length=150,
        help_text=_("The login of an existing account. A new person is added under Users."),
    )

    class Meta:
        model = Membership
        fields = ("role", "position", "starts_on", "ends_on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields.pop("username", None)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = User.objects.filter(username=username).first()
        if user is None:
            raise ValidationError(
                _("There is no account with this login. Add the person under Users."),
                code="unknown_user",
            )
        self.instance.user = user
        return username

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        if self.instance.user_id:
            # the account comes from `username`: check (school, user, role, start) too
            exclude.discard("user")
        return exclude


@admin.register(Membership, site=admin_site)
class MembershipAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    """Staff and other roles of the school with their dates (R-ROLE-1)."""

    form = MembershipForm
    list_display = ("user", "role", "position", "starts_on", "ends_on")
    list_filter = ("role", ActiveFilter)
    list_select_related = ("user",)
    search_fields = ("user__last_name", "user__first_name", "user__username", "position")

    def get_list_display(self, request):
        if request.user.is_superuser:
            return ("user", "school", "role", "position", "starts_on", "ends_on")
        return self.list_display

    def get_list_select_related(self, request):
        return ("user", "school") if request.user.is_superuser else ("user",)

    def get_fields(self, request, obj=None):
        fields = ["user" if obj is not None else "username", "role", "position"]
        fields = [*fields, "starts_on", "ends_on"]
        if request.user.is_superuser:
            fields.insert(1, "school")
        return fields

    def get_readonly_fields(self, request, obj=None):
        return ("user",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None):
        # deleting one's own admin role would lock the school out of its admin pages
        if obj is not None and obj.user_id == request.user.pk and obj.role == Role.ADMIN:
            return request.user.is_superuser
        return super().has_delete_permission(request, obj)


class MembershipInline(SchoolScopedInline, admin.TabularInline):
    model = Membership
    fields = ("role", "position", "starts_on", "ends_on")
    verbose_name_plural = _("roles in the school")

    def get_min_num(self, request, obj=None, **kwargs):
        # a user the school admin creates must belong to his school, or he would lose him
        return 1 if obj is None and is_school_admin(request) else 0

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("validate_min", obj is None and is_school_admin(request))
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        school = current_admin_school(request)
        if db_field.name == "starts_on" and school is not None and field is not None:
            field.initial = school.today()
        return field


class RoleInSchoolFilter(admin.SimpleListFilter):
    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        memberships = Membership.objects.filter(role=self.value())
        school = current_admin_school(request)
        if school is not None:
            memberships = memberships.filter(school=school)
        return queryset.filter(pk__in=memberships.values("user_id"))


def user_editable_by(request, user: User) -> bool:
    """The school admin edits accounts that are his school's alone. An account with a role
    in another school, a coordinator's or a system account could otherwise be taken over
    through its password (R-TEN-1, R-ROLE-4)."""
    if request.user.is_superuser:
        return True
    if user.is_superuser or user.is_staff:
        return False
    if CoordinatorAssignment.objects.filter(user=user).exists():
        return False
    own = [s.pk for s in admin_schools(request.user)]
    return not Membership.objects.filter(user=user).exclude(school__in=own).exists()


@admin.register(User, site=admin_site)
class SchoolUserAdmin(SchoolScopedAdmin, UserAdmin):
    """Accounts of the people with a role in the school. The school admin issues staff
    credentials (R-ROLE-4) but never grants system rights."""

    inlines = (MembershipInline,)
    list_display = ("username", "last_name", "first_name", "middle_name", "email", "roles")
    search_fields = ("username", "last_name", "first_name", "middle_name", "email")
    ordering = ("last_name", "first_name", "username")

    school_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "middle_name", "email")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    system_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "middle_name", "email")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (_("Personal info"), {"fields": ("last_name", "first_name", "middle_name", "email")}),
    )

    def scope_queryset(self, qs, school):
        return qs.filter(pk__in=Membership.objects.filter(school=school).values("user_id"))

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        memberships = Membership.objects.order_by("role")
        school = current_admin_school(request)
        if school is not None:
            memberships = memberships.filter(school=school)
        return qs.prefetch_related(Prefetch("memberships", queryset=memberships))

    @admin.display(description=_("roles"))
    def roles(self, obj):
        return ", ".join(sorted({str(m.get_role_display()) for m in obj.memberships.all()}))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        return self.system_fieldsets if request.user.is_superuser else self.school_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser or obj is None:
            return ()
        return ("last_login", "date_joined")

    def get_list_filter(self, request):
        if request.user.is_superuser:
            return ("is_staff", "is_superuser", "is_active", RoleInSchoolFilter)
        return ("is_active", RoleInSchoolFilter)

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or user_editable_by(request, obj)

    def has_delete_permission(self, request, obj=None):
        # a user may work in other schools too; his role here is ended, not the account
        return request.user.is_superuser

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        school = current_admin_school(request)
        if not change and school is not None:
            staff_credentials_log(actor=request.user, user=form.instance, school=school)


class ParentLinkOfParentInline(SchoolScopedInline, admin.TabularInline):
    model = ParentLink
    fk_name = "parent"
    fields = ("student", "relation")
    autocomplete_fields = ("student",)
    verbose_name_plural = _("children")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("student")


class ParentLinkOfStudentInline(SchoolScopedInline, admin.TabularInline):
    model = ParentLink
    fk_name = "student"
    fields = ("parent", "relation")
    autocomplete_fields = ("parent",)
    verbose_name_plural = _("parents and legal representatives")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")


class ApplicationInline(ReadOnlyLog, SchoolScopedInline, admin.TabularInline):
    model = ParentApplication
    fields = ("received_on", "number", "pd_consent", "decision", "reason", "recorded_by")
    readonly_fields = fields
    extra = 0


@admin.register(ParentApplication, site=admin_site)
class ParentApplicationAdmin(ReadOnlyLog, SchoolScopedAdmin, admin.ModelAdmin):
    """R-ROLE-7: recorded on the class's credentials page; read here."""

    list_display = ("received_on", "parent", "number", "pd_consent", "decision", "reason")
    list_filter = ("decision", "pd_consent")
    search_fields = ("parent__last_name", "parent__first_name", "number")
    list_select_related = ("parent",)
    date_hierarchy = "received_on"


@admin.register(Parent, site=admin_site)
class ParentAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = ("last_name", "first_name", "middle_name", "phone", "email", "user")
    list_select_related = ("user",)
    search_fields = ("last_name", "first_name", "middle_name", "phone", "email")
    fields = ("last_name", "first_name", "middle_name", "phone", "email", "user")
    autocomplete_fields = ("user",)
    inlines = (ParentLinkOfParentInline, ApplicationInline)


# ---------------------------------------------------------------- across schools


@admin.register(Municipality, site=admin_site)
class MunicipalityAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(CoordinatorAssignment, site=admin_site)
class CoordinatorAssignmentAdmin(SuperuserOnlyAdmin, admin.ModelAdmin):
    list_display = ("user", "municipality", "starts_on", "ends_on")
    list_select_related = ("user", "municipality")
    autocomplete_fields = ("user",)


@admin.register(Group, site=admin_site)
class SystemGroupAdmin(SuperuserOnlyAdmin, GroupAdmin):
    pass


# The system administrator restores lost second factors and e-mail addresses (R-ROLE-4).
@admin.register(EmailAddress, site=admin_site)
class SystemEmailAddressAdmin(SuperuserOnlyAdmin, EmailAddressAdmin):
    pass


@admin.register(Authenticator, site=admin_site)
class SystemAuthenticatorAdmin(SuperuserOnlyAdmin, AuthenticatorAdmin):
    pass
