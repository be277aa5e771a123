fn main() {
    // The commands are opted into the ACL here; `src-tauri/capabilities/` grants them per window.
    // Keep in step with `app::commands::ALL` (a unit test checks).
    const COMMANDS: &[&str] = &[
        "send_message",
        "cancel_stream",
        "get_settings",
        "save_settings",
        "list_models",
        "set_api_key",
        "clear_api_key",
        "api_key_status",
        "open_external",
        "list_conversations",
        "get_conversation",
        "show_version",
        "rename_conversation",
        "set_pinned",
        "delete_conversation",
        "search_history",
        "export_conversation",
        "import_history",
    ];
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=ui/dist");
    if !std::path::Path::new("ui/dist/index.html").exists() {
        println!("cargo:warning=ui/dist is missing: build the frontend first (npm --prefix ui ci && npm --prefix ui run build)");
    }
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        eprintln!("tauri-build failed: {e:#}");
        std::process::exit(1);
    }
}
