//! The `assetmap` binary. Everything lives in the library so tests run the same code.

/// mimalloc instead of the system allocator: a bulk import makes and frees millions of small
/// strings on several threads, where glibc's allocator spends a third of the time (BENCHMARKS.md,
/// "Mapped import").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    assetmap_server::cli::main()
}
