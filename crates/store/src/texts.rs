//! What Opsquad keeps of each shop's text messaging: the Twilio connection (an `integrations` row
//! with the shop's number as its account, the Account SID in its config and the Auth Token
//! sealed), the numbers that opted out, and each text handed to Twilio with what became of it.

use sqlx::any::AnyRow;

use crate::integrations::{Connection, NewConnection};
use crate::rows::{int, opt_int, opt_text, text};
use crate::{now_ms, Db, StoreError, TenantScope, TenantTx};

pub const PROVIDER: &str = "twilio";

/// `PROVIDER` as the shared connection queries name it.
const TWILIO: &str = "'twilio'";

/// The org's Twilio connection with its sealed credentials, if it has one.
pub async fn connection(tx: &mut TenantTx) -> Result<Option<(Connection, String)>, StoreError> {
    crate::integrations::sealed(tx, TWILIO).await
}

/// Connects the org's texting through `new`, replacing any Twilio connection it had.
pub async fn put_connection(tx: &mut TenantTx, new: &NewConnection<'_>) -> Result<(), StoreError> {
    crate::integrations::replace(tx, TWILIO, new).await
}

/// Forgets the org's Twilio connection and its credentials; whether there was one.
pub async fn delete_connection(tx: &mut TenantTx) -> Result<bool, StoreError> {
    crate::integrations::remove(tx, TWILIO).await
}

/// The org that connected the number `to` (E.164), acting as the texting door: the one party
/// Twilio's webhook reaches. Only the first org to connect a number gets it.
pub async fn org_of_number(db: &Db, number: &str) -> Result<Option<TenantScope>, StoreError> {
    let mut tx = db.begin_door("app.twilio_number_lookup").await?;
    let rows = sqlx::query(
        "SELECT org_id FROM integrations WHERE provider = 'twilio' AND account_label = $1 ORDER BY created_at LIMIT 1",
    )
    .bind(number)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    rows.first()
        .map(|row| {
            let org = domain::OrgId::parse(&text(row, "org_id")?).map_err(StoreError::corrupt)?;
            Ok(TenantScope::from_verified_credential(org, None, domain::Role::Staff))
        })
        .transpose()
}

/// `phone` texted STOP: nothing more is sent to it. Whether it was opted in until now.
pub async fn opt_out(tx: &mut TenantTx, phone: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "INSERT INTO sms_opt_outs (org_id, phone, opted_out_at) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, phone) DO NOTHING",
    )
    .bind(&org)
    .bind(phone)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `phone` texted START: texts may go to it again. Whether it was opted out until now.
pub async fn opt_in(tx: &mut TenantTx, phone: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("DELETE FROM sms_opt_outs WHERE org_id = $1 AND phone = $2")
        .bind(&org)
        .bind(phone)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn opted_out(tx: &mut TenantTx, phone: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT 1 AS here FROM sms_opt_outs WHERE org_id = $1 AND phone = $2")
        .bind(&org)
        .bind(phone)
        .fetch_optional(tx.conn())
        .await?;
    Ok(row.is_some())
}

/// One text handed to Twilio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRow {
    pub sid: String,
    pub message_id: Option<String>,
    pub to_number: String,
    pub status: String,
    pub segments: Option<i64>,
    pub price_micros: Option<i64>,
    pub error_code: Option<i64>,
    pub updated_at: i64,
}

fn text_from(row: &AnyRow) -> Result<TextRow, StoreError> {
    Ok(TextRow {
        sid: text(row, "sid")?,
        message_id: opt_text(row, "message_id")?,
        to_number: text(row, "to_number")?,
        status: text(row, "status")?,
        segments: opt_int(row, "segments")?,
        price_micros: opt_int(row, "price_micros")?,
        error_code: opt_int(row, "error_code")?,
        updated_at: int(row, "updated_at")?,
    })
}

const TEXT_COLUMNS: &str = "sid, message_id, to_number, status, segments, price_micros, error_code, updated_at";

/// Keeps a text Twilio accepted.
pub async fn keep(tx: &mut TenantTx, row: &TextRow) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO sms_texts (org_id, sid, message_id, to_number, status, segments, price_micros, error_code,
                                created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&org)
    .bind(&row.sid)
    .bind(&row.message_id)
    .bind(&row.to_number)
    .bind(&row.status)
    .bind(row.segments)
    .bind(row.price_micros)
    .bind(row.error_code)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn get(tx: &mut TenantTx, sid: &str) -> Result<Option<TextRow>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(&format!("SELECT {TEXT_COLUMNS} FROM sms_texts WHERE org_id = $1 AND sid = $2"))
        .bind(&org)
        .bind(sid)
        .fetch_optional(tx.conn())
        .await?;
    row.as_ref().map(text_from).transpose()
}

/// The texts that carried message `message_id`, oldest first.
pub async fn for_message(tx: &mut TenantTx, message_id: &str) -> Result<Vec<TextRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(&format!(
        "SELECT {TEXT_COLUMNS} FROM sms_texts WHERE org_id = $1 AND message_id = $2 ORDER BY created_at, sid"
    ))
    .bind(&org)
    .bind(message_id)
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(text_from).collect()
}

/// Records a status Twilio reported. Statuses arrive out of order; a final one (`delivered`,
/// `failed`, `undelivered`) is never replaced by an earlier step. Whether the status changed.
pub async fn set_status(
    tx: &mut TenantTx,
    sid: &str,
    status: &str,
    error_code: Option<i64>,
    price_micros: Option<i64>,
) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "UPDATE sms_texts SET status = $3, error_code = COALESCE($4, error_code),
                price_micros = COALESCE($5, price_micros), updated_at = $6
         WHERE org_id = $1 AND sid = $2 AND status <> $3
           AND status NOT IN ('delivered', 'failed', 'undelivered', 'canceled')",
    )
    .bind(&org)
    .bind(sid)
    .bind(status)
    .bind(error_code)
    .bind(price_micros)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Stores a text Twilio delivered to the shop, once: `false` when its `sid` was already taken.
pub async fn receive(tx: &mut TenantTx, sid: &str, payload: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "INSERT INTO inbound_events (org_id, provider, event_id, payload, received_at) VALUES ($1, 'twilio', $2, $3, $4)
         ON CONFLICT (org_id, provider, event_id) DO NOTHING",
    )
    .bind(&org)
    .bind(sid)
    .bind(payload)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What was made of a received text (`inquiry`, `keyword`).
pub async fn received_done(tx: &mut TenantTx, sid: &str, outcome: &str) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query(
        "UPDATE inbound_events SET processed_at = $3, outcome = $4 WHERE org_id = $1 AND provider = 'twilio' AND event_id = $2",
    )
    .bind(&org)
    .bind(sid)
    .bind(now_ms())
    .bind(outcome)
    .execute(tx.conn())
    .await?;
    Ok(())
}
