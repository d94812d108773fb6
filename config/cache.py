"""The cache when REDIS_URL is set: Django's Redis cache that degrades to a miss while Redis is
unreachable, instead of failing the request (R-NFR-1: the web keeps working and marks are
saved when Redis is down).

What the app keeps in the cache can all be lost: sessions are `cached_db` (the database has
them), login rate limits start afresh. So a read while Redis is down is a miss, a write is
dropped, `add` succeeds (allauth's rate-limit lock: sign-in stays possible; the limits are
off during the outage), and the request goes on.

- Short socket timeouts (settings OPTIONS): a Redis that hangs costs a request at most
  about a second, not the kernel's TCP timeout.
- After a failure the process stops asking Redis for RETRY_AFTER seconds (every cache call
  of that time is an immediate miss), so a page with ten cache calls does not pay ten
  timeouts; one warning is logged per outage, not one per call.

Why a subclass and not django-redis's DJANGO_REDIS_IGNORE_EXCEPTIONS: the project uses
Django's own Redis backend; a dozen lines here keep it, with no new dependency, and add the
pause after a failure that django-redis does not have."""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
RETRY_AFTER = 5.0  # seconds
DEFAULT_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}

# {location: monotonic time until which Redis is not asked}, shared by the threads
_down_until: dict[str, float] = {}
_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    """RedisCache whose calls turn into misses (and dropped writes) while Redis is down."""

    retry_after = RETRY_AFTER

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**DEFAULT_OPTIONS, **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)

    # --- the breaker

    def available(self) -> bool:
        return time.monotonic() >= _down_until.get(self._location, 0.0)

    def _down(self, error: Exception) -> None:
        with _lock:
            first = self.available()
            _down_until[self._location] = time.monotonic() + self.retry_after
        if first:
            log.warning(
                "cache: Redis unreachable (%s: %s); cache calls are misses for %.0f s",
                type(error).__name__,
                error,
                self.retry_after,
            )

    def _call(self, method, fallback, *args, **kwargs):
        if not self.available():
            return fallback() if callable(fallback) else fallback
        try:
            return method(*args, **kwargs)
        except UNREACHABLE as error:
            self._down(error)
            return fallback() if callable(fallback) else fallback

    # --- Django's cache API

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        # "added" (and lost at once): allauth takes its login rate-limit lock with add(), and
        # a lock refused for the whole outage would refuse every sign-in (429). Nothing of
        # ours uses add() to run something once; rate limits are off while Redis is down.
        return self._call(super().add, True, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(super().get, default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set, None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(super().delete, False, key, version)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, dict, keys, version)

    def has_key(self, key, version=None):
        return self._call(super().has_key, False, key, version)

    def incr(self, key, delta=1, version=None):
        def missing():
            raise ValueError(f"Key '{key}' not found (the cache is unreachable)")

        return self._call(super().incr, missing, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set_many, lambda: list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call(super().delete_many, None, keys, version)

    def clear(self):
        return self._call(super().clear, False)
