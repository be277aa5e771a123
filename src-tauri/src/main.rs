//! `palaver`: the terminal commands, and the way into the desktop app. It links no web
//! view; starting the app hands over to a running one or becomes `palaver-app`.

fn main() {
    std::process::exit(palaver_cli::main());
}
