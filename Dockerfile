# syntax=docker/dockerfile:1
# Build stage: make a wheel of mlq and its dependencies.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY question_bank ./question_bank
COPY storage ./storage
RUN pip wheel --wheel-dir /wheels .

# Runtime stage: only the installed wheels, a non-root user, data on a volume.
# The SQLite default follows MLQ_DATA_DIR (/data/mlq.db) rather than MLQ_DATABASE_URL, so an
# --env-file with "MLQ_DATABASE_URL=" (empty) keeps it on the volume; a SQLite URL off the
# volume is refused at start. The heartbeat path is passed as a flag to `mlq run` and
# `mlq health`, so no environment value can move or blank it.
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1 \
    MLQ_DATA_DIR=/data
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels mlq \
 && useradd --create-home --uid 10001 mlq \
 && mkdir -p /data && chown mlq:mlq /data
USER mlq
WORKDIR /home/mlq
VOLUME ["/data"]
# Slack HTTP mode listens here when run with --mode http.
EXPOSE 3000
HEALTHCHECK --interval=60s --timeout=10s --start-period=60s --retries=3 \
  CMD ["mlq", "health", "--heartbeat-file", "/tmp/mlq.heartbeat", "--max-age", "120"]
ENTRYPOINT ["mlq", "run", "--heartbeat-file", "/tmp/mlq.heartbeat"]
