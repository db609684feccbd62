//! Settings in one typed place: defaults, then a TOML file, then environment variables, then
//! command-line flags (each overrides the one before).

use assetmap_store::Timeouts;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where assets are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// The embedded store: one GeoPackage file, created and seeded on first start.
    GeoPackage(PathBuf),
    /// PostgreSQL + PostGIS, by connection URL (`postgres://…`).
    Postgis(String),
}

impl StoreLocation {
    /// A `postgres://` or `postgresql://` URL selects PostGIS; anything else is a file path.
    pub fn parse(s: &str) -> StoreLocation {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            StoreLocation::Postgis(s.to_owned())
        } else {
            StoreLocation::GeoPackage(PathBuf::from(s))
        }
    }

    /// The store's kind, as `AssetStore::kind` says it: `"geopackage"` or `"postgis"`.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreLocation::GeoPackage(_) => "geopackage",
            StoreLocation::Postgis(_) => "postgis",
        }
    }

    /// For logs: the path, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            StoreLocation::GeoPackage(p) => format!("GeoPackage {}", p.display()),
            StoreLocation::Postgis(url) => format!("PostGIS {}", redact_password(url)),
        }
    }
}

fn redact_password(url: &str) -> String {
    // postgres://user:secret@host/db → postgres://user:***@host/db
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// What to seed an empty store with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// The bundled Trafford dataset from `data/`.
    Bundled,
    /// N seeded synthetic assets (for load tests and the 100,000-asset browser test).
    Synthetic(usize),
    /// Nothing.
    Empty,
}

/// Every setting the server needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (tests).
    pub bind: SocketAddr,
    /// The store.
    pub store: StoreLocation,
    /// The data folder (bundled assets, boundaries, postcodes).
    pub data_dir: PathBuf,
    /// The place served: a place pack (`assetmap place build`) or a place definition (TOML);
    /// `None` serves `data_dir/place.toml` (the bundled place).
    pub place: Option<PathBuf>,
    /// What to seed an empty store with.
    pub seed: Seed,
    /// Bearer token that allows writes; `None` disables writes.
    pub admin_token: Option<String>,
    /// A MapLibre style URL for deployments with a base map; `None` draws ward boundaries.
    pub base_map_style: Option<String>,
    /// Shown in the page and the landing document; empty means "<the place's title> community
    /// assets" (see [`crate::state::AppState::title`]).
    pub title: String,
    /// Seconds between change-feed polls when the store gives no change signal.
    pub poll_interval_secs: f64,
    /// The URL clients reach us by (e.g. `https://assets.example.org`); when set, every absolute
    /// link and `Location` is built from it and request headers are not consulted.
    pub public_url: Option<String>,
    /// Peers whose `Forwarded` / `X-Forwarded-*` headers are believed (reverse proxies).
    pub trusted_proxies: Vec<IpAddr>,
    /// Origins (`https://host[:port]`) whose pages may write from a browser (CORS).
    pub cors_write_origins: Vec<String>,
    /// Seconds a client has to send the request line and headers.
    pub request_timeout_secs: u64,
    /// Seconds a client has to send a request body, once its headers have arrived.
    pub body_timeout_secs: u64,
    /// Reads (`GET`, `HEAD`, `OPTIONS`) a client address may make a minute, in bursts of up to
    /// as many; `0` = no limit.
    pub rate_limit_reads_per_minute: u32,
    /// Writes (`POST`, `PUT`, `DELETE`, …) a client address may make a minute; `0` = no limit.
    pub rate_limit_writes_per_minute: u32,
    /// Whether loopback clients (127.0.0.0/8, ::1) are limited too (they are exempt by default).
    pub rate_limit_loopback: bool,
    /// Hours a write's `Idempotency-Key` is kept (with its answer) for retries, from the write;
    /// 1 to [`MAX_IDEMPOTENCY_KEY_HOURS`].
    pub idempotency_key_hours: u32,
    /// Seconds one SQL statement may run (PostgreSQL `statement_timeout`); a PostGIS call is
    /// given up by the server itself one second after that.
    pub db_statement_timeout_secs: f64,
    /// Seconds a write waits for a lock: PostgreSQL `lock_timeout`, SQLite's busy timeout on
    /// the GeoPackage, and this process's own queue of writes.
    pub db_lock_timeout_secs: f64,
    /// Seconds a PostgreSQL session of ours may sit idle in an open transaction before the
    /// database ends it (`idle_in_transaction_session_timeout`), releasing its locks.
    pub db_idle_in_transaction_timeout_secs: f64,
    /// Seconds to open a PostgreSQL connection (TCP connect, start-up, authentication).
    pub db_connect_timeout_secs: f64,
    /// Seconds to wait for a free PostgreSQL connection from the pool.
    pub db_pool_wait_timeout_secs: f64,
    /// Seconds of idle before TCP keepalive probes on PostgreSQL connections; a database that
    /// stops answering is given up within about twice this.
    pub db_keepalive_secs: f64,
    /// Seconds a starting server keeps retrying a store it cannot reach before it gives up and
    /// exits; `0` = keep trying for ever.
    pub db_start_timeout_secs: f64,
    /// Seconds `/health` waits for the store to answer before it says `degraded`.
    pub health_timeout_secs: f64,
    /// Minutes a staff sign-in lasts (fractions allowed), from signing in; at most a week.
    pub session_minutes: f64,
    /// Whether the session cookie is marked `Secure` (sent over HTTPS only). Leave it on
    /// behind HTTPS; turn it off only to sign in over plain HTTP on a private network.
    pub session_cookie_secure: bool,
    /// Days a suggester's contact is kept after an editor decides the suggestion (fractions
    /// allowed), then erased; at most a year.
    pub suggestion_contact_days: f64,
    /// Suggestions one client address may make an hour (with bursts of as many); `0` = no
    /// limit. Loopback addresses are exempt unless `rate_limit_loopback` is on.
    pub suggestions_per_hour: u32,
    /// How long a place's check lasts before the stale report and the stewards' feeds list it:
    /// a number and `d`, `w`, `m` or `y` (e.g. `12m`).
    pub stale_after: String,
    /// Where the engine's snapshot is kept (see [`EngineSnapshot`]).
    pub engine_snapshot: EngineSnapshot,
    /// The fewest assets for which a snapshot is written: below this a start builds the engine
    /// from the store in about a second and a snapshot would only take disk.
    pub engine_snapshot_min_assets: usize,
    /// Whether an engine read from its snapshot keeps its records there (read back from the
    /// file, through the operating system's cache, for each asset handed out) instead of in
    /// memory: about 140 bytes an asset less resident memory, a file read per asset handed out.
    pub engine_records_in_snapshot: bool,
}

/// Where the engine's snapshot is kept: what a start reads instead of building the engine from
/// every row of the store (see `crate::engine_snapshot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineSnapshot {
    /// Beside a GeoPackage store (its path and `.engine`); none for PostGIS, where each
    /// process names its own local file.
    Auto,
    /// No snapshot: every start builds the engine from the store.
    Off,
    /// This file.
    At(PathBuf),
}

impl EngineSnapshot {
    /// `auto`, `off`, or a path.
    pub fn parse(v: &str) -> EngineSnapshot {
        match v.trim() {
            "auto" | "" => EngineSnapshot::Auto,
            "off" => EngineSnapshot::Off,
            path => EngineSnapshot::At(PathBuf::from(path)),
        }
    }
}

/// Fewer assets than this, and no snapshot is written by default.
pub const DEFAULT_ENGINE_SNAPSHOT_MIN_ASSETS: usize = 50_000;

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            store: StoreLocation::GeoPackage(PathBuf::from("var/assetmap.gpkg")),
            data_dir: default_data_dir(),
            place: None,
            seed: Seed::Bundled,
            admin_token: None,
            base_map_style: None,
            title: String::new(),
            poll_interval_secs: 1.0,
            public_url: None,
            trusted_proxies: Vec::new(),
            cors_write_origins: Vec::new(),
            request_timeout_secs: 10,
            body_timeout_secs: 10,
            rate_limit_reads_per_minute: 600,
            rate_limit_writes_per_minute: 60,
            rate_limit_loopback: false,
            idempotency_key_hours: 24,
            db_statement_timeout_secs: WAITS.statement.as_secs_f64(),
            db_lock_timeout_secs: WAITS.lock.as_secs_f64(),
            db_idle_in_transaction_timeout_secs: WAITS.idle_in_transaction.as_secs_f64(),
            db_connect_timeout_secs: WAITS.connect.as_secs_f64(),
            db_pool_wait_timeout_secs: WAITS.pool_wait.as_secs_f64(),
            db_keepalive_secs: WAITS.keepalive.as_secs_f64(),
            db_start_timeout_secs: 0.0,
            health_timeout_secs: 2.0,
            session_minutes: DEFAULT_SESSION_MINUTES,
            session_cookie_secure: true,
            suggestion_contact_days: DEFAULT_SUGGESTION_CONTACT_DAYS,
            suggestions_per_hour: 10,
            stale_after: "12m".into(),
            engine_snapshot: EngineSnapshot::Auto,
            engine_snapshot_min_assets: DEFAULT_ENGINE_SNAPSHOT_MIN_ASSETS,
            engine_records_in_snapshot: true,
        }
    }
}

/// A suggester's contact is kept for 30 days after the decision, for following up.
pub const DEFAULT_SUGGESTION_CONTACT_DAYS: f64 = 30.0;

/// The longest `suggestion_contact_days` may be.
const MAX_SUGGESTION_CONTACT_DAYS: f64 = 366.0;

/// A staff sign-in lasts a working day by default.
pub const DEFAULT_SESSION_MINUTES: f64 = 480.0;

/// The longest a sign-in may last: a week.
const MAX_SESSION_MINUTES: f64 = 7.0 * 24.0 * 60.0;

/// The store's own defaults for its waits (`assetmap_store::Timeouts::default`), which the
/// `db_*` settings default to.
const WAITS: Timeouts = Timeouts::DEFAULT;

/// The longest any wait setting may be: a day.
const MAX_WAIT_SECS: f64 = 86_400.0;

/// The wait settings: name (TOML key; the environment variable is `ASSETMAP_` and the name in
/// capitals) and whether `0` is allowed (it means "for ever" where it is).
const WAIT_SETTINGS: [(&str, bool); 8] = [
    ("db_statement_timeout_secs", false),
    ("db_lock_timeout_secs", false),
    ("db_idle_in_transaction_timeout_secs", false),
    ("db_connect_timeout_secs", false),
    ("db_pool_wait_timeout_secs", false),
    ("db_keepalive_secs", false),
    ("db_start_timeout_secs", true),
    ("health_timeout_secs", false),
];

/// `data/` in the working directory when it is there, else the repository's own `data/`
/// (so `cargo run` works from any folder of a checkout).
pub fn default_data_dir() -> PathBuf {
    let here = PathBuf::from("data");
    if here.join("place.toml").is_file() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// The TOML file's shape: every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub bind: Option<SocketAddr>,
    pub store: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub place: Option<PathBuf>,
    pub admin_token: Option<String>,
    pub base_map_style: Option<String>,
    pub title: Option<String>,
    pub poll_interval_secs: Option<f64>,
    pub public_url: Option<String>,
    pub trusted_proxies: Option<Vec<IpAddr>>,
    pub cors_write_origins: Option<Vec<String>>,
    pub request_timeout_secs: Option<u64>,
    pub body_timeout_secs: Option<u64>,
    pub rate_limit_reads_per_minute: Option<u32>,
    pub rate_limit_writes_per_minute: Option<u32>,
    pub rate_limit_loopback: Option<bool>,
    pub idempotency_key_hours: Option<u32>,
    pub db_statement_timeout_secs: Option<f64>,
    pub db_lock_timeout_secs: Option<f64>,
    pub db_idle_in_transaction_timeout_secs: Option<f64>,
    pub db_connect_timeout_secs: Option<f64>,
    pub db_pool_wait_timeout_secs: Option<f64>,
    pub db_keepalive_secs: Option<f64>,
    pub db_start_timeout_secs: Option<f64>,
    pub health_timeout_secs: Option<f64>,
    pub session_minutes: Option<f64>,
    pub session_cookie_secure: Option<bool>,
    pub suggestion_contact_days: Option<f64>,
    pub suggestions_per_hour: Option<u32>,
    pub stale_after: Option<String>,
    pub engine_snapshot: Option<String>,
    pub engine_snapshot_min_assets: Option<usize>,
    pub engine_records_in_snapshot: Option<bool>,
}

/// The one rule for an admin token from any layer: surrounding whitespace is not part of it,
/// and an empty or blank value means **no token** (writes disabled), never "the empty token".
fn admin_token(v: &str) -> Option<String> {
    Some(v.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A yes/no environment variable: `1`, `true`, `yes`, `on` or `0`, `false`, `no`, `off`, empty.
fn flag(name: &str, v: &str) -> anyhow::Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => anyhow::bail!("{name}={v:?} is not 1 or 0"),
    }
}

/// Environment variables read by [`Settings::layered`], with what they set.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("ASSETMAP_CONFIG", "path of a TOML settings file"),
    ("ASSETMAP_BIND", "listen address, e.g. 127.0.0.1:8080"),
    ("ASSETMAP_STORE", "GeoPackage path or postgres:// URL"),
    ("DATABASE_URL", "postgres:// URL; selects the PostGIS store"),
    ("ASSETMAP_DATA", "data folder"),
    (
        "ASSETMAP_PLACE",
        "place pack (or place definition) to serve",
    ),
    (
        "ASSETMAP_ADMIN_TOKEN",
        "bootstrap admin bearer token (acts as an admin with no account)",
    ),
    (
        "ASSETMAP_SESSION_MINUTES",
        "minutes a staff sign-in lasts (default 480)",
    ),
    (
        "ASSETMAP_SESSION_COOKIE_SECURE",
        "0 to send the session cookie over plain HTTP too (default 1: HTTPS only)",
    ),
    (
        "ASSETMAP_BASE_MAP_STYLE",
        "MapLibre style URL for a base map",
    ),
    ("ASSETMAP_TITLE", "site title"),
    (
        "ASSETMAP_PUBLIC_URL",
        "URL clients reach the server by, for links",
    ),
    (
        "ASSETMAP_TRUSTED_PROXIES",
        "comma-separated proxy IPs whose X-Forwarded-* headers are believed",
    ),
    (
        "ASSETMAP_CORS_WRITE_ORIGINS",
        "comma-separated origins allowed to write from a browser",
    ),
    (
        "ASSETMAP_REQUEST_TIMEOUT_SECS",
        "seconds to send request headers",
    ),
    (
        "ASSETMAP_BODY_TIMEOUT_SECS",
        "seconds to send a request body",
    ),
    (
        "ASSETMAP_RATE_LIMIT_READS_PER_MINUTE",
        "reads a client address may make a minute (0 = no limit)",
    ),
    (
        "ASSETMAP_RATE_LIMIT_WRITES_PER_MINUTE",
        "writes a client address may make a minute (0 = no limit)",
    ),
    (
        "ASSETMAP_RATE_LIMIT_LOOPBACK",
        "1 to rate-limit loopback clients too (exempt by default)",
    ),
    (
        "ASSETMAP_IDEMPOTENCY_KEY_HOURS",
        "hours a write's Idempotency-Key is kept for retries (default 24)",
    ),
    (
        "ASSETMAP_DB_STATEMENT_TIMEOUT_SECS",
        "seconds one SQL statement may run (PostgreSQL statement_timeout)",
    ),
    (
        "ASSETMAP_DB_LOCK_TIMEOUT_SECS",
        "seconds a write waits for a lock (PostgreSQL lock_timeout, SQLite busy timeout)",
    ),
    (
        "ASSETMAP_DB_IDLE_IN_TRANSACTION_TIMEOUT_SECS",
        "seconds before PostgreSQL ends a session idle in a transaction",
    ),
    (
        "ASSETMAP_DB_CONNECT_TIMEOUT_SECS",
        "seconds to open a PostgreSQL connection",
    ),
    (
        "ASSETMAP_DB_POOL_WAIT_TIMEOUT_SECS",
        "seconds to wait for a free pooled PostgreSQL connection",
    ),
    (
        "ASSETMAP_DB_KEEPALIVE_SECS",
        "seconds idle before TCP keepalive probes to PostgreSQL",
    ),
    (
        "ASSETMAP_DB_START_TIMEOUT_SECS",
        "seconds a starting server waits for its store (0 = for ever)",
    ),
    (
        "ASSETMAP_HEALTH_TIMEOUT_SECS",
        "seconds /health waits for the store before saying degraded",
    ),
    (
        "ASSETMAP_ENGINE_SNAPSHOT",
        "engine snapshot file: auto (beside a GeoPackage store), off, or a path",
    ),
    (
        "ASSETMAP_ENGINE_SNAPSHOT_MIN_ASSETS",
        "fewest assets for which a snapshot is written (default 50000)",
    ),
    (
        "ASSETMAP_ENGINE_RECORDS_IN_SNAPSHOT",
        "1 (default): an engine read from its snapshot reads records from the file; 0: keeps them in memory",
    ),
    (
        "ASSETMAP_LOG",
        "log filter, e.g. info or assetmap_server=debug",
    ),
    (
        "ASSETMAP_LOG_FORMAT",
        "log format: text (the default) or json (one JSON object a line)",
    ),
];

impl Settings {
    /// Defaults, overridden by the TOML file (if given or named in `ASSETMAP_CONFIG`), then by
    /// environment variables. Command-line flags are applied by the caller afterwards.
    pub fn layered(
        config_file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Settings> {
        let mut s = Settings::default();
        let file = config_file
            .map(Path::to_path_buf)
            .or_else(|| env("ASSETMAP_CONFIG").map(PathBuf::from));
        if let Some(path) = file {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                anyhow::anyhow!("Failed to read the settings file {}: {e}", path.display())
            })?;
            let f: FileSettings = toml::from_str(&text).map_err(|e| {
                anyhow::anyhow!("The settings file {} is not valid: {e}", path.display())
            })?;
            s.apply_file(f);
        }
        if let Some(v) = env("ASSETMAP_BIND") {
            s.bind = v.parse().map_err(|_| {
                anyhow::anyhow!("ASSETMAP_BIND={v:?} is not an address like 127.0.0.1:8080")
            })?;
        }
        if let Some(v) = env("DATABASE_URL") {
            s.store = StoreLocation::parse(&v);
        }
        if let Some(v) = env("ASSETMAP_STORE") {
            s.store = StoreLocation::parse(&v);
        }
        if let Some(v) = env("ASSETMAP_DATA") {
            s.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("ASSETMAP_PLACE") {
            s.place = Some(PathBuf::from(v));
        }
        if let Some(v) = env("ASSETMAP_ADMIN_TOKEN") {
            s.admin_token = admin_token(&v);
        }
        if let Some(v) = env("ASSETMAP_BASE_MAP_STYLE") {
            s.base_map_style = Some(v).filter(|t| !t.is_empty());
        }
        if let Some(v) = env("ASSETMAP_TITLE") {
            s.title = v;
        }
        if let Some(v) = env("ASSETMAP_PUBLIC_URL") {
            s.public_url = Some(v).filter(|t| !t.is_empty());
        }
        if let Some(v) = env("ASSETMAP_TRUSTED_PROXIES") {
            s.trusted_proxies = list(&v)
                .map(|ip| {
                    ip.parse().map_err(|_| {
                        anyhow::anyhow!("ASSETMAP_TRUSTED_PROXIES: {ip:?} is not an IP address")
                    })
                })
                .collect::<anyhow::Result<_>>()?;
        }
        if let Some(v) = env("ASSETMAP_CORS_WRITE_ORIGINS") {
            s.cors_write_origins = list(&v).map(str::to_owned).collect();
        }
        for (name, field) in [
            ("ASSETMAP_REQUEST_TIMEOUT_SECS", &mut s.request_timeout_secs),
            ("ASSETMAP_BODY_TIMEOUT_SECS", &mut s.body_timeout_secs),
        ] {
            if let Some(v) = env(name) {
                *field = v.parse().map_err(|_| {
                    anyhow::anyhow!("{name}={v:?} is not a whole number of seconds")
                })?;
            }
        }
        for (name, field) in [
            (
                "ASSETMAP_RATE_LIMIT_READS_PER_MINUTE",
                &mut s.rate_limit_reads_per_minute,
            ),
            (
                "ASSETMAP_RATE_LIMIT_WRITES_PER_MINUTE",
                &mut s.rate_limit_writes_per_minute,
            ),
        ] {
            if let Some(v) = env(name) {
                *field = v.trim().parse().map_err(|_| {
                    anyhow::anyhow!("{name}={v:?} is not a whole number of requests (0 = no limit)")
                })?;
            }
        }
        if let Some(v) = env("ASSETMAP_IDEMPOTENCY_KEY_HOURS") {
            s.idempotency_key_hours = v.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "ASSETMAP_IDEMPOTENCY_KEY_HOURS={v:?} is not a whole number of hours (1 to {MAX_IDEMPOTENCY_KEY_HOURS})"
                )
            })?;
        }
        for (name, _) in WAIT_SETTINGS {
            let var = format!("ASSETMAP_{}", name.to_ascii_uppercase());
            if let Some(v) = env(&var) {
                *s.wait_mut(name) = v.trim().parse().map_err(|_| {
                    anyhow::anyhow!("{var}={v:?} is not a number of seconds (e.g. 5 or 0.5)")
                })?;
            }
        }
        if let Some(v) = env("ASSETMAP_RATE_LIMIT_LOOPBACK") {
            s.rate_limit_loopback = flag("ASSETMAP_RATE_LIMIT_LOOPBACK", &v)?;
        }
        if let Some(v) = env("ASSETMAP_SESSION_COOKIE_SECURE") {
            s.session_cookie_secure = flag("ASSETMAP_SESSION_COOKIE_SECURE", &v)?;
        }
        if let Some(v) = env("ASSETMAP_SUGGESTION_CONTACT_DAYS") {
            s.suggestion_contact_days = v.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "ASSETMAP_SUGGESTION_CONTACT_DAYS={v:?} is not a number of days (e.g. 30)"
                )
            })?;
        }
        if let Some(v) = env("ASSETMAP_SUGGESTIONS_PER_HOUR") {
            s.suggestions_per_hour = v.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "ASSETMAP_SUGGESTIONS_PER_HOUR={v:?} is not a whole number of suggestions (0 = no limit)"
                )
            })?;
        }
        if let Some(v) = env("ASSETMAP_STALE_AFTER") {
            s.stale_after = v.trim().to_owned();
        }
        if let Some(v) = env("ASSETMAP_ENGINE_SNAPSHOT") {
            s.engine_snapshot = EngineSnapshot::parse(&v);
        }
        if let Some(v) = env("ASSETMAP_ENGINE_SNAPSHOT_MIN_ASSETS") {
            s.engine_snapshot_min_assets = v.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "ASSETMAP_ENGINE_SNAPSHOT_MIN_ASSETS={v:?} is not a whole number of assets (e.g. 50000)"
                )
            })?;
        }
        if let Some(v) = env("ASSETMAP_ENGINE_RECORDS_IN_SNAPSHOT") {
            s.engine_records_in_snapshot = flag("ASSETMAP_ENGINE_RECORDS_IN_SNAPSHOT", &v)?;
        }
        if let Some(v) = env("ASSETMAP_SESSION_MINUTES") {
            s.session_minutes = v.trim().parse().map_err(|_| {
                anyhow::anyhow!(
                    "ASSETMAP_SESSION_MINUTES={v:?} is not a number of minutes (e.g. 480)"
                )
            })?;
        }
        s.check_http()?;
        s.check_waits()?;
        Ok(s)
    }

    /// The wait setting called `name` (one of [`WAIT_SETTINGS`]).
    fn wait_mut(&mut self, name: &str) -> &mut f64 {
        match name {
            "db_statement_timeout_secs" => &mut self.db_statement_timeout_secs,
            "db_lock_timeout_secs" => &mut self.db_lock_timeout_secs,
            "db_idle_in_transaction_timeout_secs" => &mut self.db_idle_in_transaction_timeout_secs,
            "db_connect_timeout_secs" => &mut self.db_connect_timeout_secs,
            "db_pool_wait_timeout_secs" => &mut self.db_pool_wait_timeout_secs,
            "db_keepalive_secs" => &mut self.db_keepalive_secs,
            "db_start_timeout_secs" => &mut self.db_start_timeout_secs,
            "health_timeout_secs" => &mut self.health_timeout_secs,
            other => unreachable!("{other} is not a wait setting"),
        }
    }

    /// Checks the wait settings: each a number of seconds above 0 (or 0 where that means
    /// "for ever") and at most a day.
    pub fn check_waits(&mut self) -> anyhow::Result<()> {
        for (name, zero_allowed) in WAIT_SETTINGS {
            let v = *self.wait_mut(name);
            let low_ok = if zero_allowed { v >= 0.0 } else { v > 0.0 };
            if !(low_ok && v <= MAX_WAIT_SECS) {
                let least = if zero_allowed {
                    "0 (for ever) or more"
                } else {
                    "more than 0"
                };
                anyhow::bail!(
                    "{name} = {v} must be a number of seconds, {least} and at most {MAX_WAIT_SECS}"
                );
            }
        }
        Ok(())
    }

    /// The store's bounds on waiting, from the `db_*` settings (checked by
    /// [`Settings::check_waits`]).
    pub fn store_timeouts(&self) -> Timeouts {
        Timeouts {
            statement: secs(self.db_statement_timeout_secs),
            lock: secs(self.db_lock_timeout_secs),
            idle_in_transaction: secs(self.db_idle_in_transaction_timeout_secs),
            connect: secs(self.db_connect_timeout_secs),
            pool_wait: secs(self.db_pool_wait_timeout_secs),
            keepalive: secs(self.db_keepalive_secs),
        }
    }

    /// How long a write waits for the writes queued before it in this process.
    pub fn write_queue_timeout(&self) -> Duration {
        secs(self.db_lock_timeout_secs)
    }

    /// How long `/health` waits for the store.
    pub fn health_timeout(&self) -> Duration {
        secs(self.health_timeout_secs)
    }

    /// The engine snapshot's file, if there is to be one: `engine_snapshot` as set, `auto`
    /// meaning beside a GeoPackage store (`var/assetmap.gpkg.engine`) and none for PostGIS.
    pub fn engine_snapshot_path(&self) -> Option<PathBuf> {
        match (&self.engine_snapshot, &self.store) {
            (EngineSnapshot::Off, _) | (EngineSnapshot::Auto, StoreLocation::Postgis(_)) => None,
            (EngineSnapshot::At(path), _) => Some(path.clone()),
            (EngineSnapshot::Auto, StoreLocation::GeoPackage(store)) => {
                let mut name = store.as_os_str().to_owned();
                name.push(".engine");
                Some(PathBuf::from(name))
            }
        }
    }

    /// How long a starting server waits for its store; `None` = for ever.
    pub fn start_timeout(&self) -> Option<Duration> {
        (self.db_start_timeout_secs > 0.0).then(|| secs(self.db_start_timeout_secs))
    }

    /// How long a staff sign-in lasts.
    pub fn session_length(&self) -> chrono::Duration {
        chrono::Duration::milliseconds((self.session_minutes * 60_000.0) as i64)
    }

    /// How long a suggester's contact is kept after the decision.
    pub fn suggestion_contact_kept(&self) -> chrono::Duration {
        chrono::Duration::milliseconds((self.suggestion_contact_days * 86_400_000.0) as i64)
    }

    /// Normalises and checks the HTTP-facing settings (public URL, CORS origins, timeouts,
    /// sessions).
    pub fn check_http(&mut self) -> anyhow::Result<()> {
        if !(self.suggestion_contact_days > 0.0
            && self.suggestion_contact_days <= MAX_SUGGESTION_CONTACT_DAYS)
        {
            anyhow::bail!(
                "suggestion_contact_days = {} must be more than 0 and at most {MAX_SUGGESTION_CONTACT_DAYS}",
                self.suggestion_contact_days
            );
        }
        let today = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
        assetmap_analysis::checks::cutoff(today, &self.stale_after)
            .map_err(|e| anyhow::anyhow!("stale_after = {e}"))?;
        if !(self.session_minutes > 0.0 && self.session_minutes <= MAX_SESSION_MINUTES) {
            anyhow::bail!(
                "session_minutes = {} must be more than 0 and at most {MAX_SESSION_MINUTES} (a week)",
                self.session_minutes
            );
        }
        if let Some(u) = &self.public_url {
            let trimmed = u.trim_end_matches('/');
            let ok = (trimmed.starts_with("http://") || trimmed.starts_with("https://"))
                && trimmed.parse::<actix_web::http::Uri>().is_ok()
                && !trimmed.contains(['?', '#', ' ']);
            if !ok {
                anyhow::bail!(
                    "public_url {u:?} is not an absolute http(s) URL like https://assets.example.org"
                );
            }
            self.public_url = Some(trimmed.to_owned());
        }
        for o in &mut self.cors_write_origins {
            *o = o.trim_end_matches('/').to_owned();
            if !(o.starts_with("http://") || o.starts_with("https://")) {
                anyhow::bail!(
                    "cors_write_origins: {o:?} is not an origin like https://example.org"
                );
            }
        }
        if self.request_timeout_secs == 0 || self.body_timeout_secs == 0 {
            anyhow::bail!("request_timeout_secs and body_timeout_secs must be at least 1");
        }
        for (name, v) in [
            (
                "rate_limit_reads_per_minute",
                self.rate_limit_reads_per_minute,
            ),
            (
                "rate_limit_writes_per_minute",
                self.rate_limit_writes_per_minute,
            ),
        ] {
            if v > MAX_PER_MINUTE {
                anyhow::bail!("{name} = {v} is more than {MAX_PER_MINUTE}; use 0 for no limit");
            }
        }
        if !(1..=MAX_IDEMPOTENCY_KEY_HOURS).contains(&self.idempotency_key_hours) {
            anyhow::bail!(
                "idempotency_key_hours = {} is not from 1 to {MAX_IDEMPOTENCY_KEY_HOURS}",
                self.idempotency_key_hours
            );
        }
        Ok(())
    }

    fn apply_file(&mut self, f: FileSettings) {
        if let Some(v) = f.bind {
            self.bind = v;
        }
        if let Some(v) = f.database_url {
            self.store = StoreLocation::parse(&v);
        }
        if let Some(v) = f.store {
            self.store = StoreLocation::parse(&v);
        }
        if let Some(v) = f.data_dir {
            self.data_dir = v;
        }
        if let Some(v) = f.place {
            self.place = Some(v);
        }
        if let Some(v) = f.admin_token {
            self.admin_token = admin_token(&v);
        }
        if let Some(v) = f.session_minutes {
            self.session_minutes = v;
        }
        if let Some(v) = f.session_cookie_secure {
            self.session_cookie_secure = v;
        }
        if let Some(v) = f.suggestion_contact_days {
            self.suggestion_contact_days = v;
        }
        if let Some(v) = f.suggestions_per_hour {
            self.suggestions_per_hour = v;
        }
        if let Some(v) = f.stale_after {
            self.stale_after = v;
        }
        if let Some(v) = f.engine_snapshot {
            self.engine_snapshot = EngineSnapshot::parse(&v);
        }
        if let Some(v) = f.engine_snapshot_min_assets {
            self.engine_snapshot_min_assets = v;
        }
        if let Some(v) = f.engine_records_in_snapshot {
            self.engine_records_in_snapshot = v;
        }
        if f.base_map_style.is_some() {
            self.base_map_style = f.base_map_style;
        }
        if let Some(v) = f.title {
            self.title = v;
        }
        if let Some(v) = f.poll_interval_secs {
            self.poll_interval_secs = v;
        }
        if f.public_url.is_some() {
            self.public_url = f.public_url;
        }
        if let Some(v) = f.trusted_proxies {
            self.trusted_proxies = v;
        }
        if let Some(v) = f.cors_write_origins {
            self.cors_write_origins = v;
        }
        if let Some(v) = f.request_timeout_secs {
            self.request_timeout_secs = v;
        }
        if let Some(v) = f.body_timeout_secs {
            self.body_timeout_secs = v;
        }
        if let Some(v) = f.rate_limit_reads_per_minute {
            self.rate_limit_reads_per_minute = v;
        }
        if let Some(v) = f.rate_limit_writes_per_minute {
            self.rate_limit_writes_per_minute = v;
        }
        if let Some(v) = f.rate_limit_loopback {
            self.rate_limit_loopback = v;
        }
        if let Some(v) = f.idempotency_key_hours {
            self.idempotency_key_hours = v;
        }
        for (name, value) in [
            ("db_statement_timeout_secs", f.db_statement_timeout_secs),
            ("db_lock_timeout_secs", f.db_lock_timeout_secs),
            (
                "db_idle_in_transaction_timeout_secs",
                f.db_idle_in_transaction_timeout_secs,
            ),
            ("db_connect_timeout_secs", f.db_connect_timeout_secs),
            ("db_pool_wait_timeout_secs", f.db_pool_wait_timeout_secs),
            ("db_keepalive_secs", f.db_keepalive_secs),
            ("db_start_timeout_secs", f.db_start_timeout_secs),
            ("health_timeout_secs", f.health_timeout_secs),
        ] {
            if let Some(v) = value {
                *self.wait_mut(name) = v;
            }
        }
    }
}

/// The longest time an `Idempotency-Key` may be kept: 30 days, in hours.
pub const MAX_IDEMPOTENCY_KEY_HOURS: u32 = 720;

/// A checked number of seconds as a duration (out-of-range values, which
/// [`Settings::check_waits`] refuses, become 0 or a day rather than a panic).
fn secs(v: f64) -> Duration {
    Duration::try_from_secs_f64(v.clamp(0.0, MAX_WAIT_SECS)).unwrap_or_default()
}

/// The largest rate limit accepted (a million requests a minute); `0` turns a limit off.
pub const MAX_PER_MINUTE: u32 = 1_000_000;

/// The non-empty items of a comma-separated list.
fn list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|x| !x.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn layers_file_then_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("assetmap.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:9000\"\nstore = \"/tmp/a.gpkg\"\ntitle = \"From file\"\n",
        )
        .unwrap();
        let env: HashMap<&str, &str> = [
            ("ASSETMAP_BIND", "127.0.0.1:9100"),
            ("DATABASE_URL", "postgres://u:secret@127.0.0.1/db"),
        ]
        .into();
        let s = Settings::layered(Some(&file), |k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(s.bind.port(), 9100, "env beats file");
        assert_eq!(s.title, "From file");
        assert_eq!(
            s.store,
            StoreLocation::Postgis("postgres://u:secret@127.0.0.1/db".into())
        );
        assert_eq!(s.store.describe(), "PostGIS postgres://u:***@127.0.0.1/db");
    }

    #[test]
    fn a_blank_admin_token_means_no_token_in_every_layer() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        for blank in ["", "   ", "\\t"] {
            std::fs::write(&file, format!("admin_token = \"{blank}\"\n")).unwrap();
            let s = Settings::layered(Some(&file), |_| None).unwrap();
            assert_eq!(s.admin_token, None, "file {blank:?}");
            let s = Settings::layered(None, |k| {
                (k == "ASSETMAP_ADMIN_TOKEN").then(|| blank.replace("\\t", "\t"))
            })
            .unwrap();
            assert_eq!(s.admin_token, None, "env {blank:?}");
        }
        // A blank environment value also clears a token set in the file.
        std::fs::write(&file, "admin_token = \"secret\"\n").unwrap();
        let s = Settings::layered(Some(&file), |k| {
            (k == "ASSETMAP_ADMIN_TOKEN").then(String::new)
        })
        .unwrap();
        assert_eq!(s.admin_token, None);
        let s = Settings::layered(Some(&file), |_| None).unwrap();
        assert_eq!(s.admin_token.as_deref(), Some("secret"));
    }

    #[test]
    fn http_settings_from_file_and_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("assetmap.toml");
        std::fs::write(
            &file,
            "public_url = \"https://maps.example.org/\"\ntrusted_proxies = [\"10.0.0.1\"]\nbody_timeout_secs = 30\n",
        )
        .unwrap();
        let env: HashMap<&str, &str> = [
            ("ASSETMAP_TRUSTED_PROXIES", "127.0.0.1, ::1"),
            ("ASSETMAP_CORS_WRITE_ORIGINS", "https://admin.example.org/"),
        ]
        .into();
        let s = Settings::layered(Some(&file), |k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(s.public_url.as_deref(), Some("https://maps.example.org"));
        assert_eq!(s.trusted_proxies.len(), 2, "env beats file");
        assert_eq!(s.cors_write_origins, ["https://admin.example.org"]);
        assert_eq!((s.request_timeout_secs, s.body_timeout_secs), (10, 30));
        for (k, v) in [
            ("ASSETMAP_PUBLIC_URL", "maps.example.org"),
            ("ASSETMAP_TRUSTED_PROXIES", "proxy.local"),
            ("ASSETMAP_BODY_TIMEOUT_SECS", "0"),
        ] {
            assert!(
                Settings::layered(None, |x| (x == k).then(|| v.to_string())).is_err(),
                "{k}={v}"
            );
        }
    }

    #[test]
    fn rate_limits_from_file_and_env() {
        let s = Settings::layered(None, |_| None).unwrap();
        assert_eq!(
            (
                s.rate_limit_reads_per_minute,
                s.rate_limit_writes_per_minute,
                s.rate_limit_loopback
            ),
            (600, 60, false)
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(
            &file,
            "rate_limit_reads_per_minute = 100\nrate_limit_writes_per_minute = 0\nrate_limit_loopback = true\n",
        )
        .unwrap();
        let s = Settings::layered(Some(&file), |k| {
            (k == "ASSETMAP_RATE_LIMIT_READS_PER_MINUTE").then(|| "7".to_string())
        })
        .unwrap();
        assert_eq!(
            (
                s.rate_limit_reads_per_minute,
                s.rate_limit_writes_per_minute,
                s.rate_limit_loopback
            ),
            (7, 0, true),
            "env beats file"
        );
        let s = Settings::layered(Some(&file), |k| {
            (k == "ASSETMAP_RATE_LIMIT_LOOPBACK").then(|| "0".to_string())
        })
        .unwrap();
        assert!(!s.rate_limit_loopback);
        for (k, v) in [
            ("ASSETMAP_RATE_LIMIT_READS_PER_MINUTE", "-1"),
            ("ASSETMAP_RATE_LIMIT_WRITES_PER_MINUTE", "lots"),
            ("ASSETMAP_RATE_LIMIT_WRITES_PER_MINUTE", "1000001"),
            ("ASSETMAP_RATE_LIMIT_LOOPBACK", "maybe"),
        ] {
            assert!(
                Settings::layered(None, |x| (x == k).then(|| v.to_string())).is_err(),
                "{k}={v}"
            );
        }
    }

    #[test]
    fn idempotency_key_hours_from_file_and_env() {
        assert_eq!(
            Settings::layered(None, |_| None)
                .unwrap()
                .idempotency_key_hours,
            24
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(&file, "idempotency_key_hours = 48\n").unwrap();
        assert_eq!(
            Settings::layered(Some(&file), |_| None)
                .unwrap()
                .idempotency_key_hours,
            48
        );
        let s = Settings::layered(Some(&file), |k| {
            (k == "ASSETMAP_IDEMPOTENCY_KEY_HOURS").then(|| "2".to_string())
        })
        .unwrap();
        assert_eq!(s.idempotency_key_hours, 2, "env beats file");
        for v in ["0", "721", "-1", "a day"] {
            assert!(
                Settings::layered(None, |k| {
                    (k == "ASSETMAP_IDEMPOTENCY_KEY_HOURS").then(|| v.to_string())
                })
                .is_err(),
                "{v}"
            );
        }
    }

    #[test]
    fn waits_from_file_and_env() {
        let s = Settings::layered(None, |_| None).unwrap();
        assert_eq!(s.store_timeouts(), Timeouts::default());
        assert_eq!(s.health_timeout(), Duration::from_secs(2));
        assert_eq!(
            s.start_timeout(),
            None,
            "waits for the store for ever by default"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(
            &file,
            "db_statement_timeout_secs = 3\ndb_lock_timeout_secs = 0.5\ndb_start_timeout_secs = 60\nhealth_timeout_secs = 1\n",
        )
        .unwrap();
        let s = Settings::layered(Some(&file), |k| {
            (k == "ASSETMAP_DB_STATEMENT_TIMEOUT_SECS").then(|| "1.5".to_string())
        })
        .unwrap();
        let t = s.store_timeouts();
        assert_eq!(
            (t.statement, t.lock, t.connect),
            (
                Duration::from_millis(1500),
                Duration::from_millis(500),
                Timeouts::default().connect
            ),
            "env beats file, file beats defaults"
        );
        assert_eq!(s.write_queue_timeout(), Duration::from_millis(500));
        assert_eq!(s.start_timeout(), Some(Duration::from_secs(60)));
        assert_eq!(s.health_timeout(), Duration::from_secs(1));
        for (k, v) in [
            ("ASSETMAP_DB_LOCK_TIMEOUT_SECS", "0"),
            ("ASSETMAP_DB_STATEMENT_TIMEOUT_SECS", "-1"),
            ("ASSETMAP_HEALTH_TIMEOUT_SECS", "soon"),
            ("ASSETMAP_DB_KEEPALIVE_SECS", "NaN"),
            ("ASSETMAP_DB_CONNECT_TIMEOUT_SECS", "1e9"),
            ("ASSETMAP_DB_START_TIMEOUT_SECS", "-0.1"),
        ] {
            assert!(
                Settings::layered(None, |x| (x == k).then(|| v.to_string())).is_err(),
                "{k}={v}"
            );
        }
        assert!(Settings::layered(None, |x| {
            (x == "ASSETMAP_DB_START_TIMEOUT_SECS").then(|| "0".to_string())
        })
        .is_ok());
    }

    #[test]
    fn rejects_unknown_keys_and_bad_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(&file, "colour = 1\n").unwrap();
        assert!(Settings::layered(Some(&file), |_| None)
            .unwrap_err()
            .to_string()
            .contains("colour"));
        assert!(
            Settings::layered(None, |k| (k == "ASSETMAP_BIND").then(|| "nope".to_string()))
                .is_err()
        );
    }
}
