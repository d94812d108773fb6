from django.urls import path

from . import views

urlpatterns = [
    path("", views.school_pick, name="school_pick"),
]
