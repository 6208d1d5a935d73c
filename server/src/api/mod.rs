//! The REST API under `/api/v1`. Callers authenticate with `Authorization: Bearer <API key or
//! access token>`; cookies are never accepted here, so these routes need no CSRF guard.

mod appointments;
mod audit;
mod auth;
mod board_feed;
mod calendars;
mod catalog;
mod channels;
mod customers;
mod error;
mod escalations;
mod events;
mod inbound;
mod integrations;
mod invoices;
mod json;
mod leads;
mod me;
mod memory;
mod tokens;
mod work_kinds;

use app::state::ServerState;
use axum::routing::{delete, get, post};
use axum::Router;

pub use auth::{bearer, ApiAuth};
pub use board_feed::BoardFeeds;
pub use error::ApiError;
pub use events::stream_events_for_session;
pub(crate) use events::streamed;

pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/me", get(me::get_me))
        .route("/audit", get(audit::list_audit))
        .route("/channels/booking", get(channels::get_booking).put(channels::put_booking))
        .route("/channels/widget", get(channels::get_widget).put(channels::put_widget))
        .route("/tokens", post(tokens::create_token))
        .route("/customers", get(customers::list_customers).post(customers::create_customer))
        .route(
            "/customers/{id}",
            get(customers::get_customer).patch(customers::update_customer).delete(customers::delete_customer),
        )
        .route("/appointments/{id}/complete", post(appointments::complete_appointment))
        .route("/escalations", get(escalations::list_escalations))
        .route("/escalations/{id}/decision", post(escalations::decide))
        .route("/events", get(events::stream_events))
        .route("/inbound", post(inbound::post_inbound))
        .route("/integrations", get(integrations::list_integrations))
        .route("/integrations/email", axum::routing::put(integrations::put_email).delete(integrations::delete_email))
        .route("/integrations/sms", axum::routing::put(integrations::put_sms).delete(integrations::delete_sms))
        .route("/integrations/sms/test", axum::routing::post(integrations::test_sms))
        .route("/invoices/{id}", get(invoices::get_invoice))
        .route("/invoices/{id}/payments", post(invoices::record))
        .route("/invoices/{id}/pay-link", post(invoices::share_pay_link))
        .route("/leads", get(leads::list_leads))
        .route("/leads/{id}", get(leads::get_lead))
        .route("/memory", get(memory::list_memory))
        .route("/memory/{id}", delete(memory::delete_memory))
        .route("/settings", get(catalog::get_settings).put(catalog::put_settings))
        .route("/services", get(catalog::list_services).post(catalog::create_service))
        .route(
            "/services/{id}",
            get(catalog::get_service).put(catalog::replace_service).delete(catalog::delete_service),
        )
        .route("/technicians", get(catalog::list_technicians).post(catalog::create_technician))
        .route("/work-kinds", get(work_kinds::list_work_kinds))
        .route(
            "/technicians/{id}",
            get(catalog::get_technician).put(catalog::replace_technician).delete(catalog::delete_technician),
        )
        .route(
            "/technicians/{id}/calendar",
            get(calendars::get_calendar).put(calendars::put_calendar).delete(calendars::delete_calendar),
        )
        .route("/calendars", get(calendars::list_calendars))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { ApiError::NotFound })
}

/// The API's OpenAPI 3.1 document (public: it describes, it grants nothing).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl axum::response::IntoResponse {
    ([(http::header::CONTENT_TYPE, "application/json")], OPENAPI)
}
