# syntax=docker/dockerfile:1
# The operator image: `docker build -t stagingpro .` (dependencies pinned by requirements.lock).

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY controller ./controller
RUN python -m venv /opt/stagingpro \
 && /opt/stagingpro/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/stagingpro/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
 && /opt/stagingpro/bin/pip install --no-cache-dir --constraint requirements.lock /wheels/*.whl

FROM python:3.11-slim
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="stagingpro" \
      org.opencontainers.image.description="Staging, sandbox and GitOps deployment operator for BigCommerce stores" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/stagingpro/stagingpro" \
      org.opencontainers.image.vendor="StagingPro"
# git for gitpython (catalog sources and captures), ssh for SSH remotes, tzdata comes with Python's.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 stagingpro \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin stagingpro \
 && mkdir -p /var/cache/stagingpro && chown 10001:10001 /var/cache/stagingpro
COPY --from=build /opt/stagingpro /opt/stagingpro
ENV PATH=/opt/stagingpro/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    STAGINGPRO_CACHE_DIR=/var/cache/stagingpro
# The root filesystem can be read-only: Git checkouts go to this volume, temporary files to /tmp.
VOLUME ["/var/cache/stagingpro"]
USER 10001:10001
EXPOSE 8080 8081
ENTRYPOINT ["stagingpro", "operator"]
CMD ["--all-namespaces"]
