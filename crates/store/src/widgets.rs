//! Each org's chat widget settings (one row once the owner saved them; none means the widget is
//! off) and its visitors' sessions.

use domain::widget::WidgetSettings;
use domain::{CustomerId, LeadId, OrgId, WidgetSessionId};
use sqlx::any::AnyRow;

use crate::rows::{int, opt_int, opt_uuid, text, uuid};
use crate::{new_id, now_ms, Db, StoreError, TenantScope, TenantTx};

fn from_row(row: &AnyRow) -> Result<WidgetSettings, StoreError> {
    let allowed_origins: Vec<String> = serde_json::from_str(&text(row, "allowed_origins")?)
        .map_err(|e| StoreError::corrupt(format!("column allowed_origins: {e}")))?;
    Ok(WidgetSettings {
        enabled: int(row, "enabled")? == 1,
        allowed_origins,
        greeting: text(row, "greeting")?,
        accent_color: text(row, "accent_color")?,
    })
}

const COLUMNS: &str = "enabled, allowed_origins, greeting, accent_color";

pub async fn get(tx: &mut TenantTx) -> Result<WidgetSettings, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM widgets WHERE org_id = $1"))
        .bind(&org)
        .fetch_optional(tx.conn())
        .await?;
    row.as_ref().map(from_row).transpose().map(Option::unwrap_or_default)
}

/// Replaces the settings; the caller validated them (`WidgetSettings::validate`).
pub async fn put(tx: &mut TenantTx, settings: &WidgetSettings) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    let origins = serde_json::to_string(&settings.allowed_origins).map_err(StoreError::corrupt)?;
    sqlx::query(
        "INSERT INTO widgets (org_id, enabled, allowed_origins, greeting, accent_color, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id) DO UPDATE SET enabled = $2, allowed_origins = $3, greeting = $4,
                                            accent_color = $5, updated_at = $6",
    )
    .bind(&org)
    .bind(i64::from(settings.enabled))
    .bind(origins)
    .bind(&settings.greeting)
    .bind(&settings.accent_color)
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The widget's door: the org's widget when it is enabled, with the scope to act for that org (as
/// a visitor may: the widget's own operations decide what that is).
pub async fn find_enabled(db: &Db, org: OrgId) -> Result<Option<(TenantScope, WidgetSettings)>, StoreError> {
    let mut tx = db.begin_door("app.widget_lookup").await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM widgets WHERE org_id = $1 AND enabled = 1"))
        .bind(org.to_string())
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    row.map(|row| {
        let scope = TenantScope::from_verified_credential(org, None, domain::Role::Staff);
        Ok((scope, from_row(&row)?))
    })
    .transpose()
}

/// One visitor's conversation. The customer and lead are set by its first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: WidgetSessionId,
    pub customer_id: Option<CustomerId>,
    pub lead_id: Option<LeadId>,
    pub created_at: i64,
}

pub async fn start_session(tx: &mut TenantTx) -> Result<SessionRow, StoreError> {
    let org = tx.org().to_owned();
    let id = WidgetSessionId::from_uuid(new_id());
    let now = now_ms();
    sqlx::query(
        "INSERT INTO widget_sessions (id, org_id, customer_id, lead_id, created_at, last_seen_at)
         VALUES ($1, $2, NULL, NULL, $3, $3)",
    )
    .bind(id.to_string())
    .bind(&org)
    .bind(now)
    .execute(tx.conn())
    .await?;
    Ok(SessionRow { id, customer_id: None, lead_id: None, created_at: now })
}

pub async fn session(tx: &mut TenantTx, id: WidgetSessionId) -> Result<Option<SessionRow>, StoreError> {
    let org = tx.org().to_owned();
    let row =
        sqlx::query("SELECT id, customer_id, lead_id, created_at FROM widget_sessions WHERE org_id = $1 AND id = $2")
            .bind(&org)
            .bind(id.to_string())
            .fetch_optional(tx.conn())
            .await?;
    row.map(|row| {
        Ok(SessionRow {
            id: WidgetSessionId::from_uuid(uuid(&row, "id")?),
            customer_id: opt_uuid(&row, "customer_id")?.map(CustomerId::from_uuid),
            lead_id: opt_uuid(&row, "lead_id")?.map(LeadId::from_uuid),
            created_at: int(&row, "created_at")?,
        })
    })
    .transpose()
}

/// Records which customer and lead the session's conversation is, and that the visitor was here.
pub async fn attach(
    tx: &mut TenantTx,
    id: WidgetSessionId,
    customer: CustomerId,
    lead: LeadId,
) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query(
        "UPDATE widget_sessions SET customer_id = $3, lead_id = $4, last_seen_at = $5
         WHERE org_id = $1 AND id = $2",
    )
    .bind(&org)
    .bind(id.to_string())
    .bind(customer.to_string())
    .bind(lead.to_string())
    .bind(now_ms())
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether the lead's conversation is a chat widget session's: the customer can be shown things
/// to tap in the window.
pub async fn lead_has_session(tx: &mut TenantTx, lead: LeadId) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT COUNT(*) AS n FROM widget_sessions WHERE org_id = $1 AND lead_id = $2")
        .bind(&org)
        .bind(lead.to_string())
        .fetch_one(tx.conn())
        .await?;
    Ok(int(&row, "n")? > 0)
}

/// The visitor has the window open now.
pub async fn touch(tx: &mut TenantTx, id: WidgetSessionId) -> Result<(), StoreError> {
    let org = tx.org().to_owned();
    sqlx::query("UPDATE widget_sessions SET last_seen_at = $3 WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id.to_string())
        .bind(now_ms())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// How long after the window last checked in the visitor counts as gone from the page. The
/// window checks in several times a minute while it is open.
pub const AWAY_AFTER_MS: i64 = 45_000;

/// Whether the lead's chat visitor has left the page: no window of theirs has checked in for
/// [`AWAY_AFTER_MS`]. `false` for a lead that is no chat.
pub async fn visitor_away(tx: &mut TenantTx, lead: LeadId) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query("SELECT MAX(last_seen_at) AS seen FROM widget_sessions WHERE org_id = $1 AND lead_id = $2")
        .bind(&org)
        .bind(lead.to_string())
        .fetch_one(tx.conn())
        .await?;
    Ok(opt_int(&row, "seen")?.is_some_and(|seen| seen + AWAY_AFTER_MS < now_ms()))
}
