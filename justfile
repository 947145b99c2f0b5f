# Everyday tasks. `just --list` shows them; each is a plain command, so the
# README's commands work without just.

# Start the dashboard on the embedded SQLite default (http://localhost:8080).
run:
    cargo run --release

# Every test: Rust, both backends, feature matrix, schema drift, dashboard, browser.
test:
    scripts/test

# Only the Rust workspace tests (fast loop).
test-rust:
    cargo nextest run --workspace

# The dashboard's dev server with hot reload, proxying the API to a running server.
dev-ui:
    cd frontend && npm run dev

# Format Rust and check the frontend types.
fmt:
    cargo fmt --all

# Lints as CI runs them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets --all-features -- -D warnings
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features -q
    cd frontend && npm run typecheck

# Compare the committed diesel schemas with the migrations.
check-schema:
    scripts/check-schema.sh

# What CI runs.
ci:
    .ci/run
