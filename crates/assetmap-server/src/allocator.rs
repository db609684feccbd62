//! What the server asks of the process's allocator. The binary chooses the allocator
//! (mimalloc, in `main.rs`) and tells this module how to make it give memory back; this crate
//! holds no `unsafe` code, and a process that registers nothing (the tests) skips the step.

use std::sync::OnceLock;

static RELEASE: OnceLock<fn()> = OnceLock::new();

/// Registers how the allocator gives freed memory back to the operating system (the binary
/// calls this once, before anything else; later calls are ignored).
pub fn set_release(release: fn()) {
    let _ = RELEASE.set(release);
}

/// Gives back to the operating system the memory the allocator holds freed but not yet
/// returned. mimalloc returns freed pages a few milliseconds after they are freed, but only
/// when a later allocation or free gets round to it; what a start-up frees (the engine
/// snapshot's read buffers, the per-area figures' sorting) on threads that then stop or sit
/// idle stays resident: tens of MiB at a million assets (BENCHMARKS.md, "Memory given back
/// after start"). It takes milliseconds: call it after a burst of transient work, not per
/// request.
pub fn release_freed_memory() {
    if let Some(release) = RELEASE.get() {
        release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    fn count() {
        CALLS.fetch_add(1, Ordering::SeqCst);
    }

    fn other() {
        CALLS.fetch_add(100, Ordering::SeqCst);
    }

    #[test]
    fn the_registered_release_is_called_each_time_and_only_the_first_registration_counts() {
        set_release(count);
        set_release(other);
        release_freed_memory();
        release_freed_memory();
        assert_eq!(CALLS.load(Ordering::SeqCst), 2);
    }
}
