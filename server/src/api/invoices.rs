//! `GET /api/v1/invoices/{id}`, `POST /api/v1/invoices/{id}/payments` and
//! `POST /api/v1/invoices/{id}/pay-link`: an invoice with its payments; the owner recording a
//! payment taken outside the pay page (cash, a check, a bank transfer; the reference makes it
//! idempotent); and a fresh pay link to pass on to the customer, shown only in the answer.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use ops::payments::ManualPayment;
use serde::Deserialize;
use serde_json::{json, Value};
use store::payments;
use store::{invoices, TenantTx};

use super::json::ApiJson;
use super::{ApiAuth, ApiError};

pub async fn get_invoice(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let invoice = invoices::get(&mut tx, &id).await?.ok_or(ApiError::NotFound)?;
    let paid = payments::for_invoice(&mut tx, &id).await?;
    let cards = ops::stripe::card_payments(&mut tx, state.stripe.as_deref(), &id).await?;
    tx.commit().await?;
    let paid_cents: i64 = paid.iter().map(|p| p.amount_cents).sum();
    Ok(Json(json!({
        "invoice": invoice, "payments": paid, "paid_cents": paid_cents,
        "balance_cents": invoice.total_cents - paid_cents, "card_payments": cards,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    amount_cents: i64,
    method: String,
    /// The receipt, check number or transfer id; the same reference is recorded once.
    reference: String,
}

pub async fn record(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PaymentInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let payment = ManualPayment { amount_cents: input.amount_cents, method: input.method, reference: input.reference };
    let outcome = ops::payments::record(&state.db, &ctx.scope, &id, &payment).await?;
    let status = if outcome.recorded { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json!(outcome))))
}

pub async fn share_pay_link(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let link = ops::payments::share_pay_link(&state.db, &ctx.scope, state.payments.as_ref(), &id).await?;
    Ok((StatusCode::CREATED, Json(json!(link))))
}
