//! Fixed-window attempt limits per action and client, in memory.
//!
//! In-process state is enough for one instance; behind a load balancer each instance enforces the
//! limit on its own share of the traffic, which still caps guessing at N × limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    LogIn,
    SignUp,
}

#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub attempts: u32,
    pub window: Duration,
}

#[derive(Debug)]
pub struct Throttle {
    log_in: Limit,
    sign_up: Limit,
    windows: Mutex<HashMap<(Action, IpKey), (Instant, u32)>>,
}

/// IPv4 addresses count alone; IPv6 clients are grouped by /64, the block one subscriber gets. An
/// IPv4 client reaching a dual-stack socket arrives as `::ffff:a.b.c.d`; it is counted as the IPv4
/// address it is, not lumped into one /64 with every other IPv4 client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct IpKey(u128);

impl From<IpAddr> for IpKey {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self(u128::from(u32::from(v4))),
            IpAddr::V6(v6) => Self(u128::from(v6) & !((1u128 << 64) - 1)),
        }
    }
}

impl Throttle {
    pub fn new(log_in: Limit, sign_up: Limit) -> Self {
        Self { log_in, sign_up, windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one attempt; `false` when the client is over its limit for this window.
    pub fn allow(&self, action: Action, ip: IpAddr) -> bool {
        self.allow_at(action, ip, Instant::now())
    }

    fn allow_at(&self, action: Action, ip: IpAddr, now: Instant) -> bool {
        let limit = match action {
            Action::LogIn => self.log_in,
            Action::SignUp => self.sign_up,
        };
        let mut windows = match self.windows.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| now.duration_since(*start) < limit.window);
        }
        let entry = windows.entry((action, IpKey::from(ip))).or_insert((now, 0));
        if now.duration_since(entry.0) >= limit.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= limit.attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> Throttle {
        let limit = Limit { attempts: 3, window: Duration::from_secs(60) };
        Throttle::new(limit, limit)
    }

    #[test]
    fn allows_up_to_the_limit_then_refuses_until_the_window_passes() {
        let t = throttle();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        let start = Instant::now();
        assert!((0..3).all(|_| t.allow_at(Action::LogIn, ip, start)));
        assert!(!t.allow_at(Action::LogIn, ip, start));
        assert!(t.allow_at(Action::SignUp, ip, start), "actions are counted separately");
        assert!(t.allow_at(Action::LogIn, "203.0.113.8".parse().unwrap(), start), "clients are counted separately");
        assert!(t.allow_at(Action::LogIn, ip, start + Duration::from_secs(61)));
    }

    #[test]
    fn groups_ipv6_clients_by_slash_64() {
        let t = throttle();
        let now = Instant::now();
        for host in ["2001:db8::1", "2001:db8::2", "2001:db8::ffff"] {
            t.allow_at(Action::LogIn, host.parse().unwrap(), now);
        }
        assert!(!t.allow_at(Action::LogIn, "2001:db8::abcd".parse().unwrap(), now));
        assert!(t.allow_at(Action::LogIn, "2001:db8:0:1::1".parse().unwrap(), now));
    }

    #[test]
    fn ipv4_mapped_clients_count_one_by_one() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..3 {
            t.allow_at(Action::LogIn, "::ffff:203.0.113.7".parse().unwrap(), now);
        }
        assert!(!t.allow_at(Action::LogIn, "203.0.113.7".parse().unwrap(), now), "the same client either way");
        assert!(t.allow_at(Action::LogIn, "::ffff:203.0.113.8".parse().unwrap(), now), "its neighbour is not");
    }
}
