//! The same `assetmap` command line, built inside the tests package so that process-level
//! tests can start it as a child process (`CARGO_BIN_EXE_assetmap-under-test`).
fn main() -> std::process::ExitCode {
    assetmap_server::cli::main()
}
