//! What cargo gives every benchmark program besides its own flags, accepted so that it can
//! be ignored: `cargo bench` appends `--bench`, and `cargo bench NAME` passes `NAME` on as a
//! filter. `cargo test --bench X -- …` passes only what follows `--`. Anything else unknown
//! is an error, so that a mistyped flag is not silently run with its default.

#[derive(clap::Args)]
#[allow(dead_code)] // accepted only to be ignored
pub struct CargoBenchArgs {
    #[arg(long, hide = true)]
    bench: bool,
    #[arg(hide = true)]
    filters: Vec<String>,
}
