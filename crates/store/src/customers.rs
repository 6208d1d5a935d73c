//! The people who contact a business. Every statement binds the tenant's `org_id`.

use domain::{CustomerId, Email, PersonName};
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::{int, opt_text, text, uuid};
use crate::{new_id, now_ms, StoreError, TenantTx};

#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub name: PersonName,
    pub email: Option<Email>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub notes: String,
}

/// A partial update: `None` leaves a field as it is; `Some(None)` clears an optional field.
#[derive(Debug, Clone, Default)]
pub struct CustomerPatch {
    pub name: Option<PersonName>,
    pub email: Option<Option<Email>>,
    pub phone: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub postal_code: Option<Option<String>>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerRow {
    pub id: CustomerId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub notes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "id, name, email, phone, address, postal_code, notes, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<CustomerRow, StoreError> {
    Ok(CustomerRow {
        id: CustomerId::from_uuid(uuid(row, "id")?),
        name: text(row, "name")?,
        email: opt_text(row, "email")?,
        phone: opt_text(row, "phone")?,
        address: opt_text(row, "address")?,
        postal_code: opt_text(row, "postal_code")?,
        notes: text(row, "notes")?,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}

/// A phone number as it is kept: E.164 when it reads as one, so "(217) 555-0142" typed on a form
/// and +12175550142 texting the shop are the same customer; otherwise as it was given.
fn kept_phone(phone: Option<&str>) -> Option<String> {
    phone.map(|p| domain::catalog::e164(p).unwrap_or_else(|| p.trim().to_owned()))
}

pub async fn insert(tx: &mut TenantTx, new: &NewCustomer) -> Result<CustomerRow, StoreError> {
    let id = CustomerId::from_uuid(new_id());
    let now = now_ms();
    let org = tx.org().to_owned();
    sqlx::query(
        "INSERT INTO customers (id, org_id, name, email, phone, address, postal_code, notes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(id.to_string())
    .bind(&org)
    .bind(new.name.as_str())
    .bind(new.email.as_ref().map(|e| e.as_str().to_owned()))
    .bind(kept_phone(new.phone.as_deref()))
    .bind(new.address.clone())
    .bind(new.postal_code.clone())
    .bind(&new.notes)
    .bind(now)
    .execute(tx.conn())
    .await?;
    get(tx, id).await?.ok_or_else(|| StoreError::corrupt("inserted customer vanished"))
}

pub async fn get(tx: &mut TenantTx, id: CustomerId) -> Result<Option<CustomerRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE org_id = $1 AND id = $2");
    let org = tx.org().to_owned();
    let row = sqlx::query(&sql).bind(&org).bind(id.to_string()).fetch_optional(tx.conn()).await?;
    row.as_ref().map(from_row).transpose()
}

/// The customer with this email (case-insensitive) or, failing that, this phone number (as it is
/// kept, or exactly as given for one kept before numbers were).
pub async fn find_by_contact(
    tx: &mut TenantTx,
    email: Option<&Email>,
    phone: Option<&str>,
) -> Result<Option<CustomerRow>, StoreError> {
    let org = tx.org().to_owned();
    if let Some(email) = email {
        let sql = format!(
            "SELECT {COLUMNS} FROM customers WHERE org_id = $1 AND LOWER(email) = $2 ORDER BY created_at, id LIMIT 1"
        );
        let row = sqlx::query(&sql).bind(&org).bind(email.canonical()).fetch_optional(tx.conn()).await?;
        if let Some(row) = row {
            return from_row(&row).map(Some);
        }
    }
    if let Some(phone) = phone {
        let sql = format!(
            "SELECT {COLUMNS} FROM customers WHERE org_id = $1 AND (phone = $2 OR phone = $3)
             ORDER BY created_at, id LIMIT 1"
        );
        let kept = kept_phone(Some(phone)).unwrap_or_default();
        let row = sqlx::query(&sql).bind(&org).bind(kept).bind(phone).fetch_optional(tx.conn()).await?;
        return row.as_ref().map(from_row).transpose();
    }
    Ok(None)
}

/// Newest first, at most `limit` rows.
pub async fn list(tx: &mut TenantTx, limit: i64) -> Result<Vec<CustomerRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2");
    let org = tx.org().to_owned();
    let rows = sqlx::query(&sql).bind(&org).bind(limit).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

/// Customers whose name, email or phone contains `query` (any case), newest first.
pub async fn search(tx: &mut TenantTx, query: &str, limit: i64) -> Result<Vec<CustomerRow>, StoreError> {
    let escaped: String = query
        .trim()
        .to_lowercase()
        .chars()
        .flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] })
        .collect();
    let pattern = format!("%{escaped}%");
    // A number typed any way ("555-0142", "(217) 555") finds the digits of one kept as +1217….
    let digits: String = query.chars().filter(char::is_ascii_digit).collect();
    let phone_like = query.trim().chars().all(|c| c.is_ascii_digit() || " +-.()".contains(c)) && digits.len() >= 3;
    let digits = if phone_like { format!("%{digits}%") } else { pattern.clone() };
    let sql = format!(
        "SELECT {COLUMNS} FROM customers WHERE org_id = $1
           AND (LOWER(name) LIKE $2 ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE $2 ESCAPE '\\'
                OR COALESCE(phone, '') LIKE $2 ESCAPE '\\' OR COALESCE(phone, '') LIKE $4 ESCAPE '\\')
         ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    let org = tx.org().to_owned();
    let rows = sqlx::query(&sql).bind(&org).bind(&pattern).bind(limit).bind(&digits).fetch_all(tx.conn()).await?;
    rows.iter().map(from_row).collect()
}

/// Applies `patch` to the current org's customer; `None` when no such customer exists here.
pub async fn update(
    tx: &mut TenantTx,
    id: CustomerId,
    patch: &CustomerPatch,
) -> Result<Option<CustomerRow>, StoreError> {
    let Some(current) = get(tx, id).await? else { return Ok(None) };
    let merged = CustomerRow {
        name: patch.name.as_ref().map_or(current.name.clone(), |n| n.to_string()),
        email: patch.email.clone().map_or(current.email.clone(), |e| e.map(String::from)),
        phone: patch.phone.as_ref().map_or(current.phone.clone(), |p| kept_phone(p.as_deref())),
        address: patch.address.clone().unwrap_or(current.address.clone()),
        postal_code: patch.postal_code.clone().unwrap_or(current.postal_code.clone()),
        notes: patch.notes.clone().unwrap_or(current.notes.clone()),
        updated_at: now_ms(),
        ..current
    };
    let org = tx.org().to_owned();
    sqlx::query(
        "UPDATE customers SET name = $3, email = $4, phone = $5, address = $6, postal_code = $7, notes = $8,
         updated_at = $9 WHERE org_id = $1 AND id = $2",
    )
    .bind(&org)
    .bind(id.to_string())
    .bind(&merged.name)
    .bind(merged.email.clone())
    .bind(merged.phone.clone())
    .bind(merged.address.clone())
    .bind(merged.postal_code.clone())
    .bind(&merged.notes)
    .bind(merged.updated_at)
    .execute(tx.conn())
    .await?;
    Ok(Some(merged))
}

/// Deletes the current org's customer; `false` when there was none.
pub async fn delete(tx: &mut TenantTx, id: CustomerId) -> Result<bool, StoreError> {
    let org = tx.org().to_owned();
    let done = sqlx::query("DELETE FROM customers WHERE org_id = $1 AND id = $2")
        .bind(&org)
        .bind(id.to_string())
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_phone_is_kept_in_one_form_when_it_reads_as_a_number() {
        assert_eq!(super::kept_phone(Some("(217) 555-0142")).as_deref(), Some("+12175550142"));
        assert_eq!(super::kept_phone(Some("+1 217 555 0142")).as_deref(), Some("+12175550142"));
        assert_eq!(
            super::kept_phone(Some(" 555-0142 ")).as_deref(),
            Some("555-0142"),
            "too short to be sure: as given"
        );
        assert_eq!(super::kept_phone(None), None);
    }
}
