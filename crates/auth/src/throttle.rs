//! Fixed-window attempt limits per action and subject (a client address, an account, an org, an
//! API key), in memory.
//!
//! In-process state is enough for one instance; behind a load balancer each instance enforces the
//! limit on its own share of the traffic, which still caps guessing at N × limit. The client
//! address is the one the server resolved (the socket peer, or what a configured proxy reports).

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What is being attempted; each action has its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// A log-in from one client address.
    LogIn,
    /// A failed log-in to one account, from anywhere.
    FailedLogIn,
    /// A sign-up, or a request for a password-reset link, from one client address.
    SignUp,
    /// A sign-up, or a request for a password-reset link, for one email address, from anywhere.
    SignUpEmail,
    /// An invitation acceptance, or an email-confirmation or password-reset link used, from one
    /// client address.
    AcceptInvite,
    /// An acceptance of one invitation, from anywhere.
    AcceptInviteToken,
    /// A REST API call by one org.
    ApiCallOrg,
    /// A REST API call with one API key (and the tokens minted from it).
    ApiCallKey,
    /// A booking on a booking page from one client address.
    BookOnline,
    /// A booking on one org's booking page, from anywhere.
    BookOnlineOrg,
    /// A chat widget conversation started from one client address.
    ChatSession,
    /// A chat widget conversation started on one org's widget, from anywhere.
    ChatSessionOrg,
    /// A chat widget message from one client address.
    ChatMessage,
    /// A chat widget message to one org, from anywhere.
    ChatMessageOrg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub attempts: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn per_minute(attempts: u32) -> Self {
        Self { attempts, window: Duration::from_secs(60) }
    }

    pub const fn per_hour(attempts: u32) -> Self {
        Self { attempts, window: Duration::from_secs(3600) }
    }
}

/// The limit of every action.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub log_in: Limit,
    pub failed_log_in: Limit,
    pub sign_up: Limit,
    pub sign_up_email: Limit,
    pub accept_invite: Limit,
    pub accept_invite_token: Limit,
    pub api_call_org: Limit,
    pub api_call_key: Limit,
    pub book_online: Limit,
    pub book_online_org: Limit,
    pub chat_session: Limit,
    pub chat_session_org: Limit,
    pub chat_message: Limit,
    pub chat_message_org: Limit,
}

impl Limits {
    fn of(&self, action: Action) -> Limit {
        match action {
            Action::LogIn => self.log_in,
            Action::FailedLogIn => self.failed_log_in,
            Action::SignUp => self.sign_up,
            Action::SignUpEmail => self.sign_up_email,
            Action::AcceptInvite => self.accept_invite,
            Action::AcceptInviteToken => self.accept_invite_token,
            Action::ApiCallOrg => self.api_call_org,
            Action::ApiCallKey => self.api_call_key,
            Action::BookOnline => self.book_online,
            Action::BookOnlineOrg => self.book_online_org,
            Action::ChatSession => self.chat_session,
            Action::ChatSessionOrg => self.chat_session_org,
            Action::ChatMessage => self.chat_message,
            Action::ChatMessageOrg => self.chat_message_org,
        }
    }
}

/// Who an attempt is counted against.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A client address.
    Address(IpAddr),
    /// Anything named: an account's email (case-insensitive), an invitation, an org, a key.
    Named(&'a str),
}

/// Refused: the subject is over its limit until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, at least one (the `Retry-After` header's unit).
    pub fn seconds(self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)
    }
}

#[derive(Debug)]
pub struct Throttle {
    limits: Limits,
    /// Names are kept as keyed hashes, so the map holds no email addresses.
    names: RandomState,
    windows: Mutex<HashMap<(Action, Key), Window>>,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
    length: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Address(IpKey),
    Name(u64),
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

/// Past this many tracked windows, finished ones are swept before a new one is added.
const SWEEP_ABOVE: usize = 100_000;

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self { limits, names: RandomState::new(), windows: Mutex::new(HashMap::new()) }
    }

    /// Counts one attempt; refused when the subject is over its limit for this window.
    pub fn allow(&self, action: Action, subject: Subject<'_>) -> Result<(), RetryAfter> {
        self.count_at(action, subject, Instant::now(), true)
    }

    /// Whether an attempt would be refused, without counting one: for limits that count only
    /// failures (a wrong password), checked before the attempt and counted after it fails.
    pub fn check(&self, action: Action, subject: Subject<'_>) -> Result<(), RetryAfter> {
        self.count_at(action, subject, Instant::now(), false)
    }

    fn key(&self, subject: Subject<'_>) -> Key {
        match subject {
            Subject::Address(ip) => Key::Address(IpKey::from(ip)),
            Subject::Named(name) => Key::Name(self.names.hash_one(name.trim().to_lowercase())),
        }
    }

    fn count_at(&self, action: Action, subject: Subject<'_>, now: Instant, count: bool) -> Result<(), RetryAfter> {
        let limit = self.limits.of(action);
        let key = self.key(subject);
        let mut windows = match self.windows.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, w| now.duration_since(w.start) < w.length);
        }
        let fresh = Window { start: now, count: 0, length: limit.window };
        let window = windows.entry((action, key)).or_insert(fresh);
        if now.duration_since(window.start) >= window.length {
            *window = fresh;
        }
        let over = |count: u32| count > limit.attempts;
        let retry = RetryAfter(window.length.saturating_sub(now.duration_since(window.start)));
        if count {
            window.count = window.count.saturating_add(1);
            if over(window.count) {
                return Err(retry);
            }
        } else if over(window.count.saturating_add(1)) {
            return Err(retry);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle() -> Throttle {
        let limit = Limit::per_minute(3);
        Throttle::new(Limits {
            log_in: limit,
            failed_log_in: limit,
            sign_up: limit,
            sign_up_email: limit,
            accept_invite: limit,
            accept_invite_token: limit,
            api_call_org: limit,
            api_call_key: limit,
            book_online: limit,
            book_online_org: limit,
            chat_session: limit,
            chat_session_org: limit,
            chat_message: limit,
            chat_message_org: limit,
        })
    }

    fn address(ip: &str) -> Subject<'static> {
        Subject::Address(ip.parse().unwrap())
    }

    #[test]
    fn allows_up_to_the_limit_then_refuses_until_the_window_passes() {
        let t = throttle();
        let ip = address("203.0.113.7");
        let start = Instant::now();
        assert!((0..3).all(|_| t.count_at(Action::LogIn, ip, start, true).is_ok()));
        let refused = t.count_at(Action::LogIn, ip, start + Duration::from_millis(20_500), true);
        assert_eq!(refused.unwrap_err().seconds(), 40, "until the window ends, rounded up");
        assert!(t.count_at(Action::SignUp, ip, start, true).is_ok(), "actions are counted separately");
        assert!(t.count_at(Action::LogIn, address("203.0.113.8"), start, true).is_ok(), "clients separately");
        assert!(t.count_at(Action::LogIn, ip, start + Duration::from_secs(61), true).is_ok());
    }

    #[test]
    fn groups_ipv6_clients_by_slash_64() {
        let t = throttle();
        let now = Instant::now();
        for host in ["2001:db8::1", "2001:db8::2", "2001:db8::ffff"] {
            let _ = t.count_at(Action::LogIn, address(host), now, true);
        }
        assert!(t.count_at(Action::LogIn, address("2001:db8::abcd"), now, true).is_err());
        assert!(t.count_at(Action::LogIn, address("2001:db8:0:1::1"), now, true).is_ok());
    }

    #[test]
    fn ipv4_mapped_clients_count_one_by_one() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..3 {
            let _ = t.count_at(Action::LogIn, address("::ffff:203.0.113.7"), now, true);
        }
        assert!(t.count_at(Action::LogIn, address("203.0.113.7"), now, true).is_err(), "the same client");
        assert!(t.count_at(Action::LogIn, address("::ffff:203.0.113.8"), now, true).is_ok(), "its neighbour");
    }

    #[test]
    fn names_count_case_insensitively_and_a_check_counts_nothing() {
        let t = throttle();
        let now = Instant::now();
        for _ in 0..5 {
            assert!(t.count_at(Action::FailedLogIn, Subject::Named("Ann@Example.com"), now, false).is_ok());
        }
        for _ in 0..3 {
            let _ = t.count_at(Action::FailedLogIn, Subject::Named("ann@example.com "), now, true);
        }
        assert!(t.count_at(Action::FailedLogIn, Subject::Named("ANN@example.com"), now, false).is_err());
        assert!(t.count_at(Action::FailedLogIn, Subject::Named("bob@example.com"), now, false).is_ok());
    }
}
