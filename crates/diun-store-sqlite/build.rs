// `embed_migrations!` reads the migrations folder at compile time, but cargo
// only knows to rebuild when a file it already embedded changes: a new
// migration would be left out of the build until something else changed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
