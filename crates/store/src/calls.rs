//! Calls to a shop's Twilio number and how each went: answered by whoever it rang, or missed
//! (then texted back, with the lead it opened).

use domain::LeadId;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_text, text};
use crate::{now_ms, StoreError, TenantTx};

/// How a call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Answered,
    Missed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Missed => "missed",
        }
    }
}

/// A call as Twilio reported it.
#[derive(Debug, Clone)]
pub struct NewCall<'a> {
    pub call_sid: &'a str,
    /// E.164; `None` when the caller withheld their number.
    pub from: Option<&'a str>,
    pub outcome: Outcome,
    pub duration_seconds: Option<i64>,
    pub lead_id: Option<LeadId>,
    pub texted_back: bool,
}

/// Keeps the call, once: whether it was news (Twilio may report a call more than once).
pub async fn record(tx: &mut TenantTx, call: &NewCall<'_>) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "INSERT INTO phone_calls (org_id, call_sid, from_number, outcome, duration_seconds, lead_id, texted_back,
                                  created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (org_id, call_sid) DO NOTHING",
    )
    .bind(&org)
    .bind(call.call_sid)
    .bind(call.from)
    .bind(call.outcome.as_str())
    .bind(call.duration_seconds)
    .bind(call.lead_id.map(|l| l.to_string()))
    .bind(i64::from(call.texted_back))
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A call as the owner reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    pub from: Option<String>,
    /// `answered` or `missed`.
    pub outcome: String,
    pub duration_seconds: Option<i64>,
    pub lead_id: Option<String>,
    pub texted_back: bool,
    pub created_at: i64,
}

fn from_row(row: &AnyRow) -> Result<CallRow, StoreError> {
    Ok(CallRow {
        from: opt_text(row, "from_number")?,
        outcome: text(row, "outcome")?,
        duration_seconds: opt_int(row, "duration_seconds")?,
        lead_id: opt_text(row, "lead_id")?,
        texted_back: int(row, "texted_back")? == 1,
        created_at: int(row, "created_at")?,
    })
}

/// The calls that opened `lead`, and the calls from `phone` (the number its customer gave), oldest
/// first.
pub async fn for_lead(tx: &mut TenantTx, lead: LeadId, phone: Option<&str>) -> Result<Vec<CallRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT from_number, outcome, duration_seconds, lead_id, texted_back, created_at FROM phone_calls
         WHERE org_id = $1 AND (lead_id = $2 OR from_number = $3) ORDER BY created_at, call_sid",
    )
    .bind(&org)
    .bind(lead.to_string())
    .bind(phone)
    .fetch_all(tx.conn())
    .await?;
    rows.iter().map(from_row).collect()
}

/// How the calls since `since_ms` went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallCounts {
    pub answered: i64,
    pub missed: i64,
    pub texted_back: i64,
}

pub async fn counts_since(tx: &mut TenantTx, since_ms: i64) -> Result<CallCounts, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(
        "SELECT COALESCE(SUM(CASE WHEN outcome = 'answered' THEN 1 ELSE 0 END), 0) AS answered,
                COALESCE(SUM(CASE WHEN outcome = 'missed' THEN 1 ELSE 0 END), 0) AS missed,
                COALESCE(SUM(CASE WHEN texted_back = 1 THEN 1 ELSE 0 END), 0) AS texted_back
         FROM phone_calls WHERE org_id = $1 AND created_at >= $2",
    )
    .bind(&org)
    .bind(since_ms)
    .fetch_one(tx.conn())
    .await?;
    Ok(CallCounts {
        answered: int(&row, "answered")?,
        missed: int(&row, "missed")?,
        texted_back: int(&row, "texted_back")?,
    })
}
