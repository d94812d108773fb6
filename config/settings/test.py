from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Sessions live in the cache (Redis in CI, locmem otherwise): page query counts are the same
# with and without REDIS_URL. Production writes them through to the database too (cached_db,
# base.py); tests/test_redis_down.py uses that engine.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
