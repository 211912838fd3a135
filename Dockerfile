# The production image: locked runtime dependencies only, run as a non-root user.
# Not built on the development machines (they have no Docker engine); see the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app

COPY alembic.ini ./
COPY domain/ domain/
COPY application/ application/
COPY infrastructure/ infrastructure/
COPY interfaces/ interfaces/

USER app

ENV HOST=0.0.0.0 \
    PORT=8000 \
    ENVIRONMENT=production

EXPOSE 8000

CMD ["python", "-m", "interfaces", "serve"]
