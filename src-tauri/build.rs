include!("src/app/commands/names.rs");

fn main() {
    // Our commands are opted into the ACL here; `src-tauri/capabilities/` grants them per window.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=ui/dist");
    if !std::path::Path::new("ui/dist/index.html").exists() {
        println!("cargo:warning=ui/dist is missing: build the frontend first (npm --prefix ui ci && npm --prefix ui run build)");
    }
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMAND_NAMES));
    if let Err(e) = tauri_build::try_build(attributes) {
        eprintln!("tauri-build failed: {e:#}");
        std::process::exit(1);
    }
}
