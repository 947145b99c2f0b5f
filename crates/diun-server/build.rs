//! With the `ui` feature, builds the dashboard (frontend/) with npm into
//! OUT_DIR, where `src/ui.rs` embeds it. Set `DIUN_DASHBOARD_UI_DIST` to a
//! folder with an already built dashboard to skip npm.
//!
//! A packaged crate (crates.io) has no frontend/: there the `ui` feature
//! needs `DIUN_DASHBOARD_UI_DIST`, and the build fails saying so otherwise.
//! docs.rs (`DOCS_RS`), which only documents and runs nothing, gets an empty
//! dashboard instead, with a warning.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    pack_relative_relocations();
    if std::env::var_os("CARGO_FEATURE_UI").is_none() {
        return;
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("ui");
    println!("cargo:rerun-if-env-changed=DIUN_DASHBOARD_UI_DIST");
    if let Some(dist) = std::env::var_os("DIUN_DASHBOARD_UI_DIST") {
        let dist = Path::new(&dist);
        assert!(
            dist.join("index.html").is_file(),
            "DIUN_DASHBOARD_UI_DIST is {}, which has no index.html: it must be a built dashboard \
             (the output folder of `npm run build` in the repository's frontend/)",
            dist.display()
        );
        println!("cargo:rerun-if-changed={}", dist.display());
        copy_dir(dist, &out);
        return;
    }
    let frontend = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap()).join("../../frontend");
    println!("cargo:rerun-if-env-changed=DOCS_RS");
    if !frontend.join("package.json").is_file() {
        if std::env::var_os("DOCS_RS").is_some() {
            // Documentation only: nothing built here is ever served.
            println!("cargo:warning=docs.rs build: the dashboard is not built, the documentation does not need it");
            std::fs::create_dir_all(&out).unwrap();
            return;
        }
        // An error, not a panic: the message is the whole story, a backtrace would bury it.
        eprintln!("error: {NO_FRONTEND}");
        std::process::exit(1);
    }
    for input in [
        "src",
        "public",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "tsconfig.app.json",
        "tsconfig.node.json",
    ] {
        println!("cargo:rerun-if-changed={}", frontend.join(input).display());
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if !installed_is_current(&frontend) {
        run(Command::new(npm).args(["ci", "--no-audit", "--no-fund"]).current_dir(&frontend));
    }
    let out_arg = out.to_str().expect("OUT_DIR is valid UTF-8");
    run(Command::new(npm).args(["run", "build", "--", "--outDir", out_arg, "--emptyOutDir"]).current_dir(&frontend));
}

/// Why a build with the `ui` feature stops when frontend/ is not beside the crate.
const NO_FRONTEND: &str = "\
diun-server's `ui` feature embeds the dashboard, which is built from the frontend/ folder of the \
Diun Dashboard repository; this copy of the crate (from crates.io) does not include it. Either:
  - set DIUN_DASHBOARD_UI_DIST to a built dashboard: in a checkout of the repository at this version, \
run `npm ci && npm run build` in frontend/, then point DIUN_DASHBOARD_UI_DIST at frontend/dist; or
  - build without the dashboard (the API, the webhook and the events stream only): depend on \
diun-server with `default-features = false, features = [\"sqlite\"]` (or \"postgres\").";

/// True when node_modules was installed from the current package-lock.json.
fn installed_is_current(frontend: &Path) -> bool {
    let modified = |path: PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    match (modified(frontend.join("node_modules/.package-lock.json")), modified(frontend.join("package-lock.json"))) {
        (Some(installed), Some(lock)) => installed >= lock,
        _ => false,
    }
}

fn run(command: &mut Command) {
    let shown = format!("{command:?}");
    let status = command.status().unwrap_or_else(|err| {
        panic!(
            "the `ui` feature builds the dashboard with Node.js and npm, but {shown} could not run ({err}). \
             Install Node.js 20 or later, or build without the UI: --no-default-features --features sqlite,postgres"
        )
    });
    assert!(status.success(), "{shown} failed ({status}); see its output above");
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for entry in
        std::fs::read_dir(from).unwrap_or_else(|err| panic!("DIUN_DASHBOARD_UI_DIST {}: {err}", from.display()))
    {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Links the binary with packed relative relocations (DT_RELR, glibc 2.36 and
/// GNU ld 2.38 or later): the loader reads a few KiB instead of a 2 MiB
/// table of 88,000 entries at every start, which all stayed resident.
fn pack_relative_relocations() {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bin=diun-dashboard=-Wl,-z,pack-relative-relocs");
    }
}
