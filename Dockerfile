# syntax=docker/dockerfile:1
# The production image: gunicorn serving Django, static files by whitenoise.
#   docker build --build-arg APP_VERSION="$(git rev-parse HEAD)" -t store .
# It holds no secret: SECRET_KEY, DATABASE_URL and ALLOWED_HOSTS come from the
# environment at run time (Secrets Manager on ECS, see deploy/README.md).

# --- builder: a virtualenv with the dependencies, the code, the static files --
FROM python:3.11.14-slim-trixie AS builder

# Bytecode is written here, at build time: the root file system is read-only
# at run time.
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv
WORKDIR /app

# Dependencies before the code, so a code change reuses this layer.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Production settings refuse to load without these; the values are placeholders
# that exist only for this command and are not written to any layer's
# environment. Static files need no database.
RUN DJANGO_ENV=prod \
    SECRET_KEY=collectstatic-placeholder-not-a-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://collectstatic@localhost:5432/none \
    FIELD_ENCRYPTION_KEYS=Y29sbGVjdHN0YXRpYy1wbGFjZWhvbGRlci1uby1rZXk= \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
 && python -m compileall -q .

# --- runtime: the same slim base, no build leftovers, not root -------------
FROM python:3.11.14-slim-trixie AS runtime

ARG APP_VERSION=unknown
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_ENV=prod \
    PORT=8000 \
    APP_VERSION=${APP_VERSION}

RUN groupadd --system --gid 10001 store \
 && useradd --system --uid 10001 --gid store --no-create-home \
    --home-dir /nonexistent --shell /usr/sbin/nologin store

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# Owned by root and not writable by the app: the code cannot be changed at run
# time, and the root file system can be mounted read-only.
COPY --from=builder /app /app

USER 10001:10001
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "deploy/healthcheck.py"]

CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "store_project.wsgi:application"]
