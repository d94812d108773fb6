from django.urls import include, path

app_urls: list = []

urlpatterns = [path("s/<slug:school_slug>/", include(app_urls))]
