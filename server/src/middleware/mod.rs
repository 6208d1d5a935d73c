//! Request middleware, outermost first: request id, tracing, metrics, security headers, request
//! limits, the client's address, CSRF, sessions, session authentication.

pub mod client_addr;
pub mod csrf;
pub mod request_limits;
pub mod security_headers;
pub mod session_auth;
