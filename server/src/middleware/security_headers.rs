//! Security headers on every response, with a fresh CSP nonce per request that Leptos puts on its
//! hydration scripts (see `app::state::provide_request_nonce`).

use std::sync::Arc;

use app::state::CspNonce;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::header::{self, HeaderValue};
use rand::RngCore;

pub async fn apply(mut request: Request, next: Next) -> Response {
    let mut bytes = [0u8; 18];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let nonce: Arc<str> = STANDARD.encode(bytes).into();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let authenticated =
        request.headers().contains_key(header::AUTHORIZATION) || request.headers().contains_key(header::COOKIE);
    let path = request.uri().path();
    let is_asset = path.starts_with("/pkg/");
    // A customer's private link (pay, manage) is a credential in the URL: no cache may keep the
    // page or the server functions behind it.
    let private_link = ["/pay/", "/manage/", "/api/pay/", "/api/manage/"].iter().any(|p| path.starts_with(p));

    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        http::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if (authenticated || private_link) && !is_asset {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    response
}
