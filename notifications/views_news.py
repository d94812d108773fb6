"""Class news (R-NOT-4).

- news_index: the feeds the user reads, merged, newest first, paginated, with the list of
  those classes (a parent sees his children's classes, a staff member picks a class);
- news_class: one class's feed, with the publishing form for its class teacher and the
  administration (POST publishes);
- news_edit, news_delete: change or remove an item (the same writers).

Readers and writers: see news_selectors. A class or item of another school, or none, is
404; a class the user has no relation to, or a write by a reader, is 403."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import school_view
from journal.rules import Refusal
from schedule.models import SchoolClass

from . import news_selectors as selectors
from .models import NewsPost
from .services.news import TITLE_MAX, news_post_delete, news_post_edit, news_post_publish


class NewsForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX, label=gettext_lazy("Title"))
    body = forms.CharField(
        label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 6, "cols": 40})
    )


def _class_of_school(request, class_id) -> SchoolClass:
    school_class = get_object_or_404(
        SchoolClass.objects.select_related("class_teacher"), school=request.school, pk=class_id
    )
    school_class.school = request.school
    return school_class


def _post_for_writer(request, pk) -> NewsPost:
    """An item of the request's school (404 otherwise) whose class's feed the user keeps
    (403 otherwise)."""
    post = get_object_or_404(
        NewsPost.objects.select_related("school_class"), school=request.school, pk=pk
    )
    post.school_class.school = request.school
    if not selectors.may_write_class_news(request.access, request.user, post.school_class):
        raise PermissionDenied
    return post


def _page(request, posts):
    return Paginator(posts, selectors.NEWS_PAGE_SIZE).get_page(request.GET.get("page"))


def _publish_or_change(request, form, save) -> str | None:
    """Run the service if the form is valid; the refusal's message goes on the form."""
    if not form.is_valid():
        return None
    try:
        save(form.cleaned_data)
    except Refusal as refusal:
        if refusal.code == "forbidden":
            raise PermissionDenied from refusal
        form.add_error(None, refusal.message)
        return None
    return "ok"


@require_GET
@school_view()
def news_index(request):
    today = request.school.today()
    classes = selectors.news_classes(request.access, request.user, today)
    posts = selectors.news_posts(request.school, [c.school_class.pk for c in classes])
    return render(
        request,
        "notifications/news_index.html",
        {
            "classes": classes,
            "page": _page(request, posts),
            "show_class": True,
            "writable": {c.school_class.pk for c in classes if c.can_write},
        },
    )


@require_http_methods(["GET", "POST"])
@school_view()
def news_class(request, class_id):
    school_class = _class_of_school(request, class_id)
    access, user = request.access, request.user
    can_write = selectors.may_write_class_news(access, user, school_class)
    if not can_write and not selectors.may_read_class_news(
        access, user, school_class, request.school.today()
    ):
        raise PermissionDenied
    status = 200
    form = NewsForm() if can_write else None
    if request.method == "POST":
        if not can_write:
            raise PermissionDenied
        form = NewsForm(request.POST)
        done = _publish_or_change(
            request,
            form,
            lambda data: news_post_publish(
                actor=user, school_class=school_class, title=data["title"], body=data["body"]
            ),
        )
        if done:
            messages.success(request, _("The news is published."))
            return redirect("news_class", request.school.slug, school_class.pk)
        status = 400
    posts = selectors.news_posts(request.school, [school_class.pk])
    return render(
        request,
        "notifications/news_class.html",
        {
            "school_class": school_class,
            "form": form,
            "can_write": can_write,
            "page": _page(request, posts),
            "show_class": False,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@school_view()
def news_edit(request, pk):
    post = _post_for_writer(request, pk)
    status = 200
    if request.method == "POST":
        form = NewsForm(request.POST)
        done = _publish_or_change(
            request,
            form,
            lambda data: news_post_edit(
                actor=request.user, post=post, title=data["title"], body=data["body"]
            ),
        )
        if done:
            messages.success(request, _("The news is changed."))
            return redirect("news_class", request.school.slug, post.school_class_id)
        status = 400
    else:
        form = NewsForm(initial={"title": post.title, "body": post.body})
    return render(
        request, "notifications/news_edit.html", {"post": post, "form": form}, status=status
    )


@require_POST
@school_view()
def news_delete(request, pk):
    post = _post_for_writer(request, pk)
    class_id = post.school_class_id
    try:
        news_post_delete(actor=request.user, post=post)
    except Refusal as refusal:
        raise PermissionDenied from refusal
    messages.success(request, _("The news is removed."))
    return redirect(reverse("news_class", args=[request.school.slug, class_id]))


urlpatterns = [
    path("news/", news_index, name="news_index"),
    path("news/class/<int:class_id>/", news_class, name="news_class"),
    path("news/<int:pk>/edit/", news_edit, name="news_edit"),
    path("news/<int:pk>/delete/", news_delete, name="news_delete"),
]
