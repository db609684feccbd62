//! [`CutProxy`]: a TCP proxy in front of PostgreSQL that loses a connection at a chosen
//! moment, such as just after `COMMIT` was sent and before its answer came back.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long the proxy waits, after passing on the message that triggers a cut, before it closes
/// the connection: long enough for PostgreSQL to have acted on the message (a commit of a few
/// rows takes milliseconds), so the test knows what happened on the far side.
pub const SETTLE: Duration = Duration::from_millis(300);

/// A proxy between a client (the store's pool) and PostgreSQL. It passes bytes both ways until
/// it is armed with [`cut_after`](CutProxy::cut_after): then the first connection whose client
/// sends the given bytes has them passed on to PostgreSQL, gets no answer back, and is closed
/// on both sides [`SETTLE`] later (so PostgreSQL has acted on them before the client can learn
/// anything). Every other connection is left alone.
///
/// With `b"COMMIT\0"` (tokio-postgres sends `COMMIT` as a simple query, its text ending in a
/// NUL) PostgreSQL commits and the client loses the answer: the "outcome unknown" case. With
/// the text of a statement sent earlier in a transaction, PostgreSQL rolls the transaction back
/// when the connection closes: a write known not to have happened.
pub struct CutProxy {
    address: SocketAddr,
    trigger: Arc<Mutex<Option<Vec<u8>>>>,
    cuts: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
}

impl CutProxy {
    /// Starts a proxy on a free loopback port in front of `upstream` (PostgreSQL's address).
    pub fn start(upstream: SocketAddr) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let address = listener.local_addr().expect("the proxy's address");
        let trigger: Arc<Mutex<Option<Vec<u8>>>> = Arc::default();
        let cuts = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (t, c, s) = (Arc::clone(&trigger), Arc::clone(&cuts), Arc::clone(&stop));
        thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let (t, c) = (Arc::clone(&t), Arc::clone(&c));
                thread::spawn(move || relay(client, server, &t, &c));
            }
        });
        CutProxy {
            address,
            trigger,
            cuts,
            stop,
        }
    }

    /// Starts a proxy in front of the PostgreSQL that `url` names, and returns it with `url`
    /// rewritten to go through it.
    pub fn in_front_of(url: &str) -> (CutProxy, String) {
        let upstream = host_port(url)
            .and_then(|hp| hp.parse::<SocketAddr>().ok())
            .unwrap_or_else(|| panic!("no numeric host:port in {url}"));
        let proxy = CutProxy::start(upstream);
        let through = url.replacen(&upstream.to_string(), &proxy.address.to_string(), 1);
        (proxy, through)
    }

    /// Arms the proxy: the next connection whose client sends `bytes` is cut just after they
    /// are passed on.
    pub fn cut_after(&self, bytes: &[u8]) {
        *self.trigger.lock().unwrap_or_else(|p| p.into_inner()) = Some(bytes.to_vec());
    }

    /// How many connections have been cut (or are being cut) so far.
    pub fn cuts(&self) -> u32 {
        self.cuts.load(Ordering::SeqCst)
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.address);
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL.
fn host_port(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?']).next()?;
    Some(authority.rsplit_once('@').map_or(authority, |(_, hp)| hp))
}

/// Passes bytes both ways until either side closes, or until the trigger is seen from the
/// client: then the bytes are passed on, nothing more comes back, and both sides are closed.
fn relay(
    mut client: TcpStream,
    mut server: TcpStream,
    trigger: &Mutex<Option<Vec<u8>>>,
    cuts: &AtomicU32,
) {
    let cut = Arc::new(AtomicBool::new(false));
    let back = {
        let (Ok(mut from), Ok(mut to)) = (server.try_clone(), client.try_clone()) else {
            return;
        };
        let cut = Arc::clone(&cut);
        thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            loop {
                let n = match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                // Checked after the read: an answer that arrives once the cut is decided is
                // dropped, never passed on (and the other side closes the connection).
                if cut.load(Ordering::SeqCst) {
                    return;
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            let _ = to.shutdown(Shutdown::Both);
        })
    };
    let mut buf = [0u8; 16 * 1024];
    // The end of the previous read, so a trigger split across two reads is still seen.
    let mut seen: Vec<u8> = Vec::new();
    loop {
        let n = match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let before = seen.len();
        seen.extend_from_slice(&buf[..n]);
        let fire = {
            let mut armed = trigger.lock().unwrap_or_else(|p| p.into_inner());
            // Only a trigger that ends in the bytes just read: one sent before the proxy was
            // armed (the end of an earlier transaction) must not fire on the next message.
            let hit = armed.as_deref().is_some_and(|t| {
                let from = before.saturating_sub(t.len().saturating_sub(1));
                seen[from..].windows(t.len()).any(|w| w == t)
            });
            if hit {
                *armed = None;
            }
            hit
        };
        if fire {
            cut.store(true, Ordering::SeqCst);
            cuts.fetch_add(1, Ordering::SeqCst);
        }
        if server.write_all(&buf[..n]).is_err() {
            break;
        }
        if fire {
            let _ = server.flush();
            thread::sleep(SETTLE);
            break;
        }
        let keep = seen.len().saturating_sub(256);
        seen.drain(..keep);
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
    let _ = back.join();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_address_in_a_url() {
        assert_eq!(
            host_port("postgres://postgres@127.0.0.1:5432/assetmap_test"),
            Some("127.0.0.1:5432")
        );
        assert_eq!(
            host_port("postgres://u:p@127.0.0.1:1/db?sslmode=disable"),
            Some("127.0.0.1:1")
        );
    }

    #[test]
    fn passes_bytes_both_ways_and_cuts_after_the_trigger() {
        // An echo server stands in for PostgreSQL.
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let upstream = echo.local_addr().unwrap();
        let received: Arc<Mutex<Vec<u8>>> = Arc::default();
        let r = Arc::clone(&received);
        thread::spawn(move || {
            for conn in echo.incoming().flatten() {
                let r = Arc::clone(&r);
                thread::spawn(move || {
                    let mut conn = conn;
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = conn.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        r.lock().unwrap().extend_from_slice(&buf[..n]);
                        if conn.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let proxy = CutProxy::start(upstream);
        let mut c = TcpStream::connect(proxy.address).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 64];
        c.write_all(b"hello").unwrap();
        c.read_exact(&mut buf[..5]).unwrap();
        assert_eq!(&buf[..5], b"hello");

        proxy.cut_after(b"COMMIT\0");
        c.write_all(b"QCOMMIT\0").unwrap();
        // No echo comes back: the connection is closed instead.
        assert_eq!(c.read(&mut buf).unwrap_or(0), 0);
        assert_eq!(proxy.cuts(), 1);
        assert_eq!(
            received.lock().unwrap().as_slice(),
            b"helloQCOMMIT\0",
            "the trigger reached the far side"
        );
    }
}
