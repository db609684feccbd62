//! The `assetmap` binary. Everything lives in the library so tests run the same code.

/// mimalloc instead of the system allocator: a bulk import makes and frees millions of small
/// strings on several threads, where glibc's allocator spends a third of the time (BENCHMARKS.md,
/// "Mapped import").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Makes mimalloc give back every page it holds freed (see
/// `assetmap_server::allocator::release_freed_memory`).
#[allow(unsafe_code)]
fn mimalloc_release_freed_memory() {
    // SAFETY: `mi_collect` takes no pointers and may be called from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

fn main() -> std::process::ExitCode {
    assetmap_server::allocator::set_release(mimalloc_release_freed_memory);
    assetmap_server::cli::main()
}
