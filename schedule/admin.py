"""The school structure in the admin (R-STR-1..6), scoped to the managed school (R-TEN-1).
Every admin here is a SchoolScopedAdmin: rows, choices and filters of one school only."""

from django import forms
from django.contrib import admin
from django.db.models import CharField, Count, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin import ActiveFilter, ParentLinkOfStudentInline
from accounts.admin_site import (
    SchoolScopedAdmin,
    SchoolScopedInline,
    admin_site,
    current_admin_school,
    scoped_related_filter,
)
from accounts.models import Student

from .models import (
    AcademicYear,
    Bell,
    BellSchedule,
    Building,
    CurriculumHours,
    Enrolment,
    GradeLevel,
    Group,
    GroupMembership,
    Holiday,
    IndividualCurriculum,
    Order,
    ReportingPeriod,
    Room,
    SchoolClass,
    Subject,
    TeachingLoad,
)
from .services import whole_class_group_ensure
from .services.groups import OVERLAP_MESSAGE, curriculum_overlaps


def local_today(request):
    school = current_admin_school(request)
    return school.today() if school is not None else timezone.localdate()


def not_ended(today, prefix: str = "") -> Q:
    """Current or planned rows: before 1 September the new lists start in the future."""
    return Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": today})


# ---------------------------------------------------------------- year and calendar (R-STR-1)


class GradeLevelInline(SchoolScopedInline, admin.TabularInline):
    model = GradeLevel
    fields = ("grade", "period_kind", "study_days")


class ReportingPeriodInline(SchoolScopedInline, admin.TabularInline):
    model = ReportingPeriod
    fields = ("kind", "number", "starts_on", "ends_on")


def saved_parent_only(inline, obj) -> bool:
    """ReportingPeriod.clean() and Bell.clean() look up their siblings through the parent,
    which Django refuses for an unsaved parent; such rows are added once it is saved."""
    return obj is not None or inline not in (ReportingPeriodInline, BellInline)


class HolidayInline(SchoolScopedInline, admin.TabularInline):
    model = Holiday
    fields = ("name", "kind", "starts_on", "ends_on", "grades")


@admin.register(AcademicYear, site=admin_site)
class AcademicYearAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = ("name", "starts_on", "ends_on")
    fields = ("name", "starts_on", "ends_on")
    search_fields = ("name",)
    inlines = (GradeLevelInline, ReportingPeriodInline, HolidayInline)

    def get_inlines(self, request, obj):
        return [i for i in self.inlines if saved_parent_only(i, obj)]


# ---------------------------------------------------------------- rooms and bells (R-STR-2)


class RoomInline(SchoolScopedInline, admin.TabularInline):
    model = Room
    fields = ("number", "name", "capacity")


@admin.register(Building, site=admin_site)
class BuildingAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = ("name", "address")
    fields = ("name", "address")
    search_fields = ("name", "address")
    inlines = (RoomInline,)


class BellInline(SchoolScopedInline, admin.TabularInline):
    model = Bell
    fields = ("number", "starts_at", "ends_at")


@admin.register(BellSchedule, site=admin_site)
class BellScheduleAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = ("name", "shift")
    list_filter = ("shift",)
    fields = ("name", "shift")
    inlines = (BellInline,)

    def get_inlines(self, request, obj):
        return [i for i in self.inlines if saved_parent_only(i, obj)]


# ---------------------------------------------------------------- subjects (R-STR-3)


@admin.register(Subject, site=admin_site)
class SubjectAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = ("name", "short_name", "no_attestation")
    list_filter = ("no_attestation",)
    fields = ("name", "short_name", "no_attestation")
    search_fields = ("name", "short_name")


@admin.register(CurriculumHours, site=admin_site)
class CurriculumHoursAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = ("subject", "grade", "hours_per_week", "year")
    list_select_related = ("subject", "year")
    list_filter = (scoped_related_filter("year"), "grade", scoped_related_filter("subject"))
    fields = ("year", "grade", "subject", "hours_per_week")
    search_fields = ("subject__name",)


# ---------------------------------------------------------------- classes and groups (R-STR-4/5)


class SubgroupInline(SchoolScopedInline, admin.TabularInline):
    """The subgroups of a class; its whole-class group is made with the class itself."""

    model = Group
    fk_name = "school_class"
    fields = ("name", "subject")
    verbose_name = _("subgroup")
    verbose_name_plural = _("subgroups for subjects")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_whole_class=False).select_related("subject")


@admin.register(SchoolClass, site=admin_site)
class SchoolClassAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "grade",
        "letter",
        "class_teacher",
        "student_count",
        "bell_schedule",
        "year",
    )
    list_select_related = ("year", "class_teacher", "bell_schedule")
    list_filter = (scoped_related_filter("year"), "grade")
    fields = ("year", "grade", "letter", "class_teacher", "bell_schedule", "home_room")
    search_fields = ("letter",)
    ordering = ("-year__starts_on", "grade", "letter")
    inlines = (SubgroupInline,)

    def get_queryset(self, request):
        enrolled = not_ended(local_today(request), prefix="enrolments__")
        return (
            super()
            .get_queryset(request)
            .annotate(student_count=Count("enrolments", filter=enrolled))
        )

    @admin.display(description=_("students"), ordering="student_count")
    def student_count(self, obj):
        return obj.student_count

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            # every course is group × subject, so a class is born with its whole-class group
            whole_class_group_ensure(school_class=obj)


class GroupMembershipInline(SchoolScopedInline, admin.TabularInline):
    model = GroupMembership
    fk_name = "group"
    fields = ("student", "starts_on", "ends_on", "order")
    autocomplete_fields = ("student",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("student", "order")


@admin.register(Group, site=admin_site)
class GroupAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    """Subgroups for a subject (R-STR-5). The whole-class group only mirrors the class's
    enrolments and is shown read-only."""

    list_display = ("__str__", "school_class", "subject", "is_whole_class")
    list_select_related = ("school_class", "subject")
    list_filter = (
        scoped_related_filter("school_class"),
        scoped_related_filter("subject"),
        "is_whole_class",
    )
    fields = ("school_class", "name", "subject")
    search_fields = ("name", "school_class__letter", "subject__name")

    def get_inlines(self, request, obj):
        return [] if obj is not None and obj.is_whole_class else [GroupMembershipInline]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_whole_class:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_whole_class:
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "subject" in form.base_fields:
            # a new group here is always a subgroup, which is formed for a subject
            form.base_fields["subject"].required = True
        return form


@admin.register(TeachingLoad, site=admin_site)
class TeachingLoadAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    """Распределение нагрузки: teacher × group × subject × hours (R-STR-6)."""

    list_display = ("teacher", "group", "subject", "hours_per_week")
    list_select_related = ("teacher", "group__school_class", "subject")
    list_filter = (scoped_related_filter("teacher"), scoped_related_filter("subject"))
    fields = ("teacher", "group", "subject", "hours_per_week")
    search_fields = ("teacher__last_name", "subject__name", "group__school_class__letter")


# ---------------------------------------------------------------- orders and contingent (R-STR-4)


class EnrolmentInline(SchoolScopedInline, admin.TabularInline):
    model = Enrolment
    fk_name = "order"
    fields = ("student", "school_class", "starts_on", "ends_on", "end_order")
    autocomplete_fields = ("student",)
    verbose_name_plural = _("enrolments by this order")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("student", "school_class")


@admin.register(Order, site=admin_site)
class OrderAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = ("number", "date", "kind", "title")
    list_filter = ("kind",)
    fields = ("number", "date", "kind", "title")
    search_fields = ("number", "title")
    inlines = (EnrolmentInline,)


@admin.register(Enrolment, site=admin_site)
class EnrolmentAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = ("student", "school_class", "starts_on", "ends_on", "order", "end_order")
    list_select_related = ("student", "school_class", "order", "end_order")
    list_filter = (scoped_related_filter("school_class"), ActiveFilter)
    fields = ("student", "school_class", "order", "starts_on", "ends_on", "end_order")
    autocomplete_fields = ("student",)
    search_fields = ("student__last_name", "student__first_name")


@admin.register(GroupMembership, site=admin_site)
class GroupMembershipAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = ("student", "group", "starts_on", "ends_on", "order")
    list_select_related = ("student", "group__school_class", "order")
    list_filter = (scoped_related_filter("group"), ActiveFilter)
    fields = ("group", "student", "order", "starts_on", "ends_on")
    autocomplete_fields = ("student",)
    search_fields = ("student__last_name", "student__first_name")


# ---------------------------------------------------------------- individual curricula (R-STR-7)


class IndividualCurriculumForm(forms.ModelForm):
    """Refuses a second curriculum of the student for the same course over the same dates
    (the database only forbids the same first day)."""

    def clean(self):
        cleaned = super().clean()
        fields = ("student", "group", "subject", "starts_on")
        if all(cleaned.get(name) for name in fields):
            probe = IndividualCurriculum(
                pk=self.instance.pk,
                student=cleaned["student"],
                group=cleaned["group"],
                subject=cleaned["subject"],
                starts_on=cleaned["starts_on"],
                ends_on=cleaned.get("ends_on"),
            )
            if curriculum_overlaps(probe):
                raise forms.ValidationError(OVERLAP_MESSAGE)
        return cleaned


@admin.register(IndividualCurriculum, site=admin_site)
class IndividualCurriculumAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    """A student exempted from a course or attached to one for a range of dates (R-STR-7);
    the class groups page lists and adds them too."""

    form = IndividualCurriculumForm
    list_display = ("student", "kind", "group", "subject", "starts_on", "ends_on", "basis")
    list_select_related = ("student", "group__school_class", "subject")
    list_filter = ("kind", ActiveFilter, scoped_related_filter("subject"))
    fields = ("student", "kind", "group", "subject", "starts_on", "ends_on", "basis")
    autocomplete_fields = ("student",)
    search_fields = ("student__last_name", "student__first_name", "basis")


# ---------------------------------------------------------------- students


class StudentClassFilter(admin.SimpleListFilter):
    """Students by the class they are (or are about to be) enrolled in."""

    title = _("class")
    parameter_name = "school_class"

    def lookups(self, request, model_admin):
        classes = SchoolClass.objects.select_related("year").order_by(
            "-year__starts_on", "grade", "letter"
        )
        school = current_admin_school(request)
        if school is not None:
            classes = classes.filter(school=school)
        return [(c.pk, f"{c} ({c.year})") for c in classes]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            school_class = int(self.value())
        except ValueError:
            return queryset.none()
        enrolled = Enrolment.objects.filter(school_class=school_class).filter(
            not_ended(local_today(request))
        )
        return queryset.filter(pk__in=enrolled.values("student_id"))


@admin.register(Student, site=admin_site)
class StudentAdmin(SchoolScopedAdmin, admin.ModelAdmin):
    list_display = (
        "last_name",
        "first_name",
        "middle_name",
        "current_class",
        "birth_date",
        "personal_file",
        "user",
    )
    list_display_links = ("last_name", "first_name")
    list_select_related = ("user",)
    list_filter = (StudentClassFilter, "gender")
    search_fields = ("last_name", "first_name", "middle_name", "personal_file")
    fields = (
        "last_name",
        "first_name",
        "middle_name",
        "birth_date",
        "gender",
        "personal_file",
        "user",
    )
    autocomplete_fields = ("user",)
    inlines = (ParentLinkOfStudentInline,)

    def get_queryset(self, request):
        label = Concat(
            Cast("school_class__grade", CharField()),
            "school_class__letter",
            output_field=CharField(),
        )
        current = (
            Enrolment.objects.filter(student=OuterRef("pk"))
            .filter(not_ended(local_today(request)))
            .order_by("starts_on")
            .annotate(label=label)
            .values("label")[:1]
        )
        return super().get_queryset(request).annotate(current_class=Subquery(current))

    @admin.display(description=_("class"), ordering="current_class")
    def current_class(self, obj):
        return obj.current_class or "—"
