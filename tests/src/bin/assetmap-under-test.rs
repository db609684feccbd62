//! The same `assetmap` command line, built inside the tests package so that process-level
//! tests can start it as a child process (`CARGO_BIN_EXE_assetmap-under-test`) — with the same
//! allocator as the shipped binary (see `crates/assetmap-server/src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    assetmap_server::cli::main()
}
