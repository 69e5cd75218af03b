# The one image behind migrate, web, worker, reports and beat in docker-compose.yml.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/data/media

# WeasyPrint (PDF reports) needs Pango and a font; the slim image has neither.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0 fonts-dejavu-core fonts-liberation \
 && rm -rf /var/lib/apt/lists/*

# The app runs as an unprivileged user; only the media and beat folders are writable to it
# (named volumes take the ownership of these folders when they are first created).
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home conductor \
 && mkdir -p /data/media /data/beat \
 && chown conductor:conductor /data/media /data/beat

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. The runtime lock only: no
# test tools and no development servers (the embedded PostgreSQL and Redis wheels are the
# `embedded` extra, in requirements-dev.lock only).
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .

# Static files are part of the image. Settings insist on these variables being present, but
# collectstatic connects to neither database nor Redis, so build-time stand-ins suffice.
RUN DEBUG=false \
    SECRET_KEY=build-time-only-collectstatic-never-serves-with-this-key-000000 \
    ALLOWED_HOSTS=build.invalid \
    DATABASE_URL=postgres://build@build.invalid/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    python manage.py collectstatic --noinput --verbosity 0

USER conductor
EXPOSE 8000

# Threaded workers, as `make run` runs them (Procfile): a request waiting on PostgreSQL or
# Redis holds a thread, not a whole process. WEB_CONCURRENCY processes × GUNICORN_THREADS
# threads, both overridable at run time; gunicorn also reads FORWARDED_ALLOW_IPS (the proxy
# allowed to say X-Forwarded-Proto) and GUNICORN_CMD_ARGS itself. `exec`: gunicorn, not the
# shell, is PID 1 and receives `docker stop`'s SIGTERM.
ENV WEB_CONCURRENCY=2 \
    GUNICORN_THREADS=4
CMD ["sh", "-c", "exec gunicorn ppm.wsgi --bind 0.0.0.0:8000 --workers \"$WEB_CONCURRENCY\" --threads \"$GUNICORN_THREADS\" --graceful-timeout 20 --no-control-socket --access-logfile -"]
