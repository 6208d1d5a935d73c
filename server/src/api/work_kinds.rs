//! `GET /api/v1/work-kinds`: the kinds of work a service can be for — the work catalogue of the
//! three trades (`domain::work`). Every credential that may read records may read it.

use axum::Json;
use domain::work::CATALOGUE;
use serde_json::{json, Value};

use super::{ApiAuth, ApiError};

pub async fn list_work_kinds(ApiAuth(_ctx): ApiAuth) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(
        CATALOGUE
            .iter()
            .map(|kind| {
                json!({
                    "key": kind.key, "trade": kind.trade, "trade_name": kind.trade.name(), "name": kind.name,
                    "words": kind.words, "source": "catalogue",
                })
            })
            .collect(),
    ))
}
