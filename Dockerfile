# Policy Ledger: a multi-stage image that runs as an unprivileged user.
#
#   docker build -t policy-ledger .
#   docker run --rm -p 8000:8000 \
#     -e POLICY_LEDGER_DATABASE_URL='postgresql://ledger:…@db:5432/ledger?schema=policy' \
#     policy-ledger serve --host 0.0.0.0 --workers 2
#   docker run --rm -e POLICY_LEDGER_DATABASE_URL=… policy-ledger run-projections
#
# The build stage installs the package and its wheels (psycopg's binary wheel carries
# libpq) into a virtual environment; the runtime stage copies only that environment.

ARG PYTHON=3.11-slim-bookworm

FROM python:${PYTHON} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# A C compiler for the build only: the audit's hot path is compiled with mypyc (setup.py).
RUN apt-get update \
 && apt-get install --yes --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/policy-ledger
WORKDIR /src
# Dependencies first (a layer that changes only with pyproject.toml), then the code.
COPY pyproject.toml README.md setup.py ./
RUN mkdir -p api domain events projections \
 && touch api/__init__.py domain/__init__.py events/__init__.py projections/__init__.py \
 && /opt/policy-ledger/bin/pip install . \
 && /opt/policy-ledger/bin/pip uninstall --yes policy-ledger
COPY events events
COPY domain domain
COPY projections projections
COPY api api
RUN POLICY_LEDGER_COMPILE=1 /opt/policy-ledger/bin/pip install --no-deps . \
 && /opt/policy-ledger/bin/policy-ledger --help > /dev/null

FROM python:${PYTHON}
RUN groupadd --system --gid 10001 ledger \
 && useradd --system --uid 10001 --gid ledger --no-create-home --shell /usr/sbin/nologin ledger \
 && install -d -o ledger -g ledger -m 0750 /var/lib/policy-ledger
COPY --from=build /opt/policy-ledger /opt/policy-ledger
ENV PATH=/opt/policy-ledger/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    POLICY_LEDGER_DATABASE_URL=sqlite:////var/lib/policy-ledger/ledger.sqlite \
    POLICY_LEDGER_TOKENS_FILE=/var/lib/policy-ledger/tokens.json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/policy-ledger-metrics
WORKDIR /var/lib/policy-ledger
USER ledger:ledger
EXPOSE 8000
# uvicorn finishes requests in flight on SIGTERM (POLICY_LEDGER_SHUTDOWN_TIMEOUT, 30 s):
# give `docker stop` more than that (docker stop -t 40).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"]
ENTRYPOINT ["policy-ledger"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
