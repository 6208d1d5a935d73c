//! Invoices and their lines, in integer cents. Numbers are sequential per org (`INV-00001`); the
//! unique (org, number) key turns a race into a retry, never a duplicate number.

use domain::billing::InvoiceStatus;
use domain::LeadId;
use serde::Serialize;

use crate::rows::{int, opt_int, opt_text, stored, text};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone)]
pub struct NewLine {
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price_cents: i64,
    pub amount_cents: i64,
}

#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub lead_id: LeadId,
    pub appointment_id: Option<String>,
    pub currency: String,
    pub lines: Vec<NewLine>,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub tax_cents: i64,
    pub total_cents: i64,
    pub due_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineRow {
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price_cents: i64,
    pub amount_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceRow {
    pub id: String,
    pub lead_id: String,
    pub appointment_id: Option<String>,
    pub number: String,
    pub status: InvoiceStatus,
    pub currency: String,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub tax_cents: i64,
    pub total_cents: i64,
    pub due_at: Option<i64>,
    pub sent_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub created_at: i64,
    pub lines: Vec<LineRow>,
}

pub async fn create(tx: &mut TenantTx, new: &NewInvoice) -> Result<InvoiceRow, StoreError> {
    let org = tx.org().to_owned();
    // Two invoices billed at once must not both count the same invoices and take one number.
    tx.take_turns("invoice_numbers").await?;
    let count =
        sqlx::query("SELECT COUNT(*) AS n FROM invoices WHERE org_id = $1").bind(&org).fetch_one(tx.conn()).await?;
    let number = format!("INV-{:05}", int(&count, "n")? + 1);
    let id = new_id().to_string();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO invoices (id, org_id, lead_id, appointment_id, number, status, currency, subtotal_cents, tax_cents,
                               total_cents, due_at, created_at, updated_at, discount_cents)
         VALUES ($1, $2, $3, $4, $5, $13, $6, $7, $8, $9, $10, $11, $11, $12)",
    )
    .bind(&id)
    .bind(&org)
    .bind(new.lead_id.to_string())
    .bind(new.appointment_id.clone())
    .bind(&number)
    .bind(&new.currency)
    .bind(new.subtotal_cents)
    .bind(new.tax_cents)
    .bind(new.total_cents)
    .bind(new.due_at)
    .bind(now)
    .bind(new.discount_cents)
    .bind(InvoiceStatus::Draft.as_str())
    .execute(tx.conn())
    .await?;
    for (position, line) in new.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO invoice_lines (id, org_id, invoice_id, position, description, quantity_milli, unit_price_cents,
                                        amount_cents)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id().to_string())
        .bind(&org)
        .bind(&id)
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .bind(&line.description)
        .bind(line.quantity_milli)
        .bind(line.unit_price_cents)
        .bind(line.amount_cents)
        .execute(tx.conn())
        .await?;
    }
    get(tx, &id).await?.ok_or_else(|| StoreError::corrupt("created invoice vanished"))
}

/// Marks a draft invoice sent (a sent or paid one stays as it is).
pub async fn mark_sent(tx: &mut TenantTx, id: &str) -> Result<(), StoreError> {
    advance(tx, id, InvoiceStatus::Draft, InvoiceStatus::Sent, "sent_at").await?;
    Ok(())
}

const COLUMNS: &str =
    "id, lead_id, appointment_id, number, status, currency, subtotal_cents, discount_cents, tax_cents, total_cents,
                       due_at, sent_at, paid_at, created_at";

/// The lead's invoices with their lines, oldest first.
pub async fn for_lead(tx: &mut TenantTx, lead: LeadId) -> Result<Vec<InvoiceRow>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM invoices WHERE org_id = $1 AND lead_id = $2 ORDER BY created_at, id"
    ))
    .bind(&org)
    .bind(lead.to_string())
    .fetch_all(tx.conn())
    .await?;
    let mut invoices = Vec::new();
    for row in &rows {
        invoices.push(with_lines(tx, row).await?);
    }
    Ok(invoices)
}

pub async fn get(tx: &mut TenantTx, id: &str) -> Result<Option<InvoiceRow>, StoreError> {
    let org = tx.org().to_owned();
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM invoices WHERE org_id = $1 AND id = $2"))
        .bind(&org)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    match row {
        Some(row) => Ok(Some(with_lines(tx, &row).await?)),
        None => Ok(None),
    }
}

/// An invoice read under its row lock: held until the transaction ends, so whoever books money
/// against it sees every earlier payment and status change.
#[derive(Debug, Clone)]
pub struct LockedInvoice(InvoiceRow);

impl std::ops::Deref for LockedInvoice {
    type Target = InvoiceRow;

    fn deref(&self) -> &InvoiceRow {
        &self.0
    }
}

/// Reads the invoice and locks it for the rest of the transaction. On PostgreSQL that is
/// `FOR UPDATE`; a SQLite write transaction already holds the database's one write lock.
pub async fn lock(tx: &mut TenantTx, id: &str) -> Result<Option<LockedInvoice>, StoreError> {
    let org = tx.org().to_owned();
    let for_update = if tx.backend() == crate::Backend::Postgres { " FOR UPDATE" } else { "" };
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM invoices WHERE org_id = $1 AND id = $2{for_update}"))
        .bind(&org)
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    match row {
        Some(row) => Ok(Some(LockedInvoice(with_lines(tx, &row).await?))),
        None => Ok(None),
    }
}

async fn with_lines(tx: &mut TenantTx, row: &sqlx::any::AnyRow) -> Result<InvoiceRow, StoreError> {
    let org = tx.org().to_owned();
    let id = text(row, "id")?;
    let lines = sqlx::query(
        "SELECT description, quantity_milli, unit_price_cents, amount_cents FROM invoice_lines
         WHERE org_id = $1 AND invoice_id = $2 ORDER BY position",
    )
    .bind(&org)
    .bind(&id)
    .fetch_all(tx.conn())
    .await?
    .iter()
    .map(|l| {
        Ok(LineRow {
            description: text(l, "description")?,
            quantity_milli: int(l, "quantity_milli")?,
            unit_price_cents: int(l, "unit_price_cents")?,
            amount_cents: int(l, "amount_cents")?,
        })
    })
    .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(InvoiceRow {
        id,
        lead_id: text(row, "lead_id")?,
        appointment_id: opt_text(row, "appointment_id")?,
        number: text(row, "number")?,
        status: stored(row, "status", InvoiceStatus::parse)?,
        currency: text(row, "currency")?,
        subtotal_cents: int(row, "subtotal_cents")?,
        discount_cents: int(row, "discount_cents")?,
        tax_cents: int(row, "tax_cents")?,
        total_cents: int(row, "total_cents")?,
        due_at: opt_int(row, "due_at")?,
        sent_at: opt_int(row, "sent_at")?,
        paid_at: opt_int(row, "paid_at")?,
        created_at: int(row, "created_at")?,
        lines,
    })
}

/// Marks a sent invoice paid; false when it was not in `sent` (already paid, a draft, void).
pub async fn mark_paid(tx: &mut TenantTx, id: &str) -> Result<bool, StoreError> {
    advance(tx, id, InvoiceStatus::Sent, InvoiceStatus::Paid, "paid_at").await
}

/// Withdraws a draft or sent invoice; false when it was paid or void already.
pub async fn void(tx: &mut TenantTx, id: &str) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query(
        "UPDATE invoices SET status = $3, updated_at = $4 WHERE org_id = $1 AND id = $2 AND status IN ($5, $6)",
    )
    .bind(&org)
    .bind(id)
    .bind(InvoiceStatus::Void.as_str())
    .bind(now_ms())
    .bind(InvoiceStatus::Draft.as_str())
    .bind(InvoiceStatus::Sent.as_str())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves an invoice from `from` to `to`, stamping `at_column`; false when it was not in `from`.
async fn advance(
    tx: &mut TenantTx,
    id: &str,
    from: InvoiceStatus,
    to: InvoiceStatus,
    at_column: &'static str,
) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let sql = format!(
        "UPDATE invoices SET status = $3, {at_column} = $4, updated_at = $4 WHERE org_id = $1 AND id = $2 AND status = $5"
    );
    let done = sqlx::query(&sql)
        .bind(&org)
        .bind(id)
        .bind(to.as_str())
        .bind(now_ms())
        .bind(from.as_str())
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// An invoice as a list shows it: who it bills, its total and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceSummary {
    pub id: String,
    pub lead_id: String,
    pub number: String,
    pub status: InvoiceStatus,
    pub currency: String,
    pub total_cents: i64,
    pub due_at: Option<i64>,
    pub created_at: i64,
    pub customer_name: String,
}

/// The newest invoices first, with their customers' names.
pub async fn list(tx: &mut TenantTx, limit: i64) -> Result<Vec<InvoiceSummary>, StoreError> {
    let org = tx.org().to_owned();
    let rows = sqlx::query(
        "SELECT i.id, i.lead_id, i.number, i.status, i.currency, i.total_cents, i.due_at, i.created_at,
                c.name AS customer_name
         FROM invoices i
         JOIN leads l ON l.org_id = i.org_id AND l.id = i.lead_id
         JOIN customers c ON c.org_id = l.org_id AND c.id = l.customer_id
         WHERE i.org_id = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT $2",
    )
    .bind(&org)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(InvoiceSummary {
                id: text(r, "id")?,
                lead_id: text(r, "lead_id")?,
                number: text(r, "number")?,
                status: stored(r, "status", InvoiceStatus::parse)?,
                currency: text(r, "currency")?,
                total_cents: int(r, "total_cents")?,
                due_at: opt_int(r, "due_at")?,
                created_at: int(r, "created_at")?,
                customer_name: text(r, "customer_name")?,
            })
        })
        .collect()
}
