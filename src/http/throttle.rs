//! Sign-in throttling, per server: at most so many attempts per username and per client address,
//! and a bound on password hashes computed at once with a short queue. Beyond them the answer is
//! 429 at once, so a flood of logins costs neither memory (19 MiB per hash) nor other requests'
//! latency.
//!
//! Hashes run on threads of their own, as many as may hash at once, rather than on tokio's
//! blocking pool (up to 512 threads). Peak memory still grows by about 15 MB per hash done (see
//! README, Speed): the rate limits keep that count low.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::ApiError;
use crate::config::LoginLimits;
use crate::domain::Label;
use crate::domain::digits::to_persian_digits;

/// Keys remembered at most per limit; past this, new keys go uncounted until old ones expire
/// (the hashing bound still holds).
const MAX_KEYS: usize = 100_000;
/// The longest username kept as a key.
const MAX_KEY_CHARS: usize = 64;

/// The sign-in limits of one server.
pub struct LoginThrottle {
    per_username: Option<KeyedRate<String>>,
    per_address: Option<KeyedRate<IpAddr>>,
    admission: Arc<Semaphore>,
    hashing: Arc<Semaphore>,
    threads: Arc<rayon::ThreadPool>,
}

impl LoginThrottle {
    pub fn new(limits: &LoginLimits) -> Self {
        let concurrency = limits.hash_concurrency.max(1);
        LoginThrottle {
            per_username: KeyedRate::per_minute(limits.per_username_per_minute),
            per_address: KeyedRate::per_minute(limits.per_address_per_minute),
            admission: Arc::new(Semaphore::new(concurrency + limits.hash_queue)),
            hashing: Arc::new(Semaphore::new(concurrency)),
            threads: Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(concurrency)
                    .thread_name(|i| format!("password-hash-{i}"))
                    // A panicking hash drops its answer (a 500), not the process.
                    .panic_handler(|_| {})
                    .build()
                    .expect("hashing threads start"),
            ),
        }
    }

    /// Counts an attempt against the address's and the username's limits.
    pub fn admit(&self, address: IpAddr, username: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        if let Some(rate) = &self.per_address {
            rate.check(address_key(address), now).map_err(|wait| {
                too_many(
                    wait,
                    "تلاش‌های ورود از این نشانی بیش از حد است",
                    "too many sign-in attempts from this address",
                )
            })?;
        }
        if let Some(rate) = &self.per_username {
            let key: String = username.chars().take(MAX_KEY_CHARS).collect();
            rate.check(key, now).map_err(|wait| {
                too_many(
                    wait,
                    "تلاش‌های ورود با این نام کاربری بیش از حد است",
                    "too many sign-in attempts for this username",
                )
            })?;
        }
        Ok(())
    }

    /// A slot to hash a password in: waits in the short queue, or is refused (429 `busy`) when the
    /// queue is full.
    pub async fn hash_slot(&self) -> Result<HashSlot, ApiError> {
        let admitted = self
            .admission
            .clone()
            .try_acquire_owned()
            .map_err(|_| busy())?;
        let hashing = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| busy())?;
        Ok(HashSlot {
            _admitted: admitted,
            _hashing: hashing,
            threads: self.threads.clone(),
        })
    }
}

/// The right to compute one password hash.
pub struct HashSlot {
    _admitted: OwnedSemaphorePermit,
    _hashing: OwnedSemaphorePermit,
    threads: Arc<rayon::ThreadPool>,
}

impl HashSlot {
    /// Runs `work` on a hashing thread. The slot is freed when the work ends, not when the
    /// request does: an abandoned request cannot leave a hash running outside the bound.
    pub async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let threads = self.threads.clone();
        threads.spawn(move || {
            let _slot = self;
            let _ = tx.send(work());
        });
        rx.await
            .map_err(|_| ApiError::internal("a password hash panicked"))
    }
}

/// The address as counted: an IPv6 client is its /64 network (one household or site, which may
/// use any address in it); an IPv4-mapped one is its IPv4 address.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u64::MAX as u128))),
        },
        v4 => v4,
    }
}

fn too_many(wait: Duration, fa: &str, en: &str) -> ApiError {
    let seconds = wait.as_millis().div_ceil(1000).max(1) as i64;
    ApiError::TooManyRequests {
        code: "too_many_attempts",
        message: Label::new(
            format!(
                "{fa}؛ {} ثانیه دیگر دوباره تلاش کنید",
                to_persian_digits(&seconds.to_string())
            ),
            format!(
                "{en}; try again in {}",
                crate::domain::label::count(seconds as u64, "second", "seconds")
            ),
        ),
        retry_after_seconds: seconds,
    }
}

fn busy() -> ApiError {
    ApiError::TooManyRequests {
        code: "busy",
        message: Label::new(
            "سامانه اکنون درخواست‌های ورود بسیاری دارد؛ یک ثانیه دیگر دوباره تلاش کنید",
            "the server is handling too many sign-ins right now; try again in a second",
        ),
        retry_after_seconds: 1,
    }
}

/// A rate per key (GCRA): a burst of `n`, then one every `interval`. Each key keeps one instant,
/// the time its bucket is empty again; expired keys are pruned as the map grows.
struct KeyedRate<K> {
    interval: Duration,
    window: Duration,
    state: Mutex<RateState<K>>,
}

struct RateState<K> {
    free_at: HashMap<K, Instant>,
    pruned_at: Option<Instant>,
}

impl<K: Hash + Eq> KeyedRate<K> {
    /// `n` attempts per minute; `None` when `n` is 0 (no limit).
    fn per_minute(n: u32) -> Option<Self> {
        (n > 0).then(|| {
            let interval = Duration::from_secs(60) / n;
            KeyedRate {
                interval,
                window: interval * n,
                state: Mutex::new(RateState {
                    free_at: HashMap::new(),
                    pruned_at: None,
                }),
            }
        })
    }

    /// Counts one attempt for `key` at `now`, or says how long to wait.
    fn check(&self, key: K, now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let prune_due = state
            .pruned_at
            .is_none_or(|at| now.saturating_duration_since(at) >= Duration::from_secs(1));
        if state.free_at.len() >= MAX_KEYS / 2 && prune_due {
            state.free_at.retain(|_, t| *t > now);
            state.pruned_at = Some(now);
        }
        let free_at = state
            .free_at
            .get(&key)
            .copied()
            .filter(|t| *t > now)
            .unwrap_or(now);
        let wait = (free_at + self.interval).saturating_duration_since(now + self.window);
        if !wait.is_zero() {
            return Err(wait);
        }
        if state.free_at.len() < MAX_KEYS || state.free_at.contains_key(&key) {
            state.free_at.insert(key, free_at + self.interval);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_gets_its_burst_then_waits_one_interval() {
        let rate = KeyedRate::per_minute(3).unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(rate.check("a", t0), Ok(()));
        }
        assert_eq!(rate.check("a", t0), Err(Duration::from_secs(20)));
        // Other keys are counted apart.
        assert_eq!(rate.check("b", t0), Ok(()));
        // One interval later, one more attempt; a full window later, the whole burst.
        let t1 = t0 + Duration::from_secs(20);
        assert_eq!(rate.check("a", t1), Ok(()));
        assert!(rate.check("a", t1).is_err());
        let t2 = t1 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(rate.check("a", t2), Ok(()));
        }
        assert!(rate.check("a", t2).is_err());
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "192.0.2.8".parse().unwrap();
        assert_eq!(address_key(v4), v4);
    }

    #[test]
    fn a_limit_of_zero_is_no_limit() {
        assert!(KeyedRate::<&str>::per_minute(0).is_none());
    }

    #[test]
    fn expired_keys_are_pruned_as_the_map_grows() {
        let rate = KeyedRate::per_minute(60).unwrap();
        let t0 = Instant::now();
        for k in 0..MAX_KEYS / 2 {
            rate.check(k, t0).unwrap();
        }
        let later = t0 + Duration::from_secs(5);
        rate.check(usize::MAX, later).unwrap();
        let kept = rate.state.lock().unwrap().free_at.len();
        assert_eq!(kept, 1);
    }

    #[tokio::test]
    async fn hashing_beyond_the_bound_and_its_queue_is_refused_at_once() {
        let throttle = LoginThrottle::new(&LoginLimits {
            per_username_per_minute: 0,
            per_address_per_minute: 0,
            hash_concurrency: 1,
            hash_queue: 1,
        });
        let throttle = Arc::new(throttle);
        let running = throttle.hash_slot().await.unwrap();
        let waiting = tokio::spawn({
            let throttle = throttle.clone();
            async move { throttle.hash_slot().await.is_ok() }
        });
        tokio::task::yield_now().await;
        match throttle.hash_slot().await {
            Err(ApiError::TooManyRequests { code, .. }) => assert_eq!(code, "busy"),
            _ => panic!("a third attempt must be refused"),
        }
        drop(running);
        assert!(waiting.await.unwrap(), "the queued attempt gets the slot");
        assert!(throttle.hash_slot().await.is_ok());
    }
}
