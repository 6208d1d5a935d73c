//! A CalDAV calendar (RFC 4791: iCloud, Fastmail, Nextcloud, Radicale …) reached with a user
//! name and an app password: found from the address the owner pastes (the calendar itself, or the
//! account's server, whose first calendar is taken), asked for free-busy, and written one event
//! per visit at `<calendar>/<uid>.ics`.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};

use super::{ical, CalendarError, Event, Found};
use crate::mail::{is_public, Reach};

/// How long one exchange with the calendar server may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// A CalDAV account and the calendar in it.
#[derive(Debug, Clone)]
pub struct CalDavCalendar {
    /// The calendar collection, ending in `/`.
    pub url: String,
    pub username: String,
    pub password: SecretString,
}

/// The client. A shop types the calendar's address, so on [`Reach::Internet`] only public
/// addresses are reached (every name is looked up and refused if it leads inside), and a password
/// only travels over HTTPS; [`Reach::Anywhere`] (tests, development) allows both.
#[derive(Debug, Clone)]
pub struct CalDav {
    http: reqwest::Client,
    reach: Reach,
}

/// Looks names up and refuses any that leads to an address off the public internet.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(inside) = found.iter().find(|a| !is_public(a.ip())) {
                return Err(format!("{host} leads to {}, which is not on the public internet", inside.ip()).into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

impl CalDav {
    pub fn new(reach: Reach) -> Result<Self, CalendarError> {
        // A redirect is followed only where the address itself could have gone (an address written
        // as an IP is never looked up, so the resolver alone would not stop it).
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 3 {
                return attempt.error("too many redirects");
            }
            match allowed(reach, attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(_) => attempt.stop(),
            }
        });
        let mut http = reqwest::Client::builder().timeout(TIMEOUT).redirect(redirects);
        if reach == Reach::Internet {
            http = http.dns_resolver(std::sync::Arc::new(PublicOnly));
        }
        let http = http.build().map_err(|e| CalendarError::Unreachable(format!("no HTTP client: {e}")))?;
        Ok(Self { http, reach })
    }

    /// The address as a URL this client may use.
    pub fn address(&self, address: &str) -> Result<Url, CalendarError> {
        let url = Url::parse(address.trim()).map_err(|_| CalendarError::NotACalendar)?;
        allowed(self.reach, &url)?;
        Ok(url)
    }

    async fn exchange(
        &self,
        method: &str,
        url: &Url,
        (username, password): (&str, &SecretString),
        depth: Option<&str>,
        content_type: &str,
        body: String,
    ) -> Result<(StatusCode, String), CalendarError> {
        let method = Method::from_bytes(method.as_bytes()).map_err(|e| CalendarError::Refused(e.to_string()))?;
        let mut request = self
            .http
            .request(method, url.clone())
            .basic_auth(username, Some(password.expose_secret()))
            .header("Content-Type", content_type);
        if let Some(depth) = depth {
            request = request.header("Depth", depth);
        }
        let answer =
            request.body(body).send().await.map_err(|e| CalendarError::Unreachable(e.without_url().to_string()))?;
        let status = answer.status();
        let text = answer.text().await.map_err(|e| CalendarError::Unreachable(e.without_url().to_string()))?;
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(CalendarError::BadCredentials);
        }
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(CalendarError::Unreachable(format!("the calendar server answered {status}")));
        }
        Ok((status, text))
    }

    async fn propfind(
        &self,
        url: &Url,
        username: &str,
        password: &SecretString,
        depth: &str,
    ) -> Result<Vec<Resource>, CalendarError> {
        const ASK: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:prop><d:resourcetype/><d:displayname/><d:current-user-principal/><c:calendar-home-set/></d:prop>
</d:propfind>"#;
        let (status, body) =
            self.exchange("PROPFIND", url, (username, password), Some(depth), "application/xml", ASK.into()).await?;
        if status == StatusCode::NOT_FOUND {
            return Err(CalendarError::NotACalendar);
        }
        if status != StatusCode::MULTI_STATUS {
            return Err(CalendarError::Unreadable(format!("PROPFIND answered {status}")));
        }
        multistatus(&body)
    }

    /// Finds the calendar at `address` (a calendar, or an account or server whose first calendar is
    /// taken) and checks the user name and password on it.
    pub async fn find(&self, address: &str, username: &str, password: &SecretString) -> Result<Found, CalendarError> {
        let start = self.address(address)?;
        let here = self.propfind(&start, username, password, "0").await?;
        let first = here.into_iter().next().ok_or(CalendarError::NotACalendar)?;
        if first.is_calendar {
            return Ok(Found { url: collection(&start, &first.href)?.to_string(), name: first.name_or(username) });
        }
        // An account: its principal names the home where its calendars are.
        let home = match first.home {
            Some(home) => home,
            None => {
                let principal = first.principal.ok_or(CalendarError::NotACalendar)?;
                let principal = self.resolve(&start, &principal)?;
                let found = self.propfind(&principal, username, password, "0").await?;
                found.into_iter().find_map(|r| r.home).ok_or(CalendarError::NotACalendar)?
            }
        };
        let home = self.resolve(&start, &home)?;
        let calendars = self.propfind(&home, username, password, "1").await?;
        let calendar = calendars.into_iter().find(|r| r.is_calendar).ok_or(CalendarError::NotACalendar)?;
        Ok(Found { url: collection(&home, &calendar.href)?.to_string(), name: calendar.name_or(username) })
    }

    /// An href a server answered with, as a URL on the same terms as the owner's address.
    fn resolve(&self, base: &Url, href: &str) -> Result<Url, CalendarError> {
        let url = base.join(href).map_err(|e| CalendarError::Unreadable(format!("an address it gave: {e}")))?;
        self.address(url.as_str())
    }

    /// The busy periods between `from` and `until` (Unix ms), by a free-busy REPORT.
    pub async fn busy(
        &self,
        calendar: &CalDavCalendar,
        from: i64,
        until: i64,
    ) -> Result<Vec<(i64, i64)>, CalendarError> {
        let url = self.address(&calendar.url)?;
        let ask = format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav"><c:time-range start="{}" end="{}"/></c:free-busy-query>"#,
            ical::utc_stamp(from),
            ical::utc_stamp(until)
        );
        let (status, body) = self
            .exchange("REPORT", &url, (&calendar.username, &calendar.password), Some("1"), "application/xml", ask)
            .await?;
        if status == StatusCode::NOT_FOUND {
            return Err(CalendarError::NotACalendar);
        }
        if !status.is_success() {
            return Err(CalendarError::Refused(format!("its free-busy report answered {status}")));
        }
        ical::busy_periods(&body)
            .map(super::merged)
            .ok_or_else(|| CalendarError::Unreadable("its free-busy report".into()))
    }

    fn event_url(&self, calendar: &CalDavCalendar, uid: &str) -> Result<Url, CalendarError> {
        let base = self.address(&calendar.url)?;
        let name: String =
            uid.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect::<String>() + ".ics";
        base.join(&name).map_err(|e| CalendarError::Refused(e.to_string()))
    }

    /// Writes `event` (a new one, or in place of the one with its uid).
    pub async fn put(&self, calendar: &CalDavCalendar, event: &Event, now: i64) -> Result<(), CalendarError> {
        let url = self.event_url(calendar, &event.uid)?;
        let body = ical::event(event, now);
        let (status, text) = self
            .exchange("PUT", &url, (&calendar.username, &calendar.password), None, "text/calendar; charset=utf-8", body)
            .await?;
        if status.is_success() {
            Ok(())
        } else if status == StatusCode::NOT_FOUND || status == StatusCode::CONFLICT {
            Err(CalendarError::NotACalendar)
        } else {
            Err(CalendarError::Refused(format!("{status}: {}", text.chars().take(200).collect::<String>())))
        }
    }

    /// Removes the event with `uid`; one already gone is fine.
    pub async fn delete(&self, calendar: &CalDavCalendar, uid: &str) -> Result<(), CalendarError> {
        let url = self.event_url(calendar, uid)?;
        let (status, _) = self
            .exchange("DELETE", &url, (&calendar.username, &calendar.password), None, "text/plain", String::new())
            .await?;
        if status.is_success() || status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
            Ok(())
        } else {
            Err(CalendarError::Refused(format!("deleting the event answered {status}")))
        }
    }

    /// Whether the event with `uid` is still in the calendar.
    pub async fn exists(&self, calendar: &CalDavCalendar, uid: &str) -> Result<bool, CalendarError> {
        let url = self.event_url(calendar, uid)?;
        let (status, _) = self
            .exchange("GET", &url, (&calendar.username, &calendar.password), None, "text/plain", String::new())
            .await?;
        match status {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND | StatusCode::GONE => Ok(false),
            other => Err(CalendarError::Refused(format!("reading the event answered {other}"))),
        }
    }
}

/// Whether `url` may be reached on `reach`: HTTPS (plain HTTP too on [`Reach::Anywhere`]), and on
/// [`Reach::Internet`] not an address written as an IP off the public internet (names are checked
/// when they are looked up).
fn allowed(reach: Reach, url: &Url) -> Result<(), CalendarError> {
    if reach == Reach::Anywhere && url.scheme() == "http" {
        return Ok(());
    }
    if url.scheme() != "https" {
        return Err(CalendarError::Refused("the calendar's address must start with https://".into()));
    }
    let literal =
        url.host_str().and_then(|h| h.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().ok());
    if reach == Reach::Internet && literal.is_some_and(|ip| !is_public(ip)) {
        return Err(CalendarError::Refused("that address is not on the public internet".into()));
    }
    Ok(())
}

/// A collection's URL ends in `/`, so events join under it.
fn collection(base: &Url, href: &str) -> Result<Url, CalendarError> {
    let href = if href.ends_with('/') { href.to_owned() } else { format!("{href}/") };
    base.join(&href).map_err(|e| CalendarError::Unreadable(format!("an address it gave: {e}")))
}

/// One `<response>` of a multistatus answer, as far as finding a calendar needs.
#[derive(Debug, Default, PartialEq, Eq)]
struct Resource {
    href: String,
    is_calendar: bool,
    name: Option<String>,
    principal: Option<String>,
    home: Option<String>,
}

impl Resource {
    fn name_or(&self, fallback: &str) -> String {
        self.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| fallback.to_owned())
    }
}

/// Reads a WebDAV multistatus body by element names (namespaces aside: `calendar` inside
/// `resourcetype` is CalDAV's wherever the prefix points).
fn multistatus(body: &str) -> Result<Vec<Resource>, CalendarError> {
    use xmlparser::{ElementEnd, Token, Tokenizer};
    let unreadable = |e: xmlparser::Error| CalendarError::Unreadable(format!("its XML: {e}"));
    let mut found = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut current = Resource::default();
    for token in Tokenizer::from(body) {
        match token.map_err(unreadable)? {
            Token::ElementStart { local, .. } => path.push(local.as_str().to_owned()),
            Token::ElementEnd { end: ElementEnd::Empty, .. } => {
                if path.iter().rev().nth(1).is_some_and(|p| p == "resourcetype")
                    && path.last().is_some_and(|l| l == "calendar")
                {
                    current.is_calendar = true;
                }
                path.pop();
            }
            Token::ElementEnd { end: ElementEnd::Close(_, local), .. } => {
                if path.iter().rev().nth(1).is_some_and(|p| p == "resourcetype") && local.as_str() == "calendar" {
                    current.is_calendar = true;
                }
                path.pop();
                if local.as_str() == "response" {
                    found.push(std::mem::take(&mut current));
                }
            }
            Token::Text { text } | Token::Cdata { text, .. } => {
                let value = unescape(text.as_str());
                let value = value.trim();
                let parent = path.iter().rev().nth(1).map(String::as_str);
                match (parent, path.last().map(String::as_str)) {
                    (Some("response"), Some("href")) => current.href = value.to_owned(),
                    (_, Some("displayname")) => current.name = Some(value.to_owned()),
                    (Some("current-user-principal"), Some("href")) => current.principal = Some(value.to_owned()),
                    (Some("calendar-home-set"), Some("href")) => current.home = Some(value.to_owned()),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_calendars_and_the_way_to_them_from_a_multistatus() {
        let body = r#"<?xml version='1.0' encoding='utf-8'?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<response><href>/ana/</href><propstat><prop><resourcetype><principal /><collection /></resourcetype>
<current-user-principal><href>/ana/</href></current-user-principal>
<C:calendar-home-set><href>/ana/</href></C:calendar-home-set></prop><status>HTTP/1.1 200 OK</status></propstat></response>
<response><href>/ana/work/</href><propstat><prop><resourcetype><C:calendar /><collection /></resourcetype>
<displayname>Work &amp; jobs</displayname></prop></propstat></response>
<response><href>/ana/contacts/</href><propstat><prop><resourcetype><collection/><CR:addressbook xmlns:CR="urn:ietf:params:xml:ns:carddav"/></resourcetype></prop></propstat></response>
</multistatus>"#;
        let found = multistatus(body).unwrap();
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0],
            Resource {
                href: "/ana/".into(),
                is_calendar: false,
                name: None,
                principal: Some("/ana/".into()),
                home: Some("/ana/".into())
            }
        );
        assert!(found[1].is_calendar);
        assert_eq!(found[1].name.as_deref(), Some("Work & jobs"));
        assert!(!found[2].is_calendar, "an address book is not a calendar");
    }

    #[test]
    fn a_password_only_travels_over_https() {
        let strict = CalDav::new(Reach::Internet).unwrap();
        assert!(strict.address("https://caldav.example.com/dav/").is_ok());
        assert!(matches!(strict.address("http://caldav.example.com/dav/"), Err(CalendarError::Refused(_))));
        assert!(matches!(strict.address("file:///etc/passwd"), Err(CalendarError::Refused(_))));
        assert!(matches!(strict.address("not a url"), Err(CalendarError::NotACalendar)));
        assert!(matches!(strict.address("https://169.254.169.254/latest/"), Err(CalendarError::Refused(_))));
        assert!(matches!(strict.address("https://[::1]:5232/"), Err(CalendarError::Refused(_))));
        assert!(CalDav::new(Reach::Anywhere).unwrap().address("http://127.0.0.1:5232/ana/").is_ok());
    }

    #[tokio::test]
    async fn a_name_that_leads_inside_is_not_reached() {
        let strict = CalDav::new(Reach::Internet).unwrap();
        let password = SecretString::from("x".to_owned());
        let err = strict.find("https://localhost:9/dav/", "ana", &password).await.unwrap_err();
        assert!(matches!(err, CalendarError::Unreachable(_)), "{err:?}");
    }
}
