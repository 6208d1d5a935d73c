//! The embeddable chat widget's settings: whether it is on, which web sites may embed it, what it
//! says first and its colour.

use serde::{Deserialize, Serialize};

use crate::catalog::{field, FieldError};

/// More sites than a small shop runs.
pub const ORIGINS_MAX: usize = 20;
pub const GREETING_MAX_CHARS: usize = 300;
/// The longest message a visitor may send in one go.
pub const MESSAGE_MAX_CHARS: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WidgetSettings {
    pub enabled: bool,
    /// The sites that may show the widget, as origins (`https://www.example.com`); the browser
    /// refuses to show it anywhere else.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// The first thing the widget says.
    #[serde(default = "default_greeting")]
    pub greeting: String,
    /// `#rrggbb`.
    #[serde(default = "default_accent")]
    pub accent_color: String,
}

fn default_greeting() -> String {
    "Hi! How can we help today?".to_owned()
}

fn default_accent() -> String {
    "#2563eb".to_owned()
}

impl Default for WidgetSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            allowed_origins: Vec::new(),
            greeting: default_greeting(),
            accent_color: default_accent(),
        }
    }
}

impl WidgetSettings {
    /// Checks the settings and tidies them: origins in their canonical form (lower case, no path,
    /// no default port), each once; the greeting trimmed; the colour in lower case.
    pub fn validate(mut self) -> Result<Self, FieldError> {
        if self.allowed_origins.len() > ORIGINS_MAX {
            return Err(field("allowed_origins", format!("at most {ORIGINS_MAX} sites")));
        }
        let mut origins = Vec::with_capacity(self.allowed_origins.len());
        for written in &self.allowed_origins {
            let origin = origin(written).map_err(|why| field("allowed_origins", format!("`{written}`: {why}")))?;
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        self.allowed_origins = origins;
        if self.enabled && self.allowed_origins.is_empty() {
            return Err(field(
                "allowed_origins",
                "name at least one site the widget may appear on (such as https://www.yourshop.com)",
            ));
        }
        self.greeting = self.greeting.trim().to_owned();
        if self.greeting.is_empty() || self.greeting.chars().count() > GREETING_MAX_CHARS {
            return Err(field("greeting", format!("the greeting needs 1 to {GREETING_MAX_CHARS} characters")));
        }
        let colour = self.accent_color.trim().to_ascii_lowercase();
        let hex = colour.strip_prefix('#').unwrap_or_default();
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(field("accent_color", "a colour is written #rrggbb, such as #2563eb"));
        }
        self.accent_color = colour;
        Ok(self)
    }

    /// Whether a page at `origin` (as a browser sends it) may show the widget.
    pub fn allows(&self, page_origin: &str) -> bool {
        origin(page_origin).is_ok_and(|o| self.allowed_origins.contains(&o))
    }
}

/// A web origin in its canonical form: `scheme://host[:port]`, lower case, without the scheme's
/// default port; a trailing `/` is dropped, anything else after the host is refused.
pub fn origin(written: &str) -> Result<String, &'static str> {
    let lower = written.trim().to_ascii_lowercase();
    let (scheme, rest) = lower.split_once("://").ok_or("an origin starts with https:// or http://")?;
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return Err("an origin starts with https:// or http://"),
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '#', '@', '*', ' ']) {
        return Err("give the site's address only, without a page path (https://www.example.com)");
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
    if !host_ok {
        return Err("that is not a web site's address");
    }
    match port {
        None => Ok(format!("{scheme}://{host}")),
        Some(port) if port.parse::<u16>().is_ok_and(|p| p > 0) => {
            if port == default_port {
                Ok(format!("{scheme}://{host}"))
            } else {
                Ok(format!("{scheme}://{host}:{port}"))
            }
        }
        Some(_) => Err("the port after the host must be a number from 1 to 65535"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_in_their_canonical_form_and_anything_else_is_refused() {
        assert_eq!(origin("HTTPS://WWW.Example.com/").as_deref(), Ok("https://www.example.com"));
        assert_eq!(origin("https://shop.example:443").as_deref(), Ok("https://shop.example"));
        assert_eq!(origin("http://127.0.0.2:8123").as_deref(), Ok("http://127.0.0.2:8123"));
        for bad in [
            "www.example.com",
            "ftp://x.example",
            "https://x.example/contact",
            "https://*.example",
            "https://",
            "https://x.example:99999",
        ] {
            assert!(origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_are_checked_and_tidied() {
        let on = WidgetSettings {
            enabled: true,
            allowed_origins: vec!["https://Shop.example/".into(), "https://shop.example".into()],
            accent_color: "#AABBCC".into(),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(on.allowed_origins, vec!["https://shop.example"]);
        assert_eq!(on.accent_color, "#aabbcc");
        assert!(on.allows("https://shop.example") && !on.allows("https://evil.example"));

        let refused = |settings: WidgetSettings| settings.validate().unwrap_err().field;
        assert_eq!(refused(WidgetSettings { enabled: true, ..Default::default() }), "allowed_origins");
        assert_eq!(refused(WidgetSettings { greeting: "  ".into(), ..Default::default() }), "greeting");
        assert_eq!(refused(WidgetSettings { accent_color: "blue".into(), ..Default::default() }), "accent_color");
        assert!(WidgetSettings::default().validate().is_ok(), "off, with no sites, is fine");
    }
}
