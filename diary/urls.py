from django.urls import include, path

from . import views_diary, views_notices, views_trusted

app_urls = views_diary.urlpatterns + views_notices.urlpatterns + views_trusted.urlpatterns

urlpatterns = [path("s/<slug:school_slug>/diary/", include(app_urls))]
