# syntax=docker/dockerfile:1
# Multi-stage build: the same scripts/setup and scripts/build-site a developer uses, then a slim
# runtime image that runs as an unprivileged user.

# Node 20 on Debian 12 (bookworm): the Tailwind CLI needs Node >= 20, and the wasm toolchain is
# Debian 12's rustc-web.
FROM node:20-bookworm AS build
ENV OPSQUAD_HOME=/opt/opsquad CARGO_TARGET_DIR=/opt/opsquad/target OPSQUAD_SETUP_BUILD_ONLY=1
WORKDIR /src
COPY scripts ./scripts
COPY package.json package-lock.json ./
RUN scripts/setup
COPY . .
RUN scripts/build-site --release \
 && . scripts/env.sh && cargo build --release --locked -p server \
 && mkdir -p /out && cp "$CARGO_TARGET_DIR/release/opsquad" /out/ && cp -r target/site /out/site

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin opsquad \
 && mkdir -p /app/data && chown opsquad /app/data
WORKDIR /app
COPY --from=build /out/opsquad /usr/local/bin/opsquad
COPY --from=build /out/site /app/site
COPY configuration /app/configuration
# Production refuses to start without OPSQUAD_AUTH__JWT_KEYS (>= 32 random bytes per key) and
# OPSQUAD_PAYMENTS__PUBLIC_URL (the https:// address customers use; pay links start with it), and
# insists on Secure cookies, so serve it behind HTTPS. DATABASE_URL may point at PostgreSQL.
ENV OPSQUAD_ENV=production OPSQUAD_SERVER__SITE_ROOT=/app/site DATABASE_URL=sqlite:///app/data/opsquad.db
USER opsquad
VOLUME ["/app/data"]
EXPOSE 3000
CMD ["opsquad", "serve"]
