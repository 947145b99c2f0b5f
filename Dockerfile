# Diun Dashboard as a container image: one binary FROM scratch.
#
#   podman build -t diun-dashboard .        (or docker build)
#   podman run -d -p 8080:8080 -v diun-dashboard:/data diun-dashboard
#
# The `build` stage runs the README's own build command (`cargo build --release`,
# which builds the dashboard with npm, and libpq and OpenSSL from source), then
# scripts/image-rootfs.sh lays out the image's files. CI, which cannot pull base
# images, makes that same layout from the binary it has just built and passes it
# in with `--build-arg ROOTFS=<that image>`; the final stage is the same.

ARG ROOTFS=build

FROM docker.io/library/node:22-bookworm-slim AS node

FROM docker.io/library/rust:1-bookworm AS build
# Node.js 20 or later for the dashboard (Debian's is older).
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm
WORKDIR /src
COPY . .
RUN cargo build --release
RUN scripts/image-rootfs.sh target/release/diun-dashboard /rootfs

FROM ${ROOTFS} AS rootfs

FROM scratch
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="Diun Dashboard" \
      org.opencontainers.image.description="Receives Diun's webhook notifications and serves a dashboard to triage them" \
      org.opencontainers.image.source="https://github.com/diun-dashboard/diun-dashboard" \
      org.opencontainers.image.url="https://github.com/diun-dashboard/diun-dashboard" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT"
# Ownership comes along: /data belongs to the user (10001), everything else to root.
COPY --from=rootfs /rootfs/ /
ENV DIUN_DASHBOARD_LISTEN=0.0.0.0:8080 \
    DIUN_DASHBOARD_DATABASE_URL=/data/diun-dashboard.db
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/diun-dashboard", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/diun-dashboard"]
