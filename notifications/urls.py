from django.urls import include, path

from . import views_deadlines, views_events, views_messages, views_news, views_notices

app_urls = (
    views_messages.urlpatterns
    + views_news.urlpatterns
    + views_events.urlpatterns
    + views_notices.urlpatterns
    + views_deadlines.urlpatterns
)

urlpatterns = [path("s/<slug:school_slug>/", include(app_urls))]
