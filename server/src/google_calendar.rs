//! Connecting a technician's Google Calendar from the dashboard.
//!
//! `GET /app/integrations/google-calendar/connect?technician=…` sends a signed-in owner (or the
//! technician, on the owner's screen) to Google with a fresh `state` and PKCE challenge, kept in
//! the session with the technician's id; `GET /app/integrations/google-calendar/callback`
//! accepts Google's answer only with that session's `state`, once, within ten minutes, and
//! connects the calendar of the account that signed in. What happened is left in the session for
//! the page the owner returns to.

use app::state::ServerState;
use auth::context::AuthCtx;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use integrations::gmail::Pkce;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::sign_ins::{back_to, Service, SignIn};

/// Google, as the owner connecting a technician's calendar meets it.
const GOOGLE: Service =
    Service { provider: "Google", connects: "the calendar", key: "google_calendar_sign_in", outcome_key: OUTCOME_KEY };

pub use app::calendar_settings::GOOGLE_CALENDAR_OUTCOME_KEY as OUTCOME_KEY;

/// What the calendar sign-in needs besides the state.
#[derive(Serialize, Deserialize)]
struct ForTechnician {
    verifier: String,
    technician_id: String,
}

#[derive(Deserialize)]
pub struct ConnectQuery {
    #[serde(default)]
    technician: Option<String>,
    #[serde(default)]
    from: Option<String>,
}

fn redirect_uri(state: &ServerState) -> String {
    state.public_url.link("app/integrations/google-calendar", "callback")
}

pub async fn connect(
    State(state): State<ServerState>,
    Extension(ctx): Extension<AuthCtx>,
    session: Session,
    Query(query): Query<ConnectQuery>,
) -> Response {
    let back = back_to(query.from.as_deref());
    if ops::permissions::require(&ctx.scope, ops::Operation::ManageIntegrations).is_err() {
        GOOGLE.tell(&session, Err("Only the owner can connect technicians' calendars.".into())).await;
        return Redirect::to(back).into_response();
    }
    let Some(google) = state.google.as_deref() else {
        GOOGLE.tell(&session, Err("This Opsquad is not set up to connect Google Calendar; connect the calendar with its CalDAV address instead.".into())).await;
        return Redirect::to(back).into_response();
    };
    let technician = query.technician.as_deref().and_then(|t| domain::TechnicianId::parse(t).ok());
    let Some(technician) = technician else {
        GOOGLE.tell(&session, Err("Choose the technician whose calendar to connect.".into())).await;
        return Redirect::to(back).into_response();
    };
    let pkce = Pkce::new();
    let more = ForTechnician { verifier: pkce.verifier.clone(), technician_id: technician.to_string() };
    let sign_in = SignIn::new(&ctx, back, more);
    let url =
        google.authorize_url(&redirect_uri(&state), &sign_in.state, &pkce, integrations::calendar::google::SCOPES);
    if let Err(unavailable) = sign_in.keep(&session, &GOOGLE).await {
        return unavailable;
    }
    Redirect::to(&url).into_response()
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

pub async fn callback(
    State(state): State<ServerState>,
    Extension(ctx): Extension<AuthCtx>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    GOOGLE
        .come_back(
            &session,
            |sign_in: SignIn<ForTechnician>| async move { finish(&state, &ctx, &sign_in, &query).await },
        )
        .await
}

async fn finish(
    state: &ServerState,
    ctx: &AuthCtx,
    sign_in: &SignIn<ForTechnician>,
    query: &CallbackQuery,
) -> Result<String, String> {
    sign_in.answered(ctx, query.state.as_deref(), &GOOGLE)?;
    if let Some(error) = &query.error {
        return Err(if error == "access_denied" {
            "The calendar was not connected: access was not allowed on Google's page.".into()
        } else {
            format!("Google did not connect the calendar ({}).", error.chars().take(80).collect::<String>())
        });
    }
    let technician = domain::TechnicianId::parse(&sign_in.more.technician_id)
        .map_err(|_| "That sign-in named no technician; connect the calendar again.".to_owned())?;
    let code = query.code.as_deref().unwrap_or_default();
    let connected = ops::calendars::connect_google(
        &state.db,
        &state.calendars,
        &ctx.scope,
        technician,
        code,
        &sign_in.more.verifier,
        &redirect_uri(state),
    )
    .await;
    match connected {
        Ok(calendar) => {
            state.bell.ring();
            Ok(calendar.username)
        }
        Err(ops::OpsError::Validation { message, .. }) => Err(message),
        Err(ops::OpsError::Conflict { message, .. }) => Err(message),
        Err(ops::OpsError::NotFound) => Err("That technician is not on your team.".into()),
        Err(ops::OpsError::Forbidden) => Err("Only the owner can connect technicians' calendars.".into()),
        Err(err) => {
            tracing::error!(error = ?err, "connecting a Google calendar failed");
            Err("The calendar could not be connected because of a problem on our side; try again in a minute.".into())
        }
    }
}
