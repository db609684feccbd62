#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod cut_proxy;
pub mod gdal;

pub use cut_proxy::CutProxy;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// What to do when the cluster is missing.
const HOW: &str =
    "run the tests with `bash tests/run.sh`, which installs PostGIS and starts a throwaway cluster";

/// The environment variable `name`, or a failure that says how to get it.
pub fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!("{name} is not set: {HOW}"),
    }
}

/// URL of the test cluster's maintenance database (a superuser connection).
pub fn admin_url() -> String {
    required_env("ASSETMAP_TEST_DATABASE_URL")
}

/// `url` with its database replaced by `db` (query parameters kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Runs one SQL statement with `psql` on `url`; panics with psql's message when it fails.
fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .unwrap_or_else(|e| panic!("cannot run psql ({e}): install postgresql-client, or {HOW}"));
    assert!(
        out.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates an empty database on the test cluster and returns its URL. The name holds `label`,
/// the process id, the time and a counter, so tests (and test runs) never share a database.
pub fn create_database(label: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "assetmap_{label}_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let admin = admin_url();
    psql(&admin, &format!("CREATE DATABASE \"{name}\""));
    with_database(&admin, &name)
}

/// Like [`create_database`], with the PostGIS extension created in it.
pub fn create_postgis_database(label: &str) -> String {
    let url = create_database(label);
    psql(&url, "CREATE EXTENSION IF NOT EXISTS postgis");
    url
}

/// Runs the cluster's `pg_ctl` helper (`ASSETMAP_TEST_PG_CTL`) with `action` (`stop`, `start`,
/// `status`…); true when it succeeded.
pub fn pg_ctl(action: &str) -> bool {
    let helper = required_env("ASSETMAP_TEST_PG_CTL");
    Command::new("bash")
        .arg(&helper)
        .arg(action)
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {helper} {action}: {e}"))
        .success()
}

/// Starts the cluster again when dropped, so a failing assertion cannot leave it down for the
/// test binaries that run after this one.
pub struct RestartOnDrop;

impl Drop for RestartOnDrop {
    fn drop(&mut self) {
        if !pg_ctl("status") {
            pg_ctl("start");
        }
    }
}

/// The postmaster's pid: the first line of `postmaster.pid` in the cluster's data directory
/// (`ASSETMAP_TEST_PGDATA`).
pub fn postmaster_pid() -> u32 {
    let file =
        std::path::PathBuf::from(required_env("ASSETMAP_TEST_PGDATA")).join("postmaster.pid");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
    text.lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid on the first line of {}", file.display()))
}

/// `(state, parent pid)` of a live process (from `/proc/PID/stat`), or `None` when it is gone.
pub fn proc_stat(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split at the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// The pids of every live process whose parent is `parent`, from `/proc`.
pub fn children_of(parent: u32) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if proc_stat(pid).is_some_and(|(_, ppid)| ppid == parent) {
            pids.push(pid);
        }
    }
    pids
}

/// `kill -SIGNAL PIDS…`; true when `kill` succeeded for all of them.
fn kill(signal: &str, pids: &[u32]) -> bool {
    !pids.is_empty()
        && Command::new("kill")
            .arg(format!("-{signal}"))
            .args(pids.iter().map(u32::to_string))
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
}

/// The whole test cluster frozen with `SIGSTOP`: the postmaster and every process it started
/// (backends, WAL writer, checkpointer…). Its sockets stay open, so the kernel still accepts
/// connections and acknowledges what is sent, but nothing answers: the database as a hung
/// machine or a cut network shows it. Dropping this sends `SIGCONT` to them all, so a failing
/// test never leaves the cluster frozen for the tests after it.
pub struct FrozenCluster {
    pids: Vec<u32>,
}

impl FrozenCluster {
    /// Freezes the cluster: the postmaster first (so it starts no new process), then its
    /// children, until every one of them is seen stopped (state `T` in `/proc`).
    pub fn freeze() -> FrozenCluster {
        let postmaster = postmaster_pid();
        let mut frozen = FrozenCluster {
            pids: vec![postmaster],
        };
        assert!(kill("STOP", &[postmaster]), "kill -STOP {postmaster}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let running: Vec<u32> = std::iter::once(postmaster)
                .chain(children_of(postmaster))
                .filter(|&p| proc_stat(p).is_some_and(|(state, _)| state != 'T'))
                .collect();
            if running.is_empty() {
                return frozen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "cluster processes {running:?} did not stop"
            );
            for &p in &running {
                if !frozen.pids.contains(&p) {
                    frozen.pids.push(p);
                }
            }
            kill("STOP", &running);
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The processes frozen, the postmaster first.
    pub fn pids(&self) -> &[u32] {
        &self.pids
    }
}

impl Drop for FrozenCluster {
    fn drop(&mut self) {
        // Children first, then the postmaster, which would otherwise find them stopped.
        let (postmaster, children) = self.pids.split_first().expect("the postmaster");
        kill("CONT", children);
        kill("CONT", &[*postmaster]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5432/a", "b"),
            "postgres://u@127.0.0.1:5432/b"
        );
        assert_eq!(
            with_database("postgres://u@h/a?sslmode=disable", "b"),
            "postgres://u@h/b?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "b"), "postgres://u@h/b");
    }
}
