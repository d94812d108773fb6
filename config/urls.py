from django.urls import include, path

from accounts.admin_site import admin_site

urlpatterns = [
    path("accounts/", include("allauth.urls")),
    path("admin/", admin_site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("accounts.urls")),
    path("", include("schedule.urls")),
    path("", include("journal.urls")),
    path("", include("diary.urls")),
    path("", include("notifications.urls")),
    path("", include("reports.urls")),
]
