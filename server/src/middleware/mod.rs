//! Request middleware, outermost first: request id, tracing, metrics, security headers, CSRF,
//! sessions, session authentication.

pub mod csrf;
pub mod security_headers;
pub mod session_auth;
