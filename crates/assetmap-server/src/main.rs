//! The `assetmap` binary. Everything lives in the library so tests run the same code.
fn main() -> std::process::ExitCode {
    assetmap_server::cli::main()
}
