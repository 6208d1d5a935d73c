//! `Json` whose rejections use the API's own error shape.

use axum::extract::rejection::JsonRejection;
use axum::extract::FromRequest;

use super::ApiError;

#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            // Well-formed JSON of the wrong shape is a validation problem; anything else is a
            // malformed request.
            JsonRejection::JsonDataError(_) => Self::Validation { field: None, message: rejection.body_text() },
            _ => Self::BadRequest(rejection.body_text()),
        }
    }
}
