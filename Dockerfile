# syntax=docker/dockerfile:1
# idm-credentials: build with the release command CI and the benchmark use, run as a
# non-root user in a small Debian image. Migrations are embedded in the binary.

FROM rust:1.95-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
RUN cargo build --release --locked \
    && cp target/release/idm-credentials /usr/local/bin/idm-credentials

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/idm --create-home idm
COPY --from=builder /usr/local/bin/idm-credentials /usr/local/bin/idm-credentials
USER idm
WORKDIR /var/lib/idm
# The SQLite default (sqlite://idm.db) lands in the idm user's home; set DATABASE_URL
# to a postgres:// URL for production.
ENV IDM_LISTEN=0.0.0.0:8080 \
    IDM_LOG_FORMAT=json
EXPOSE 8080
# The binary asks its own /health/ready, so the image needs no curl.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["idm-credentials", "healthcheck"]
ENTRYPOINT ["idm-credentials"]
CMD ["serve"]
