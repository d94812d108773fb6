"""Messages (R-NOT-4): the user's conversations, a new one with someone he has a real
relation with, a conversation with its reply form, the attachments (served to the thread's
members only), and a staff member's message to all the parents of a class.

Anyone of the school but a trusted person uses them. A thread the user is not in is a 404,
whatever its id, and so is its attachment. Forms work without JavaScript; files come as a
multipart POST."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import school_view
from accounts.models import STAFF_ROLES
from config.files import private_file_response
from journal.rules import Refusal
from schedule.models import SchoolClass

from . import message_selectors as ms
from .models import MessageAttachment
from .relations import MESSAGE_ROLES, contacts
from .services.messages import (
    ATTACHMENT_MAX_BYTES,
    ATTACHMENTS_MAX,
    BODY_MAX,
    SUBJECT_MAX,
    can_message_class,
    class_families,
    class_parents_message,
    message_send,
    thread_read,
    thread_start,
)

THREADS_PER_PAGE = 20


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ThreadForm(ReplyForm):
    subject = forms.CharField(label=gettext_lazy("Conversation subject"), max_length=SUBJECT_MAX)
    field_order = ["subject", "body"]


class NewThreadForm(ThreadForm):
    recipient = forms.ChoiceField(label=gettext_lazy("Write to"))
    field_order = ["recipient", "subject", "body"]

    def __init__(self, *args, groups=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.contacts = {c.key: c for g in groups for c in g.contacts}
        self.fields["recipient"].choices = [("", "—")] + [
            (g.title, [(c.key, c.label) for c in g.contacts]) for g in groups
        ]
        self.fields["recipient"].error_messages["invalid_choice"] = _(
            "You cannot write to this person."
        )


def _files(request) -> list:
    return request.FILES.getlist("files")


def _limits() -> dict:
    return {"max_files": ATTACHMENTS_MAX, "max_file_mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)}


def _status(refusal: Refusal) -> int:
    return 403 if refusal.code == "forbidden" else 400


# ------------------------------------------------------------------ the list


@require_GET
@school_view(*MESSAGE_ROLES)
def messages_index(request):
    """The user's conversations, newest first, with the other party, the subject, the time
    of the last message and the unread count; twenty a page."""
    school = request.school
    paginator = Paginator(ms.user_threads(request.user, school), THREADS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [(member, ms.others(member)) for member in page.object_list]
    classes = []
    if request.access.has_any(STAFF_ROLES):
        classes = list(
            ms.classes_to_message(request.user, request.access.roles, school, school.today())
        )
    return render(
        request,
        "notifications/messages.html",
        {"page": page, "rows": rows, "classes": classes},
    )


# ------------------------------------------------------------------ a new conversation


def _preselected(request, form: NewThreadForm) -> str | None:
    """?to=<user id>&student=<id>: the picker's entry for that person (about that child
    when there is one)."""
    to, student = request.GET.get("to", ""), request.GET.get("student", "")
    if not to.isdigit():
        return None
    key = f"{to}:{student if student.isdigit() else ''}"
    if key in form.contacts:
        return key
    return next((k for k in form.contacts if k.split(":")[0] == to), None)


@require_http_methods(["GET", "POST"])
@school_view(*MESSAGE_ROLES)
def messages_new(request):
    """Pick someone from the user's contacts (notifications.relations) and write."""
    school = request.school
    groups = contacts(request.user, school, school.today())
    if request.method == "GET":
        form = NewThreadForm(groups=groups)
        key = _preselected(request, form)
        if key:
            form.initial["recipient"] = key
        elif request.GET.get("to"):
            messages.error(request, _("You cannot write to this person."))
        return _new_page(request, form, groups)
    form = NewThreadForm(request.POST, groups=groups)
    if not form.is_valid():
        return _new_page(request, form, groups, status=400)
    contact = form.contacts[form.cleaned_data["recipient"]]
    try:
        thread = thread_start(
            actor=request.user,
            school=school,
            recipients=[contact.user],
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            student=contact.student,
            files=_files(request),
        )
    except Refusal as refusal:
        return _new_page(request, form, groups, error=refusal.message, status=_status(refusal))
    messages.success(request, _("The message is sent."))
    return redirect("messages_thread", school.slug, thread.pk)


def _new_page(request, form, groups, *, error=None, status=200):
    return render(
        request,
        "notifications/messages_new.html",
        {"form": form, "groups": groups, "error": error, **_limits()},
        status=status,
    )


# ------------------------------------------------------------------ a conversation


@require_http_methods(["GET", "POST"])
@school_view(*MESSAGE_ROLES)
def messages_thread(request, thread_id: int):
    """GET: the messages, oldest first, with the reply form; opening the thread reads it.
    POST: a reply."""
    member = ms.thread_for_member(request.user, request.school, thread_id)
    thread = member.thread
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                message_send(
                    actor=request.user,
                    thread=thread,
                    body=form.cleaned_data["body"],
                    files=_files(request),
                )
            except Refusal as refusal:
                return _thread_page(
                    request, member, form, error=refusal.message, status=_status(refusal)
                )
            messages.success(request, _("The message is sent."))
            return redirect("messages_thread", request.school.slug, thread.pk)
        return _thread_page(request, member, form, status=400)
    thread_read(user=request.user, thread=thread)
    member.unread = 0
    return _thread_page(request, member, ReplyForm())


def _thread_page(request, member, form, *, error=None, status=200):
    return render(
        request,
        "notifications/messages_thread.html",
        {
            "page": ms.thread_page(member),
            # messages after it are marked new (the member object still holds the time
            # he had read the thread until before this visit)
            "read_before": member.last_read_at,
            "form": form,
            "error": error,
            **_limits(),
        },
        status=status,
    )


@require_GET
@school_view(*MESSAGE_ROLES)
def messages_attachment(request, pk: int):
    """A message's file, for the members of its thread only (404 to anybody else); never a
    public media URL."""
    attached = get_object_or_404(
        MessageAttachment,
        school=request.school,
        pk=pk,
        message__thread__members__user=request.user,
    )
    return private_file_response(attached.file, attached.name)


# ------------------------------------------------------------------ a whole class's parents


@require_http_methods(["GET", "POST"])
@school_view(*STAFF_ROLES)
def messages_class(request, class_id: int):
    """The class teacher, a teacher of the class or the administration writes to all the
    parents of the class: each family gets its own thread, no parent sees another."""
    school = request.school
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("class_teacher"), school=school, pk=class_id
    )
    school_class.school = school
    if not can_message_class(request.user, request.access.roles, school_class):
        raise PermissionDenied
    if request.method == "POST":
        form = ThreadForm(request.POST)
        if form.is_valid():
            try:
                threads = class_parents_message(
                    actor=request.user,
                    school_class=school_class,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    files=_files(request),
                    roles=request.access.roles,
                )
            except Refusal as refusal:
                return _class_page(
                    request, school_class, form, error=refusal.message, status=_status(refusal)
                )
            messages.success(
                request,
                ngettext(
                    "The message is sent to %(count)s family.",
                    "The message is sent to %(count)s families.",
                    len(threads),
                )
                % {"count": len(threads)},
            )
            return redirect("messages_index", school.slug)
        return _class_page(request, school_class, form, status=400)
    return _class_page(request, school_class, ThreadForm())


def _class_page(request, school_class, form, *, error=None, status=200):
    families, unreachable = class_families(school_class, request.school.today())
    return render(
        request,
        "notifications/messages_class.html",
        {
            "school_class": school_class,
            "families": families,
            "unreachable": unreachable,
            "form": form,
            "error": error,
            **_limits(),
        },
        status=status,
    )


urlpatterns = [
    path("messages/", messages_index, name="messages_index"),
    path("messages/new/", messages_new, name="messages_new"),
    path("messages/<int:thread_id>/", messages_thread, name="messages_thread"),
    path("messages/attachment/<int:pk>/", messages_attachment, name="messages_attachment"),
    path("messages/class/<int:class_id>/", messages_class, name="messages_class"),
]
