# The production image: locked runtime dependencies in a virtualenv, the
# service installed into it as a wheel, a non-root user. Not built on the
# development machines (they have no Docker engine); tests/integration/deploy/test_container_files.py
# checks its wiring.
#
#   docker build -t users-posts-service .
#   docker run -e JWT_SECRET=... -e DATABASE_URL=postgresql://... -p 8000:8000 users-posts-service
#
# Both stages start from the same base, so the virtualenv's interpreter links
# (/opt/venv/bin/python -> /usr/local/bin/python3.11) hold in the final one.
# requirements.lock is resolved for Python 3.11.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Every wheel is checked against the lock's hashes, and --only-binary means no
# sdist runs code at build time, so the stage needs no compiler. The runtime
# lock has no dev tools (no pytest, ruff, mypy) and no embedded PostgreSQL.
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --only-binary=:all: -r /tmp/requirements.lock

# The service itself: a wheel of the four layers and their data (alembic.ini and
# the migrations), built by the hatchling that pyproject.toml pins, installed
# without dependencies since the lock brought them all; pip check says if it did not.
COPY pyproject.toml README.md /src/
COPY domain/ /src/domain/
COPY application/ /src/application/
COPY infrastructure/ /src/infrastructure/
COPY interfaces/ /src/interfaces/
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /tmp/wheels /src \
    && /opt/venv/bin/pip install --no-deps /tmp/wheels/*.whl \
    && /opt/venv/bin/pip check


FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH

# A fixed uid/gid, so volume ownership and Kubernetes' runAsUser can name it.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app

# The code is in the virtualenv's site-packages, owned by root and read-only to
# the app user: the process cannot rewrite its own code.
COPY --from=build /opt/venv /opt/venv

# The working directory, where a .env would be read; nothing of the app is here.
WORKDIR /app

USER 10001:10001

# production: the settings refuse to start without a real JWT_SECRET.
# HOST 0.0.0.0: inside a container, 127.0.0.1 is unreachable from outside.
# WORKERS: uvicorn worker processes; `serve` reads it from the environment.
ENV ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    WORKERS=1

EXPOSE 8000

# Liveness only: a slow database must not get a healthy process restarted
# (/health/ready is for load balancers). Slim images have no curl; urlopen
# raises on a refused connection or a non-2xx answer, so python exits 1.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health/live', timeout=4)"]

# Exec form: python is PID 1 and receives SIGTERM itself, which `serve` turns
# into a graceful shutdown (SHUTDOWN_TIMEOUT).
CMD ["python", "-m", "interfaces", "serve"]
