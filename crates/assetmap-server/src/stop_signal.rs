//! The process's stop signals, listened for once for its whole life.
//!
//! `assetmap serve` runs two HTTP servers one after the other on one listener: the `starting`
//! server ([`crate::starting`]) and then the real one. Each listening for the signals itself
//! (actix's default) left a gap at the hand-over: the first server's listeners were gone and
//! the second's were made only when it first ran, and a SIGTERM sent in between — a service
//! manager stopping a server that has just come up — was lost, so the process went on serving
//! until it was killed. [`StopSignal::listen`] starts listening before either server exists,
//! and each server is given [`StopSignal::stopped`], which is ready at once when the signal
//! came before the server began.

use std::future::Future;
use tokio::sync::watch;

/// Whether the process has been told to stop (SIGINT, SIGTERM or SIGQUIT; Ctrl-C where those
/// do not exist). Clones share one listener.
#[derive(Clone, Debug)]
pub struct StopSignal {
    told: watch::Receiver<bool>,
}

impl StopSignal {
    /// Starts listening now, for the rest of the process's life. Call it from within the
    /// runtime that serves (the listening task runs there). Each server stops gracefully:
    /// it stops accepting, answers the requests it is working on (for at most its shutdown
    /// timeout) and closes idle connections.
    pub fn listen() -> std::io::Result<StopSignal> {
        let (tell, told) = watch::channel(false);
        let signal = any_stop_signal()?;
        tokio::spawn(async move {
            let name = signal.await;
            tracing::info!(signal = name, "told to stop");
            tell.send_replace(true);
            // Kept until the process ends, so that a server started after the signal (or one
            // waiting for it) finds it told rather than its channel closed.
            std::future::pending::<()>().await;
        });
        Ok(StopSignal { told })
    }

    /// Ready once the process has been told to stop (at once if it already has): what a
    /// server's `shutdown_signal` is given.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut told = self.told.clone();
        async move {
            // A closed channel means the runtime that listened is gone: stop as well.
            let _ = told.wait_for(|told| *told).await;
        }
    }
}

/// The first stop signal to arrive, by name; listening starts when this is called.
#[cfg(unix)]
fn any_stop_signal() -> std::io::Result<impl Future<Output = &'static str>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut quit = signal(SignalKind::quit())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
            _ = quit.recv() => "SIGQUIT",
        }
    })
}

/// Ctrl-C, by name, where there are no Unix signals (listening starts when first polled).
#[cfg(not(unix))]
fn any_stop_signal() -> std::io::Result<impl Future<Output = &'static str>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    })
}
