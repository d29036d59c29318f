# The service image: `glue-customers serve` on port 8000, as an unprivileged user.
# Migrations are an explicit step, never run on start: `docker compose run --rm migrate`
# (that is `glue-customers migrate upgrade`) before the first start and after each upgrade.

# Build: every package from the hashed lock, then the service itself, into one virtualenv.
FROM python:3.11-slim AS build
WORKDIR /srv/glue-customers
RUN python -m venv /opt/venv
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml README.md CHANGELOG.md alembic.ini openapi.yaml ./
COPY app ./app
COPY resources ./resources
COPY schemas ./schemas
COPY errors ./errors
COPY migrations ./migrations
# An editable install: the service reads migrations/ and openapi.yaml beside its packages, so it runs
# from this tree, which the runtime stage copies to the same path.
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps -e . \
    && /opt/venv/bin/python -m compileall -q app resources schemas errors migrations

# Run: the virtualenv and the tree, no build tools, no pip cache; var/ (signing key, SQLite) is the
# only place the service writes.
FROM python:3.11-slim
RUN groupadd --system --gid 10001 glue \
    && useradd --system --no-log-init --uid 10001 --gid glue --no-create-home --home-dir /srv/glue-customers glue
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/glue-customers /srv/glue-customers
WORKDIR /srv/glue-customers
RUN mkdir var && chown 10001:10001 var
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# Numeric, so that a runtime enforcing non-root (runAsNonRoot) can check it.
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/live', timeout=4)"]
CMD ["glue-customers", "serve", "--host", "0.0.0.0", "--port", "8000"]
