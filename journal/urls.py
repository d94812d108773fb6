from django.urls import include, path

from . import views_attendance, views_grid, views_history, views_lesson, views_marks, views_plan

app_urls = [
    *views_grid.urlpatterns,
    *views_lesson.urlpatterns,
    *views_plan.urlpatterns,
    *views_attendance.urlpatterns,
    *views_marks.urlpatterns,
    *views_history.urlpatterns,
]

urlpatterns = [path("s/<slug:school_slug>/journal/", include(app_urls))]
