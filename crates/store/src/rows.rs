//! Small helpers to read typed values out of `AnyRow`s with errors that name the column.

use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use crate::StoreError;

pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String, StoreError> {
    Ok(row.try_get::<String, _>(col)?)
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, StoreError> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

/// A column stored as one word of a `text_enum`; a word the enum does not know is corruption,
/// reported with the row's id so it can be found.
pub(crate) fn stored<T>(row: &AnyRow, col: &str, parse: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let raw = text(row, col)?;
    parse(&raw).ok_or_else(|| {
        let id = text(row, "id").unwrap_or_default();
        StoreError::corrupt(format!("row {id}: unknown {col} `{raw}`"))
    })
}

pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64, StoreError> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub(crate) fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

pub(crate) fn uuid(row: &AnyRow, col: &str) -> Result<Uuid, StoreError> {
    let raw = text(row, col)?;
    Uuid::parse_str(&raw).map_err(|_| StoreError::corrupt(format!("column {col} holds a non-UUID value")))
}

pub(crate) fn opt_uuid(row: &AnyRow, col: &str) -> Result<Option<Uuid>, StoreError> {
    opt_text(row, col)?
        .map(|raw| {
            Uuid::parse_str(&raw).map_err(|_| StoreError::corrupt(format!("column {col} holds a non-UUID value")))
        })
        .transpose()
}
