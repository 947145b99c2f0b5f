#!/usr/bin/env bash
# Schema-drift check, one per backend: runs the migrations on a throwaway
# database, prints its schema with `diesel print-schema`, and compares the
# result with the store crate's committed src/schema.rs. It also reverts every
# migration (each down.sql), checks that nothing is left, and runs them again.
#
#   scripts/check-schema.sh            # both backends
#   scripts/check-schema.sh sqlite     # or only one: sqlite, postgres
#
# PostgreSQL: a temporary database is created on
# ${DIUN_DASHBOARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
# (needs `psql`) and dropped afterwards.
#
# Exits non-zero, showing the diff, on any drift. To accept a deliberate
# schema change, paste the printed schema into the crate's src/schema.rs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"
backends=("${@:-sqlite}")
[ $# -eq 0 ] && backends=(sqlite postgres)

if ! command -v diesel >/dev/null 2>&1; then
    echo "installing diesel_cli…" >&2
    cargo install --locked diesel_cli --no-default-features --features "sqlite-bundled postgres"
fi

work=$(mktemp -d)
pg_database=""
pg_server=""
cleanup() {
    if [ -n "$pg_database" ]; then
        psql "$pg_server" -qAt -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$pg_database\" WITH (FORCE)" >/dev/null ||
            echo "warning: could not drop the database $pg_database" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Migrations run with an empty configuration: with the crates' own diesel.toml,
# `diesel migration run` would rewrite the committed schema.rs it is checked against.
: >"$work/no-schema-file.toml"
failed=0

# check NAME CRATE_DIR MIGRATIONS_DIR DATABASE_URL
check() {
    local name=$1 crate=$2 migrations=$3 url=$4
    local committed="$crate/src/schema.rs" printed="$work/$name.schema.rs"
    migrate() {
        diesel migration "$@" --database-url "$url" --migration-dir "$migrations" \
            --config-file "$work/no-schema-file.toml" >/dev/null
    }
    print_schema() {
        diesel print-schema --database-url "$url" --config-file "$crate/diesel.toml"
    }
    compare() {
        print_schema >"$printed"
        if ! diff -u --label "committed ${committed#"$root"/}" --label "printed after $1" "$committed" "$printed"; then
            echo "$name: schema drift after $1 (see the diff above)" >&2
            failed=1
        fi
    }

    echo "== $name"
    migrate run
    compare "migration run"
    # Each down.sql must undo its up.sql: revert all, then all again.
    migrate redo --all
    compare "migration redo --all"
    migrate revert --all
    if print_schema | grep -q 'diesel::table!'; then
        echo "$name: tables left after reverting every migration:" >&2
        print_schema | grep -A1 'diesel::table!' >&2
        failed=1
    fi
    migrate run
    compare "revert --all and run"
}

for backend in "${backends[@]}"; do
    case $backend in
    sqlite)
        check sqlite "$root/crates/diun-store-sqlite" "$root/migrations-sqlite" "$work/check.db"
        ;;
    postgres)
        server=${DIUN_DASHBOARD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
        if ! command -v psql >/dev/null 2>&1; then
            echo "postgres: psql is needed to create and drop the temporary database" >&2
            exit 2
        fi
        # The server URL with its path replaced by the temporary database, query kept.
        query=""
        case $server in *\?*) query="?${server#*\?}" ;; esac
        base=${server%%\?*}
        scheme=${base%%://*}
        rest=${base#*://}
        pg_server=$server
        pg_database="diun_schema_check_$$"
        psql "$pg_server" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$pg_database\"" >/dev/null
        pg_url="$scheme://${rest%%/*}/$pg_database$query"
        check postgres "$root/crates/diun-store-pg" "$root/migrations-postgres" "$pg_url"
        # Beyond tables: nothing at all may remain once every migration is reverted.
        diesel migration revert --all --database-url "$pg_url" --migration-dir "$root/migrations-postgres" \
            --config-file "$work/no-schema-file.toml" >/dev/null
        leftover=$(psql "$pg_url" -qAt -v ON_ERROR_STOP=1 -c "
            SELECT string_agg(c.relname, ', ') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relname NOT LIKE '\_\_diesel\_schema\_migrations%'")
        if [ -n "$leftover" ]; then
            echo "postgres: left after reverting every migration: $leftover" >&2
            failed=1
        fi
        ;;
    *)
        echo "unknown backend $backend (sqlite or postgres)" >&2
        exit 2
        ;;
    esac
done

if [ "$failed" -ne 0 ]; then
    echo "schema drift found" >&2
    exit 1
fi
echo "no schema drift"
