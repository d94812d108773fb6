from django.urls import path

from . import views, views_control, views_groups, views_import, views_timetable

urlpatterns = [
    path("s/<slug:school_slug>/", views.school_home, name="school_home"),
    path("s/<slug:school_slug>/classes/<int:pk>/", views.class_detail, name="class_detail"),
    path(
        "s/<slug:school_slug>/classes/<int:pk>/credentials/",
        views.class_credentials,
        name="class_credentials",
    ),
    path(
        "s/<slug:school_slug>/classes/<int:pk>/credentials/application/",
        views.class_parent_application,
        name="class_parent_application",
    ),
    path("coordinator/", views.coordinator_home, name="coordinator_home"),
]
urlpatterns += views_timetable.urlpatterns
urlpatterns += views_groups.urlpatterns
urlpatterns += views_control.urlpatterns
urlpatterns += views_import.urlpatterns
