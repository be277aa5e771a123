//! Rewrites `ui/src/bindings/` from the Rust types that cross IPC.

fn main() -> std::io::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(palaver::app::bindings::DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    for path in palaver::app::bindings::write_all(&dir)? {
        println!("{}", path.display());
    }
    Ok(())
}
