//! `GET /api/v1/invoices/{id}` and `POST /api/v1/invoices/{id}/payments`: an invoice with its
//! payments, and the owner recording a payment taken outside the pay page (cash, a check, a bank
//! transfer). The reference makes recording idempotent: the same reference twice is one payment.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use squad::payments::{record_payment, PaymentError};
use store::payments::{self, NewPayment};
use store::{invoices, TenantTx};

use super::json::ApiJson;
use super::{ApiAuth, ApiError};

pub async fn get_invoice(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let invoice = invoices::get(&mut tx, &id).await?.ok_or(ApiError::NotFound)?;
    let paid = payments::for_invoice(&mut tx, &id).await?;
    tx.commit().await?;
    let paid_cents: i64 = paid.iter().map(|p| p.amount_cents).sum();
    Ok(Json(json!({
        "invoice": invoice, "payments": paid, "paid_cents": paid_cents,
        "balance_cents": invoice.total_cents - paid_cents,
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

const OWNER_METHODS: &[&str] = &["cash", "check", "bank_transfer", "card", "other"];

pub async fn record(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PaymentInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if !OWNER_METHODS.contains(&input.method.as_str()) {
        return Err(ApiError::validation("method", format!("choose one of {}", OWNER_METHODS.join(", "))));
    }
    let reference = input.reference.trim();
    if reference.is_empty() || reference.chars().count() > 100 {
        return Err(ApiError::validation("reference", "give the receipt, check or transfer number (1-100 characters)"));
    }
    let mut tx = TenantTx::begin(&state.db, &ctx.scope).await?;
    let invoice = invoices::get(&mut tx, &id).await?.ok_or(ApiError::NotFound)?;
    let payment = NewPayment {
        invoice_id: &invoice.id,
        amount_cents: input.amount_cents,
        method: &input.method,
        provider: "manual",
        reference,
        recorded_by: ctx.scope.user_id(),
    };
    let outcome = record_payment(&mut tx, &invoice, &payment).await.map_err(|err| match err {
        PaymentError::NotPayable { .. } => ApiError::Conflict(err.to_string()),
        PaymentError::BadAmount { .. } => ApiError::validation("amount_cents", err.to_string()),
        PaymentError::Store(e) => e.into(),
    })?;
    tx.commit().await?;
    tracing::info!(org_id = %ctx.scope.org_id(), invoice_id = %id, recorded = outcome.recorded, settled = outcome.settled, "payment recorded");
    let status = if outcome.recorded { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json!(outcome))))
}
