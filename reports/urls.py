from django.urls import include, path

from . import views

app_urls: list = [*views.urlpatterns]

urlpatterns = [path("s/<slug:school_slug>/", include(app_urls))]
