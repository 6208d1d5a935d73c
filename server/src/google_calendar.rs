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
use http::StatusCode;
use integrations::gmail::Pkce;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use crate::gmail::{back_to, same, tell_outcome};

/// Where the sign-in in progress is kept in the owner's session.
const SIGN_IN_KEY: &str = "google_calendar_sign_in";
/// How long the owner has to finish signing in with Google.
const SIGN_IN_FOR_MS: i64 = 10 * 60 * 1000;

pub use app::calendar_settings::GOOGLE_CALENDAR_OUTCOME_KEY as OUTCOME_KEY;

#[derive(Serialize, Deserialize)]
struct SignIn {
    state: String,
    verifier: String,
    org_id: String,
    technician_id: String,
    started_at: i64,
    back_to: String,
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

async fn tell(session: &Session, outcome: Result<String, String>) {
    tell_outcome(session, OUTCOME_KEY, outcome).await;
}

pub async fn connect(
    State(state): State<ServerState>,
    Extension(ctx): Extension<AuthCtx>,
    session: Session,
    Query(query): Query<ConnectQuery>,
) -> Response {
    let back = back_to(query.from.as_deref());
    if ops::permissions::require(&ctx.scope, ops::Operation::ManageIntegrations).is_err() {
        tell(&session, Err("Only the owner can connect technicians' calendars.".into())).await;
        return Redirect::to(back).into_response();
    }
    let Some(google) = state.google.as_deref() else {
        tell(&session, Err("This Opsquad is not set up to connect Google Calendar; connect the calendar with its CalDAV address instead.".into())).await;
        return Redirect::to(back).into_response();
    };
    let technician = query.technician.as_deref().and_then(|t| domain::TechnicianId::parse(t).ok());
    let Some(technician) = technician else {
        tell(&session, Err("Choose the technician whose calendar to connect.".into())).await;
        return Redirect::to(back).into_response();
    };
    let pkce = Pkce::new();
    let sign_in = SignIn {
        state: integrations::gmail::random_token(),
        verifier: pkce.verifier.clone(),
        org_id: ctx.scope.org_id().to_string(),
        technician_id: technician.to_string(),
        started_at: store::now_ms(),
        back_to: back.to_owned(),
    };
    let url =
        google.authorize_url(&redirect_uri(&state), &sign_in.state, &pkce, integrations::calendar::google::SCOPES);
    if let Err(e) = session.insert(SIGN_IN_KEY, &sign_in).await {
        tracing::error!(error = %e, "could not keep the Google Calendar sign-in in the session");
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
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
    // One answer per sign-in: whatever comes back, the sign-in in progress is used up.
    let sign_in: Option<SignIn> = session.remove(SIGN_IN_KEY).await.ok().flatten();
    let Some(sign_in) = sign_in else {
        tell(
            &session,
            Err("That Google sign-in was not started here, or was already used; connect the calendar again.".into()),
        )
        .await;
        return Redirect::to(back_to(None)).into_response();
    };
    let back = sign_in.back_to.clone();
    let outcome = finish(&state, &ctx, &sign_in, &query).await;
    if let Err(problem) = &outcome {
        tracing::info!(org_id = %ctx.scope.org_id(), %problem, "a Google calendar was not connected");
    }
    tell(&session, outcome).await;
    Redirect::to(&back).into_response()
}

async fn finish(state: &ServerState, ctx: &AuthCtx, sign_in: &SignIn, query: &CallbackQuery) -> Result<String, String> {
    let given = query.state.as_deref().unwrap_or_default();
    if !same(given, &sign_in.state) || sign_in.org_id != ctx.scope.org_id().to_string() {
        return Err("That answer from Google does not belong to this sign-in; connect the calendar again.".into());
    }
    if store::now_ms() - sign_in.started_at > SIGN_IN_FOR_MS {
        return Err("The Google sign-in took more than ten minutes; connect the calendar again.".into());
    }
    if let Some(error) = &query.error {
        return Err(if error == "access_denied" {
            "The calendar was not connected: access was not allowed on Google's page.".into()
        } else {
            format!("Google did not connect the calendar ({}).", error.chars().take(80).collect::<String>())
        });
    }
    let technician = domain::TechnicianId::parse(&sign_in.technician_id)
        .map_err(|_| "That sign-in named no technician; connect the calendar again.".to_owned())?;
    let code = query.code.as_deref().unwrap_or_default();
    let connected = ops::calendars::connect_google(
        &state.db,
        &state.calendars,
        &ctx.scope,
        technician,
        code,
        &sign_in.verifier,
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
