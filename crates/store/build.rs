// `sqlx::migrate!` embeds the migration files at compile time; without this, adding a migration
// would not rebuild the crate and the new file would silently be missing from the binary.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
