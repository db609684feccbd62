//! Rate limits per client address: a token bucket per address, one budget for reads and one
//! for writes. A request over its budget is answered `429` with `Retry-After` before anything of
//! it is done (a write stores nothing; its body is not read).
//!
//! Each bucket holds up to a minute's budget and refills continuously (`per_minute / 60` tokens
//! a second), so a client may burst its whole minute and then goes at the steady rate. IPv6
//! clients are counted per `/64` (one household or server usually has a whole `/64`), IPv4 per
//! address. The client address is the one [`crate::http::client_ip`] finds: the TCP peer, or
//! the forwarded client when the peer is a trusted proxy.
//!
//! Memory is bounded: a bucket that has refilled to full is the same as no bucket, so at most
//! once a minute (and whenever a map reaches [`MAX_TRACKED`] addresses, at most once a second)
//! full buckets are dropped; if a map is still full of busy addresses, a new one displaces an
//! arbitrary one (it may then get a fresh budget, which is the price of a bound).
//!
//! Besides the per-address budgets, failed staff sign-ins are counted per e-mail address
//! ([`SignInThrottle`]), so that guessing one account's password is slow from any number of
//! addresses.

use crate::errors::ApiError;
use actix_web::http::Method;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most addresses tracked per budget (reads, writes): about 64 bytes each.
pub const MAX_TRACKED: usize = 65_536;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets keyed by client address for one budget. Times are passed in, so tests drive
/// the clock.
#[derive(Debug)]
pub struct Limiter {
    capacity: f64,
    per_sec: f64,
    max_tracked: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    buckets: HashMap<IpAddr, Bucket>,
    last_sweep: Option<Instant>,
}

impl Limiter {
    /// `per_minute` requests a minute (at least 1), with bursts of up to `per_minute`.
    pub fn new(per_minute: u32) -> Limiter {
        Self::with_cap(per_minute, MAX_TRACKED)
    }

    /// `per_hour` requests an hour (at least 1), with bursts of up to `per_hour`.
    pub fn per_hour(per_hour: u32) -> Limiter {
        let per_hour = f64::from(per_hour.max(1));
        Self::with_rate(per_hour, per_hour / 3600.0, MAX_TRACKED)
    }

    /// Like [`Limiter::new`] tracking at most `max_tracked` addresses.
    pub fn with_cap(per_minute: u32, max_tracked: usize) -> Limiter {
        let per_minute = f64::from(per_minute.max(1));
        Self::with_rate(per_minute, per_minute / 60.0, max_tracked)
    }

    /// Buckets of `capacity` tokens refilling at `per_sec` tokens a second.
    fn with_rate(capacity: f64, per_sec: f64, max_tracked: usize) -> Limiter {
        Limiter {
            capacity,
            per_sec,
            max_tracked: max_tracked.max(1),
            inner: Mutex::new(Inner {
                buckets: HashMap::new(),
                last_sweep: None,
            }),
        }
    }

    /// Takes a token for `ip` at `now`: `Ok(())`, or `Err(wait)` with how long until a token
    /// is available.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let key = bucket_key(ip);
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let due = inner
            .last_sweep
            .is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(60));
        let full = inner.buckets.len() >= self.max_tracked && !inner.buckets.contains_key(&key);
        let may_sweep_now = inner
            .last_sweep
            .is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(1));
        if due || (full && may_sweep_now) {
            self.sweep(&mut inner, now);
        }
        if inner.buckets.len() >= self.max_tracked && !inner.buckets.contains_key(&key) {
            if let Some(victim) = inner.buckets.keys().next().copied() {
                inner.buckets.remove(&victim);
            }
        }
        let (capacity, per_sec) = (self.capacity, self.per_sec);
        let b = inner.buckets.entry(key).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_sec).min(capacity);
        b.at = b.at.max(now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / per_sec))
        }
    }

    /// How many addresses are tracked.
    pub fn tracked(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .buckets
            .len()
    }

    /// Drops the buckets that have refilled to full by `now`.
    fn sweep(&self, inner: &mut Inner, now: Instant) {
        let (capacity, per_sec) = (self.capacity, self.per_sec);
        inner.buckets.retain(|_, b| {
            let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
            b.tokens + elapsed * per_sec < capacity
        });
        inner.last_sweep = Some(now);
    }
}

/// The address a budget is kept for: IPv4 as it is, IPv6 by its `/64` (an IPv4-mapped IPv6
/// address as the IPv4 one).
fn bucket_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// 127.0.0.0/8 and ::1, also written as IPv4-mapped IPv6.
fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The read and write budgets of a server; `None` where the setting is `0` (no limit).
#[derive(Debug)]
pub struct RateLimits {
    reads: Option<Limiter>,
    writes: Option<Limiter>,
    /// Suggestions from the public, an hourly budget besides the write budget.
    suggestions: Option<Limiter>,
    loopback: bool,
}

impl RateLimits {
    /// From the settings' `rate_limit_*` and `suggestions_per_hour`.
    pub fn new(
        reads_per_minute: u32,
        writes_per_minute: u32,
        suggestions_per_hour: u32,
        loopback: bool,
    ) -> RateLimits {
        let limiter = |n: u32| (n > 0).then(|| Limiter::new(n));
        RateLimits {
            reads: limiter(reads_per_minute),
            writes: limiter(writes_per_minute),
            suggestions: (suggestions_per_hour > 0)
                .then(|| Limiter::per_hour(suggestions_per_hour)),
            loopback,
        }
    }

    /// Takes a token of the suggestion budget for `ip`, unless `ip` is exempt: `Err` (the
    /// `429`) when it is spent.
    pub fn admit_suggestion(&self, ip: IpAddr) -> Result<(), ApiError> {
        if !self.loopback && is_loopback(ip) {
            return Ok(());
        }
        let Some(l) = &self.suggestions else {
            return Ok(());
        };
        l.check(ip, Instant::now()).map_err(|wait| {
            tracing::info!(client = %ip, "suggestions rate limited");
            let minutes = wait.as_secs().div_ceil(60).max(1);
            ApiError::too_many_requests(
                format!(
                    "Thank you — that is as many suggestions as we take from one address in an hour, and this one was not kept. Please try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ),
                u32::try_from(wait.as_secs().max(1)).unwrap_or(u32::MAX),
            )
        })
    }

    /// Takes a token of the budget `method` uses for `ip`, unless `ip` is exempt.
    pub fn check(&self, ip: IpAddr, method: &Method, now: Instant) -> Result<(), Duration> {
        if !self.loopback && is_loopback(ip) {
            return Ok(());
        }
        let limiter = if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            &self.reads
        } else {
            &self.writes
        };
        match limiter {
            Some(l) => l.check(ip, now),
            None => Ok(()),
        }
    }
}

/// Charges a request from `ip` to its budget: `Err` (the `429`) when the budget is spent.
pub fn admit(limits: &RateLimits, ip: IpAddr, method: &Method) -> Result<(), ApiError> {
    limits.check(ip, method, Instant::now()).map_err(|wait| {
        tracing::info!(client = %ip, method = %method, "rate limited");
        too_many(method, wait)
    })
}

/// The `429` for a client that must wait `wait`.
pub fn too_many(method: &Method, wait: Duration) -> ApiError {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let secs = u32::try_from(secs.max(1)).unwrap_or(u32::MAX);
    let what = if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        "reads"
    } else {
        "changes"
    };
    ApiError::too_many_requests(
        format!(
            "Too many {what} from your address in the last minute; nothing was done. Try again in {secs} second{}.",
            if secs == 1 { "" } else { "s" }
        ),
        secs,
    )
}

/// Failed sign-ins allowed per e-mail address in [`SIGN_IN_WINDOW`], whatever address they
/// come from (the per-address write budget limits each client too): then `429` until the
/// window ends. Guessing one account's password is slow; a success starts afresh.
pub const SIGN_IN_FAILURES: u32 = 10;

/// The window [`SIGN_IN_FAILURES`] are counted in.
pub const SIGN_IN_WINDOW: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Most e-mail addresses tracked by [`SignInThrottle`]; past it, expired entries are dropped
/// and, if none have expired, the address is not tracked (the per-address budget still holds).
const MAX_THROTTLED: usize = 10_000;

/// Failed sign-ins per e-mail address (lower-cased), in this process.
#[derive(Debug, Default)]
pub struct SignInThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<String, (u32, std::time::Instant)>>,
}

impl SignInThrottle {
    /// `Err` (a `429` with `Retry-After`) when `email` has failed too often lately.
    pub fn check(&self, email: &str, now: std::time::Instant) -> Result<(), ApiError> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(&email.to_lowercase()) {
            Some((n, since))
                if *n >= SIGN_IN_FAILURES && now.duration_since(*since) < SIGN_IN_WINDOW =>
            {
                let wait = SIGN_IN_WINDOW - now.duration_since(*since);
                Err(ApiError::too_many_requests(
                    format!(
                        "Too many failed sign-ins for this account lately; try again in {} minutes, or ask an admin to reset the password.",
                        wait.as_secs().div_ceil(60)
                    ),
                    u32::try_from(wait.as_secs().max(1)).unwrap_or(u32::MAX),
                ))
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed sign-in for `email`.
    pub fn failed(&self, email: &str, now: std::time::Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_THROTTLED {
            map.retain(|_, (_, since)| now.duration_since(*since) < SIGN_IN_WINDOW);
        }
        let key = email.to_lowercase();
        if map.len() >= MAX_THROTTLED && !map.contains_key(&key) {
            return;
        }
        let entry = map.entry(key).or_insert((0, now));
        if now.duration_since(entry.1) >= SIGN_IN_WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    /// Forgets `email`'s failures (it signed in).
    pub fn succeeded(&self, email: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&email.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_of_the_budget_then_refills_at_the_steady_rate() {
        let l = Limiter::new(6); // one token every 10 s
        let t0 = Instant::now();
        let a = ip("192.0.2.1");
        for i in 0..6 {
            assert!(l.check(a, t0).is_ok(), "request {i} of the burst");
        }
        assert_eq!(l.check(a, t0), Err(Duration::from_secs(10)));
        let wait = l.check(a, t0 + Duration::from_secs(4)).unwrap_err();
        assert!((wait.as_secs_f64() - 6.0).abs() < 1e-6, "{wait:?}");
        assert!(l.check(a, t0 + Duration::from_secs(10)).is_ok());
        assert!(l.check(a, t0 + Duration::from_secs(10)).is_err());
        // A long pause refills to the budget, never beyond it.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..6 {
            assert!(l.check(a, later).is_ok());
        }
        assert!(l.check(a, later).is_err());
        // Another address has its own bucket.
        assert!(l.check(ip("192.0.2.2"), t0).is_ok());
    }

    #[test]
    fn a_bucket_never_holds_more_than_the_budget_between_sweeps() {
        let l = Limiter::new(6);
        let t0 = Instant::now();
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert!(l.check(b, at(0)).is_ok()); // first sweep
        for _ in 0..6 {
            assert!(l.check(a, at(5)).is_ok());
        }
        assert!(l.check(b, at(60)).is_ok()); // a sweep; `a` is not full yet and stays
                                             // 105 s idle is 10.5 tokens' worth, but the bucket holds 6 (no sweep since 60 s).
        for _ in 0..6 {
            assert!(l.check(a, at(110)).is_ok());
        }
        assert!(l.check(a, at(110)).is_err());
    }

    #[test]
    fn an_hourly_budget_refills_over_the_hour() {
        let l = Limiter::per_hour(10); // one token every 6 minutes
        let t0 = Instant::now();
        let a = ip("192.0.2.7");
        for i in 0..10 {
            assert!(l.check(a, t0).is_ok(), "suggestion {i}");
        }
        assert_eq!(l.check(a, t0), Err(Duration::from_secs(360)));
        assert!(l.check(a, t0 + Duration::from_secs(360)).is_ok());
        assert!(l.check(a, t0 + Duration::from_secs(360)).is_err());
    }

    #[test]
    fn ipv6_is_counted_per_64() {
        let l = Limiter::new(1);
        let t0 = Instant::now();
        assert!(l.check(ip("2001:db8:1:2::1"), t0).is_ok());
        assert!(l.check(ip("2001:db8:1:2::ffff"), t0).is_err());
        assert!(l.check(ip("2001:db8:1:3::1"), t0).is_ok());
    }

    #[test]
    fn idle_addresses_are_swept_and_the_map_is_capped() {
        let l = Limiter::with_cap(60, 100);
        let t0 = Instant::now();
        for i in 0..100u32 {
            let _ = l.check(IpAddr::from(i.to_be_bytes()), t0);
        }
        assert_eq!(l.tracked(), 100);
        // At the cap with every bucket busy: a new address displaces one, the map stays bounded.
        assert!(l.check(ip("198.51.100.1"), t0).is_ok());
        assert_eq!(l.tracked(), 100);
        // Two minutes later every bucket has refilled: the sweep drops them all but the new one.
        assert!(l
            .check(ip("198.51.100.2"), t0 + Duration::from_secs(120))
            .is_ok());
        assert_eq!(l.tracked(), 1);
    }

    #[test]
    fn reads_and_writes_have_separate_budgets_and_loopback_is_exempt_by_default() {
        let t0 = Instant::now();
        let limits = RateLimits::new(2, 1, 0, false);
        let a = ip("203.0.113.9");
        assert!(limits.check(a, &Method::POST, t0).is_ok());
        assert!(limits.check(a, &Method::PUT, t0).is_err());
        assert!(limits.check(a, &Method::GET, t0).is_ok());
        assert!(limits.check(a, &Method::HEAD, t0).is_ok());
        assert!(limits.check(a, &Method::GET, t0).is_err());
        for lo in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            for _ in 0..10 {
                assert!(limits.check(ip(lo), &Method::POST, t0).is_ok(), "{lo}");
            }
        }
        let limits = RateLimits::new(2, 1, 0, true);
        assert!(limits.check(ip("::1"), &Method::POST, t0).is_ok());
        assert!(limits.check(ip("::1"), &Method::POST, t0).is_err());
        let off = RateLimits::new(0, 0, 0, true);
        for _ in 0..10 {
            assert!(off.check(a, &Method::POST, t0).is_ok());
        }
    }

    #[test]
    fn the_429_says_when_to_retry_in_whole_seconds() {
        let r = too_many(&Method::POST, Duration::from_millis(2_100)).error_response();
        assert_eq!(r.status(), actix_web::http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            r.headers()
                .get(actix_web::http::header::RETRY_AFTER)
                .unwrap(),
            "3"
        );
        let e = too_many(&Method::GET, Duration::from_millis(10));
        assert!(
            e.detail().contains("Try again in 1 second."),
            "{}",
            e.detail()
        );
    }

    #[test]
    fn an_account_is_throttled_after_ten_failures_in_fifteen_minutes() {
        let t = SignInThrottle::default();
        let start = std::time::Instant::now();
        for _ in 0..SIGN_IN_FAILURES {
            assert!(t.check("Priya@Example.org", start).is_ok());
            t.failed("priya@example.org", start);
        }
        let e = t.check("PRIYA@example.org", start).expect_err("throttled");
        assert_eq!(e.status().as_u16(), 429);
        assert!(t.check("other@example.org", start).is_ok());
        assert!(t.check("priya@example.org", start + SIGN_IN_WINDOW).is_ok());
        t.succeeded("priya@example.org");
        assert!(t.check("priya@example.org", start).is_ok());
    }
}
