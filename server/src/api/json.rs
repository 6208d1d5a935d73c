//! `Json` and `Query` whose rejections use the API's own error shape and documented statuses: a
//! body that is not declared as JSON is 415, JSON that does not parse is 400, well-formed input of
//! the wrong shape (body or query string) is 422.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::FromRequest;
use axum::extract::FromRequestParts;

use super::ApiError;

#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(_) => Self::Validation { field: None, message: rejection.body_text() },
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType,
            _ => Self::BadRequest(rejection.body_text()),
        }
    }
}

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::Validation { field: None, message: rejection.body_text() }
    }
}
