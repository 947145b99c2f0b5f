#!/usr/bin/env bash
# The container image, built and run with podman (called by scripts/test):
#
#   scripts/test-image.sh [BINARY]      (default: builds and uses the release binary)
#
# 1. lays out the image's files from BINARY (scripts/image-rootfs.sh, which
#    refuses any shared library beyond the C library), imports them as a local
#    image and builds the Dockerfile's final stage on it (`--build-arg ROOTFS`):
#    no base image is pulled;
# 2. checks the image: non-root user, /data volume, port 8080, HEALTHCHECK, labels;
# 3. runs it with a named volume: /healthz, the HEALTHCHECK, a webhook stored,
#    the container restarted, the webhook found again;
# 4. the empty root: the same image (the binary, four C-library files, passwd,
#    group, nsswitch.conf: nothing else) connects to the local PostgreSQL by
#    host name with sslmode=require, serves /readyz and stores a webhook there.
#
# Needs root, podman and runc (installed with apt-get when missing), and the
# PostgreSQL server of DIUN_DASHBOARD_TEST_POSTGRES_URL (or 127.0.0.1:5432).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing Debian's podman and runc"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc >/dev/null
    else
        echo "error: the image test needs podman and runc (Debian: apt-get install podman runc)" >&2
        exit 1
    fi
fi
podman() { command podman --runtime runc --cgroup-manager=cgroupfs "$@"; }

binary=${1:-}
if [ -z "$binary" ]; then
    started=$(date +%s)
    cargo build --release -q -p diun-server
    echo "release build: $(( $(date +%s) - started )) s"
    binary=target/release/diun-dashboard
fi
pg_server=${DIUN_DASHBOARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
pg_server=${pg_server%/}

run_id=diun-image-test-$$
work=$(mktemp -d)
image=localhost/diun-dashboard:$run_id
rootfs_image=localhost/diun-dashboard-rootfs:$run_id
volume=$run_id
pg_database=diun_image_test_$$
cleanup() {
    podman rm -f -v -t 0 "$run_id" "$run_id-pg" >/dev/null 2>&1 || true
    podman volume rm -f "$volume" >/dev/null 2>&1 || true
    podman rmi -f "$image" "$rootfs_image" >/dev/null 2>&1 || true
    psql -q "$pg_server/postgres" -c "DROP DATABASE IF EXISTS $pg_database" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "error: $*" >&2; exit 1; }

# --- 1. build -----------------------------------------------------------------
scripts/image-rootfs.sh "$binary" "$work/rootfs"
tar -C "$work" -c rootfs | podman import -q - "$rootfs_image" >/dev/null
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
# `--format docker`: the OCI image format has no HEALTHCHECK.
podman build -q --layers=false --format docker --build-arg ROOTFS="$rootfs_image" --build-arg VERSION="$version" \
    -t "$image" . >/dev/null
size=$(podman image inspect -f '{{.Size}}' "$image")
echo "image built: $(( size / 1000000 )) MB ($size bytes)"

# --- 2. what the image declares ----------------------------------------------
inspect() { podman image inspect -f "$1" "$image"; }
[ "$(inspect '{{.Config.User}}')" = 10001:10001 ] || fail "the image does not run as 10001:10001"
[[ "$(inspect '{{json .Config.Volumes}}')" == *'"/data"'* ]] || fail "no /data volume"
[[ "$(inspect '{{json .Config.ExposedPorts}}')" == *'"8080/tcp"'* ]] || fail "port 8080 not exposed"
[[ "$(inspect '{{json .Config.Healthcheck}}')" == *'"healthcheck"'* ]] || fail "no HEALTHCHECK with the subcommand"
for label in source version licenses; do
    value=$(inspect "{{index .Config.Labels \"org.opencontainers.image.$label\"}}")
    [ -n "$value" ] || fail "no org.opencontainers.image.$label label"
done
[ "$(inspect '{{index .Config.Labels "org.opencontainers.image.version"}}')" = "$version" ] || fail "version label"

# --- 3. run, store, restart, find again ----------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret=image-test-secret
podman run -d -q --name "$run_id" --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
    -p "127.0.0.1:$port:8080" -v "$volume:/data" -e DIUN_DASHBOARD_WEBHOOK_SECRET="$secret" "$image" \
    >/dev/null 2> >(grep -v 'systemd' >&2)
wait_ready() { # URL [CONTAINER]
    for _ in $(seq 100); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)" = 200 ] && return 0
        sleep 0.2
    done
    podman logs "${2:-$run_id}" >&2 || true
    fail "$1 never answered 200"
}
base=http://127.0.0.1:$port
wait_ready "$base/healthz"
podman healthcheck run "$run_id" >/dev/null 2>&1 || fail "the image's HEALTHCHECK fails on a ready server"
uid=$(ps -o uid= -p "$(podman inspect -f '{{.State.Pid}}' "$run_id")" | tr -d ' ')
[ "$uid" = 10001 ] || fail "the server runs as uid $uid, not 10001"

sample=../shared/diun-webhooks/real-update.json
[ -f "$sample" ] || sample=${DIUN_WEBHOOK_SAMPLES:?the webhook samples are not found}/real-update.json
status=$(curl -s -o "$work/stored.json" -w '%{http_code}' -X POST -H "Authorization: $secret" \
    -H 'Content-Type: application/json' --data-binary @"$sample" "$base/webhook")
[ "$status" = 200 ] || fail "the webhook answered $status: $(cat "$work/stored.json")"
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/stored.json")
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$sample" "$base/webhook")
[ "$status" = 401 ] || fail "a webhook without the secret answered $status"

podman stop -t 30 "$run_id" >/dev/null 2> >(grep -v 'systemd' >&2)
[ "$(podman inspect -f '{{.State.ExitCode}}' "$run_id")" = 0 ] || fail "SIGTERM did not end the server cleanly"
podman start "$run_id" >/dev/null 2> >(grep -v 'systemd' >&2)
wait_ready "$base/readyz"
curl -s "$base/api/updates" >"$work/listed.json"
python3 - "$work/listed.json" "$id" <<'PY' || fail "the webhook is not found after the restart: $(cat "$work/listed.json")"
import json, sys
updates = json.load(open(sys.argv[1]))["updates"]
assert [u["id"] for u in updates] == [int(sys.argv[2])], updates
assert updates[0]["image"] == "127.0.0.1:5000/test/app:latest", updates
PY
echo "container: /healthz, HEALTHCHECK, uid 10001, webhook stored in the volume and found after a restart"

# --- 4. the empty root against PostgreSQL, by host name, over TLS --------------
if ! pg_isready -q -d "$pg_server/postgres" -t 3; then
    [ -z "${CI:-}" ] || fail "PostgreSQL does not answer at $pg_server; CI never skips this"
    echo "skipped: the empty root against PostgreSQL (no server answers at $pg_server)"
    echo "image test passed ($(( size / 1000000 )) MB image)"
    exit 0
fi
psql -q "$pg_server/postgres" -c "CREATE DATABASE $pg_database" >/dev/null
pg_host=$(python3 -c 'import sys, urllib.parse; u = urllib.parse.urlsplit(sys.argv[1]); print(u.hostname, u.port or 5432, u.username or "postgres")' "$pg_server")
read -r pg_address pg_port pg_user <<<"$pg_host"
pg_port_free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Host networking reaches a server on the host's loopback; the name is resolved
# inside the empty root through its /etc/hosts (nsswitch: files, then DNS).
podman run -d -q --name "$run_id-pg" --network host --add-host "pg.diun.test:$pg_address" \
    --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
    -e DIUN_DASHBOARD_LISTEN="127.0.0.1:$pg_port_free" \
    -e DIUN_DASHBOARD_DATABASE_URL="postgres://$pg_user@pg.diun.test:$pg_port/$pg_database?sslmode=require&application_name=$run_id" \
    "$image" >/dev/null 2> >(grep -v 'systemd' >&2)
wait_ready "http://127.0.0.1:$pg_port_free/readyz" "$run_id-pg"
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$sample" "http://127.0.0.1:$pg_port_free/webhook")
[ "$status" = 200 ] || fail "the webhook to the PostgreSQL-backed container answered $status"
stored=$(psql -qAt "$pg_server/$pg_database" -c "SELECT count(*) FROM updates WHERE image = '127.0.0.1:5000/test/app:latest'")
[ "$stored" = 1 ] || fail "the update is not in PostgreSQL ($stored rows)"
tls=$(psql -qAt "$pg_server/postgres" -c "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.application_name = '$run_id'")
[ "${tls%|*}" = "${tls#*|}" ] && [ "${tls%|*}" -gt 0 ] || fail "the container's connections are not all encrypted (encrypted|all: $tls)"
echo "empty root: PostgreSQL at pg.diun.test over TLS ($tls connections encrypted), /readyz, webhook stored"
echo "image test passed ($(( size / 1000000 )) MB image)"
