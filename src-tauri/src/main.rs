fn main() {
    std::process::exit(palaver::cli::main());
}
