"""The services production runs on, checked over real connections.

CI (.ci/run) sets DATABASE_URL to PostgreSQL and REDIS_URL to Redis and fails when any of these
tests is skipped; on a laptop without them they skip with the reason."""

import os
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, connection, transaction

from accounts.models import Student

from . import factories as f

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
ON_REDIS = bool(os.environ.get("REDIS_URL"))

needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="DATABASE_URL is not a postgres:// URL (CI sets one)"
)
needs_redis = pytest.mark.skipif(not ON_REDIS, reason="REDIS_URL is not set (CI sets one)")


def project_tables() -> set[str]:
    """Tables of the project's own apps (not Django's or allauth's)."""
    base = Path(settings.BASE_DIR).resolve()
    return {
        model._meta.db_table
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == base
        for model in config.get_models(include_auto_created=True)
    }


@pytest.mark.needs_postgres
@needs_postgres
class TestPostgres:
    def test_it_runs_on_postgresql(self, db):
        assert connection.vendor == "postgresql"
        assert connection.pg_version >= 150000  # the version docker-compose.yml deploys

    def test_it_enforces_a_conditional_unique_constraint_in_the_database(self, db):
        """R-TEN-1: one student record per account in a school, enforced by PostgreSQL's
        partial unique index (not only by a form): records without an account don't clash,
        two records of one account do, and the same account may be a student elsewhere."""
        lyceum = f.school_make("lyceum-pg")
        gymnasium = f.school_make("gymnasium-pg")
        user = f.UserFactory(username="pg-student")
        Student.objects.create(school=lyceum, last_name="Без", first_name="Аккаунта")
        Student.objects.create(school=lyceum, last_name="Без", first_name="Аккаунта")
        Student.objects.create(school=lyceum, last_name="Петров", first_name="Пётр", user=user)
        Student.objects.create(school=gymnasium, last_name="Петров", first_name="Пётр", user=user)

        with pytest.raises(IntegrityError), transaction.atomic():
            Student.objects.create(school=lyceum, last_name="Петров", first_name="Пётр", user=user)

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                ["student_one_record_per_account"],
            )
            (indexdef,) = cursor.fetchone()
        assert indexdef.startswith("CREATE UNIQUE INDEX")
        assert "WHERE (user_id IS NOT NULL)" in indexdef

    def test_it_starts_every_unique_index_of_a_school_table_with_school(self, db):
        """R-TEN-1 (Citus-ready): in every table of ours that has school_id, each unique
        index (but the primary key) starts with school_id, so rows of one school can live
        on one shard."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT t.relname, i.relname, a.attname
                FROM pg_index x
                JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_class i ON i.oid = x.indexrelid
                LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
                WHERE x.indisunique AND NOT x.indisprimary
                  AND t.relnamespace = current_schema()::regnamespace
                  AND EXISTS (
                      SELECT 1 FROM pg_attribute s
                      WHERE s.attrelid = t.oid AND s.attname = 'school_id'
                        AND NOT s.attisdropped
                  )
                """
            )
            rows = cursor.fetchall()
        ours = project_tables()
        checked = [row for row in rows if row[0] in ours]
        assert checked, "no unique index on a school table found: is the query still right?"
        wrong = [f"{t}.{i} starts with {first}" for t, i, first in checked if first != "school_id"]
        assert wrong == []


@pytest.mark.needs_redis
@needs_redis
class TestRedisCache:
    def test_it_uses_redis_as_the_cache(self):
        assert settings.CACHES["default"]["LOCATION"] == os.environ["REDIS_URL"]
        assert isinstance(caches["default"], RedisCache)

    def test_it_round_trips_a_value_through_the_redis_server(self):
        """The value is really on the server, readable by another client (web, worker and
        beat processes share one cache)."""
        import redis

        key = f"infra-test-{uuid.uuid4().hex}"
        value = {"school": "Лицей №1", "marks": [5, 4, 5]}
        try:
            cache.set(key, value, timeout=60)
            assert cache.get(key) == value

            server = redis.Redis.from_url(settings.REDIS_URL)
            raw_key = cache.make_and_validate_key(key)
            assert server.exists(raw_key) == 1
            assert 0 < server.ttl(raw_key) <= 60
        finally:
            cache.delete(key)
        assert cache.get(key) is None

    def test_it_adds_a_key_only_once(self):
        """`cache.add` is Redis's SET NX: the primitive a job uses to run once across
        workers (R-NFR-1: duplicated deliveries must not double the work)."""
        key = f"infra-test-{uuid.uuid4().hex}"
        try:
            assert cache.add(key, "first", timeout=60) is True
            assert cache.add(key, "second", timeout=60) is False
            assert cache.get(key) == "first"
        finally:
            cache.delete(key)
