//! `GET /api/v1/work-kinds`: the kinds of work a service can be for — the work catalogue of the
//! three trades (`domain::work`), then the shop's own kinds (`source: "shop"`).

use app::state::ServerState;
use axum::extract::State;
use axum::Json;
use ops::catalog::KindOfWork;

use super::{ApiAuth, ApiError};

pub async fn list_work_kinds(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
) -> Result<Json<Vec<KindOfWork>>, ApiError> {
    Ok(Json(ops::catalog::work_kinds(&state.db, &ctx.scope).await?))
}
