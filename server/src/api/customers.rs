//! `/api/v1/customers`: the people a business serves. Another org's customer is simply not found.

use app::state::ServerState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use domain::{CustomerId, Email, PersonName};
use serde::{Deserialize, Deserializer};
use store::customers::{self, CustomerPatch, CustomerRow, NewCustomer};
use store::TenantTx;

use super::json::{ApiJson, ApiQuery};
use super::{ApiAuth, ApiError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    name: String,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    postal_code: Option<String>,
    #[serde(default)]
    notes: String,
}

/// Absent fields stay as they are; `null` clears an optional field.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    address: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    postal_code: Option<Option<String>>,
    notes: Option<String>,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<i64>,
}

fn parse_email(raw: Option<String>) -> Result<Option<Email>, ApiError> {
    Ok(ops::customers::parse_email(raw)?)
}

fn parse_phone(raw: Option<String>) -> Result<Option<String>, ApiError> {
    Ok(ops::customers::parse_phone(raw)?)
}

fn parse_text(field: &str, raw: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    Ok(ops::customers::parse_text(field, raw, max)?)
}

fn parse_notes(raw: String) -> Result<String, ApiError> {
    Ok(parse_text("notes", Some(raw), ops::customers::NOTES_CHARS)?.unwrap_or_default())
}

fn parse_id(raw: &str) -> Result<CustomerId, ApiError> {
    // An id that cannot exist is reported like one that does not: not found.
    CustomerId::parse(raw).map_err(|_| ApiError::NotFound)
}

pub async fn create_customer(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiJson(body): ApiJson<CreateCustomer>,
) -> Result<(StatusCode, Json<CustomerRow>), ApiError> {
    let new = NewCustomer {
        name: PersonName::parse(&body.name).map_err(|e| ApiError::validation("name", e))?,
        email: parse_email(body.email)?,
        phone: parse_phone(body.phone)?,
        address: parse_text("address", body.address, ops::customers::ADDRESS_CHARS)?,
        postal_code: parse_text("postal_code", body.postal_code, ops::customers::POSTAL_CODE_CHARS)?,
        notes: parse_notes(body.notes)?,
    };
    let row = ops::customers::create(&state.db, &ctx.scope, &new).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

pub async fn list_customers(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<CustomerRow>>, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation("limit", "limit must be between 1 and 200"));
    }
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let rows = customers::list(&mut tx, limit).await?;
    tx.commit().await?;
    Ok(Json(rows))
}

pub async fn get_customer(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<Json<CustomerRow>, ApiError> {
    let id = parse_id(&id)?;
    let mut tx = TenantTx::read(&state.db, &ctx.scope).await?;
    let row = customers::get(&mut tx, id).await?;
    tx.commit().await?;
    row.map(Json).ok_or(ApiError::NotFound)
}

pub async fn update_customer(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateCustomer>,
) -> Result<Json<CustomerRow>, ApiError> {
    let id = parse_id(&id)?;
    let patch = CustomerPatch {
        name: body.name.map(|n| PersonName::parse(&n).map_err(|e| ApiError::validation("name", e))).transpose()?,
        email: body.email.map(parse_email).transpose()?,
        phone: body.phone.map(parse_phone).transpose()?,
        address: body.address.map(|a| parse_text("address", a, ops::customers::ADDRESS_CHARS)).transpose()?,
        postal_code: body
            .postal_code
            .map(|p| parse_text("postal_code", p, ops::customers::POSTAL_CODE_CHARS))
            .transpose()?,
        notes: body.notes.map(parse_notes).transpose()?,
    };
    Ok(Json(ops::customers::update(&state.db, &ctx.scope, id, &patch).await?))
}

pub async fn delete_customer(
    State(state): State<ServerState>,
    ApiAuth(ctx): ApiAuth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    ops::customers::delete(&state.db, &ctx.scope, parse_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_as_people_write_them() {
        assert_eq!(parse_phone(Some(" (555) 010-2030 ".into())).unwrap().as_deref(), Some("(555) 010-2030"));
        assert_eq!(parse_phone(Some("+1 555 010 2030".into())).unwrap().as_deref(), Some("+1 555 010 2030"));
        assert_eq!(parse_phone(Some("".into())).unwrap(), None);
        assert!(parse_phone(Some("call me".into())).is_err());
        assert!(parse_phone(Some("12345".into())).is_err());
        assert!(parse_phone(Some("1234567890123456".into())).is_err());
    }
}
