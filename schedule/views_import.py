"""Placeholder: filled in by the timetable issue."""

urlpatterns = []
