//! Turns a browser session into an [`AuthCtx`] in the request's extensions, after checking that
//! the user still exists, still belongs to the org and is not disabled. Pages under `/app` need it.

use app::state::ServerState;
use auth::context::{AuthCtx, Credential};
use auth::{SessionAuth, SESSION_AUTH_KEY};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;
use store::{users, AuthTx};
use tower_sessions::Session;

pub async fn resolve(State(state): State<ServerState>, mut request: Request, next: Next) -> Response {
    if let Some(session) = request.extensions().get::<Session>().cloned() {
        match authenticate(&state, &session).await {
            Ok(Some(ctx)) => {
                tracing::Span::current().record("org_id", tracing::field::display(ctx.scope.org_id()));
                request.extensions_mut().insert(ctx);
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(error = %err, "could not check the session");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        }
    }
    let path = request.uri().path();
    let needs_login = path == "/app" || path.starts_with("/app/");
    if needs_login && request.extensions().get::<AuthCtx>().is_none() {
        return Redirect::to("/login").into_response();
    }
    next.run(request).await
}

async fn authenticate(state: &ServerState, session: &Session) -> Result<Option<AuthCtx>, String> {
    let auth: Option<SessionAuth> = session.get(SESSION_AUTH_KEY).await.map_err(|e| e.to_string())?;
    let Some(auth) = auth else { return Ok(None) };
    let mut tx = AuthTx::begin(&state.db).await.map_err(|e| format!("{e:?}"))?;
    let scope = users::find_active(&mut tx, auth.org_id, auth.user_id).await.map_err(|e| format!("{e:?}"))?;
    tx.commit().await.map_err(|e| format!("{e:?}"))?;
    match scope {
        Some(scope) => Ok(Some(AuthCtx { scope, credential: Credential::Session })),
        None => {
            // The user was removed or disabled: end this session for good.
            session.flush().await.map_err(|e| e.to_string())?;
            Ok(None)
        }
    }
}
