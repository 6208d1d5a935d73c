//! Cross-site request forgery guard for cookie-authenticated routes (pages and server functions).
//!
//! A state-changing request must come from our own pages: `Sec-Fetch-Site` must be `same-origin`
//! or `none` (typed by the user), or, for clients that don't send fetch metadata, `Origin` must
//! match the `Host` the request was sent to. A request with neither header is refused: failing
//! closed costs a curl user one header, failing open costs a shop owner their account.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, Method, StatusCode};

pub async fn guard(request: Request, next: Next) -> Response {
    if is_safe(request.method()) || is_same_origin(&request) {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "cross-site request refused");
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/json")], r#"{"code":"forbidden"}"#).into_response()
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_same_origin(request: &Request) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    let (Some(origin), Some(host)) = (headers.get(header::ORIGIN), headers.get(header::HOST)) else {
        return false;
    };
    let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else { return false };
    origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .is_some_and(|origin_host| origin_host.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(Method::POST).uri("/api/auth/login");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn accepts_same_origin_requests() {
        assert!(is_same_origin(&post(&[("sec-fetch-site", "same-origin")])));
        assert!(is_same_origin(&post(&[("sec-fetch-site", "none")])));
        assert!(is_same_origin(&post(&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")])));
        assert!(is_same_origin(&post(&[("origin", "https://app.opsquad.io"), ("host", "App.Opsquad.io")])));
    }

    #[test]
    fn refuses_cross_site_and_unlabelled_requests() {
        assert!(!is_same_origin(&post(&[("sec-fetch-site", "cross-site"), ("origin", "http://h"), ("host", "h")])));
        assert!(!is_same_origin(&post(&[("sec-fetch-site", "same-site")])));
        assert!(!is_same_origin(&post(&[("origin", "https://evil.example"), ("host", "app.opsquad.io")])));
        assert!(!is_same_origin(&post(&[
            ("origin", "https://app.opsquad.io.evil.example"),
            ("host", "app.opsquad.io")
        ])));
        assert!(!is_same_origin(&post(&[("origin", "null"), ("host", "app.opsquad.io")])));
        assert!(!is_same_origin(&post(&[("host", "app.opsquad.io")])));
    }
}
