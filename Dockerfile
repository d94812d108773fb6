# syntax=docker/dockerfile:1
# Otmetka's production image. docker-compose.yml runs three services from it:
# web (gunicorn, bin/docker-web), worker (celery worker) and beat (celery beat).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.prod \
    PYTHONPATH=/app

# Pango: WeasyPrint's layout engine (PDF reports); DejaVu: fonts with Cyrillic for the PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when they change.
COPY pyproject.toml ./
RUN python -c "import tomllib; \
print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project runs from /app (PYTHONPATH), not from site-packages: templates, static files and
# translations live beside the code, where the settings look for them (BASE_DIR).
COPY . .
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin otmetka \
    && mkdir -p var/media staticfiles \
    && chown -R otmetka:otmetka var staticfiles

USER otmetka
EXPOSE 8000
CMD ["bin/docker-web"]
