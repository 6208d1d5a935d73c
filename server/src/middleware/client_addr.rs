//! The client's address, which throttles count by: the socket's peer, unless the peer is one of
//! the operator's trusted reverse proxies — then the address the proxies report in `Forwarded`
//! (RFC 7239) or, failing that, `X-Forwarded-For`. The list is read from the nearest hop outwards,
//! and the first address that is not itself a trusted proxy is the client; anything a client wrote
//! further left is ignored, so a forged header cannot pick someone else's bucket.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use app::state::ClientAddr;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderMap;
use ipnet::IpNet;

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    /// Addresses (`10.0.0.7`) and CIDR blocks (`10.0.0.0/8`); the first entry that is neither is
    /// the error.
    pub fn parse(entries: &[String]) -> Result<Self, &str> {
        let nets = entries
            .iter()
            .map(|entry| {
                let entry = entry.trim();
                entry.parse::<IpNet>().or_else(|_| entry.parse::<IpAddr>().map(IpNet::from)).map_err(|_| entry)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(Arc::new(nets)))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind a request that arrived from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for(headers).into_iter().rev() {
            // An entry a proxy could not fill in ("unknown", an obfuscated name) ends the walk:
            // the nearest known address stands.
            let Some(hop) = hop else { break };
            client = hop;
            if !self.trusts(hop) {
                break;
            }
        }
        client
    }
}

/// The hops the proxies reported, farthest first: `Forwarded: for=…` when present, else
/// `X-Forwarded-For`. `None` marks an entry that is not an address.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name| headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    let forwarded = values(http::header::FORWARDED);
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|value| value.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.trim().eq_ignore_ascii_case("for").then(|| address(value))
                })
            })
            .collect();
    }
    values(http::HeaderName::from_static("x-forwarded-for"))
        .iter()
        .flat_map(|value| value.split(','))
        .map(address)
        .collect()
}

/// One reported address: `203.0.113.7`, `"203.0.113.7:4711"`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn address(raw: &str) -> Option<IpAddr> {
    let raw = raw.trim().trim_matches('"');
    raw.parse::<IpAddr>()
        .ok()
        .or_else(|| raw.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| raw.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
}

/// Puts the resolved [`ClientAddr`] on every request.
pub async fn resolve(
    State(proxies): State<TrustedProxies>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = proxies.client(peer.ip(), request.headers());
    request.extensions_mut().insert(ClientAddr(client));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(entries: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&entries.iter().map(|e| e.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_it_claims() {
        let none = TrustedProxies::default();
        let forged = headers(&[("x-forwarded-for", "198.51.100.1")]);
        assert_eq!(none.client(ip("203.0.113.9"), &forged), ip("203.0.113.9"));
        let some = proxies(&["10.0.0.0/8"]);
        assert_eq!(some.client(ip("203.0.113.9"), &forged), ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let p = proxies(&["10.0.0.0/8", "192.0.2.1"]);
        // The client forged the left-most entry; the proxies appended the real one.
        let h = headers(&[("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.1.2.3")]);
        assert_eq!(p.client(ip("192.0.2.1"), &h), ip("203.0.113.7"));
        let split = headers(&[("x-forwarded-for", "198.51.100.1"), ("x-forwarded-for", "203.0.113.7:5123")]);
        assert_eq!(p.client(ip("::ffff:10.0.0.5"), &split), ip("203.0.113.7"), "mapped peers and ports too");
        assert_eq!(p.client(ip("10.0.0.5"), &HeaderMap::new()), ip("10.0.0.5"), "no header: the proxy itself");
        let unknown = headers(&[("x-forwarded-for", "203.0.113.7, unknown")]);
        assert_eq!(p.client(ip("10.0.0.5"), &unknown), ip("10.0.0.5"));
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for() {
        let p = proxies(&["10.0.0.1"]);
        let h = headers(&[
            ("forwarded", r#"for=198.51.100.1, for="[2001:db8:cafe::17]:4711";proto=https"#),
            ("x-forwarded-for", "203.0.113.7"),
        ]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
    }

    #[test]
    fn entries_that_are_not_addresses_are_refused() {
        assert_eq!(TrustedProxies::parse(&["10.0.0.0/8".into(), "proxy.local".into()]).unwrap_err(), "proxy.local");
        assert!(TrustedProxies::parse(&["::1".into(), " 127.0.0.1 ".into()]).is_ok());
    }
}
