# roadmap-svc: one image for every role of the production topology
# (docker-compose.yml, docs/deployment.md):
#   docker run IMAGE migrate   apply pending migrations once, then exit
#   docker run IMAGE api       the HTTP API (the default command)
#   docker run IMAGE worker    the views' runners and the webhook dispatcher
# Configured only by ROADMAP_* environment variables (README: Configuration).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# pyproject.toml names README.md as the package's readme: the build needs it.
COPY pyproject.toml README.md ./
COPY src ./src

# Every dependency ships a manylinux wheel for CPython 3.11: no compiler needed. The
# migrations are package data; the build fails if the installed package has none.
RUN set -eux; \
    pip install .; \
    python -c 'from roadmap_svc.storage.migrations import MIGRATIONS_DIR as d; assert sorted(d.glob("*.sql")), d'; \
    cd /; rm -rf /src; \
    useradd --system --create-home --home-dir /home/roadmap --uid 10001 --user-group roadmap; \
    mkdir -p /var/lib/roadmap-svc; \
    chown roadmap:roadmap /var/lib/roadmap-svc

USER roadmap
WORKDIR /home/roadmap

# Listen on every interface inside the container (the service's own default is 127.0.0.1).
# ROADMAP_DATA_DIR only matters without ROADMAP_DATABASE_URL (`serve` with its embedded
# PostgreSQL, for a quick try: mount a volume there to keep the data).
ENV ROADMAP_HOST=0.0.0.0 \
    ROADMAP_DATA_DIR=/var/lib/roadmap-svc
EXPOSE 8000

# Liveness without curl: the image has Python. Only `api` and `serve` answer HTTP; compose
# turns this off for `migrate` and `worker`.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('ROADMAP_PORT', '8000'), timeout=2)"]

ENTRYPOINT ["roadmap-svc"]
CMD ["api"]
