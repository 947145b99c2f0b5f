//! The one error type of the HTTP layer, and its JSON body.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diun_core::{StoreError, ValidationError, ValidationErrorKind};
use serde::Serialize;

/// Every way a request can fail. The status and the body follow from the variant.
#[derive(Debug)]
pub enum ApiError {
    /// The request is malformed; `code` says how (`invalid_json`, `missing_field`…).
    BadRequest {
        /// A stable, machine-readable reason.
        code: &'static str,
        /// What is wrong, for people.
        message: String,
        /// The body field at fault, when one is.
        field: Option<String>,
    },
    /// The webhook secret is missing or wrong.
    Unauthorized(String),
    /// A protected route needs sign-in; `basic` asks the browser for a password.
    LoginRequired {
        /// What is wrong, for people.
        message: String,
        /// Whether to send the HTTP Basic challenge.
        basic: bool,
    },
    /// Refused whoever asks, such as a cross-site request.
    Forbidden(String),
    /// Too many failed sign-ins from this address; try again after `retry_after` seconds.
    TooManyRequests {
        /// Seconds until the address may try again.
        retry_after: u64,
    },
    /// Too many passwords are being checked at once; try again after `retry_after` seconds.
    Busy {
        /// Seconds until trying again is sensible.
        retry_after: u64,
    },
    /// The thing asked for does not exist.
    NotFound(String),
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The change clashes with existing data.
    Conflict(String),
    /// The body is larger than accepted.
    PayloadTooLarge(String),
    /// The body did not arrive in time.
    RequestTimeout(String),
    /// A resource with a fixed cap (live event streams) is fully taken.
    Overloaded {
        /// What is full, for people.
        message: String,
        /// Seconds until trying again is sensible.
        retry_after: u64,
    },
    /// The database cannot be reached; trying again later may work.
    // The cause is logged where the error is made; it stays for `Debug`, never sent.
    Unavailable(#[allow(dead_code)] String),
    /// The database's disk is full: nothing can be written until space is freed; reading works.
    StorageFull(#[allow(dead_code)] String),
    /// A fault of the server; the cause was logged, never sent.
    Internal,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "error": "missing_field",
    "message": "`image` is required and must not be blank",
    "field": "image"
}))]
pub struct ErrorBody<'a> {
    /// A stable, machine-readable reason.
    pub error: &'a str,
    /// What went wrong, for people.
    pub message: &'a str,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<&'a str>,
}

impl ApiError {
    /// A bad request without a particular field.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { code, message: message.into(), field: None }
    }

    /// The stable, machine-readable reason sent as `error`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } => code,
            ApiError::Unauthorized(_) | ApiError::LoginRequired { .. } => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Busy { .. } => "busy",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::Overloaded { .. } => "busy",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::StorageFull(_) => "storage_full",
            ApiError::Internal => "internal",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::BadRequest { message, .. }
            | ApiError::Unauthorized(message)
            | ApiError::LoginRequired { message, .. }
            | ApiError::Forbidden(message)
            | ApiError::NotFound(message)
            | ApiError::Conflict(message)
            | ApiError::PayloadTooLarge(message)
            | ApiError::RequestTimeout(message)
            | ApiError::Overloaded { message, .. } => f.write_str(message),
            ApiError::MethodNotAllowed => f.write_str("this route does not accept that method"),
            ApiError::TooManyRequests { retry_after } => {
                write!(f, "too many failed sign-ins from this address; try again in {retry_after} s")
            }
            ApiError::Busy { retry_after } => {
                write!(f, "too many sign-ins are being checked right now; try again in {retry_after} s")
            }
            ApiError::Unavailable(_) => f.write_str("the database is unavailable; try again shortly"),
            ApiError::StorageFull(_) => {
                f.write_str("the database's disk is full: nothing can be stored until space is freed; reading works")
            }
            ApiError::Internal => f.write_str("the server failed to handle the request; see its log"),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) | ApiError::LoginRequired { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::StorageFull(_) => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let message = self.to_string();
        let field = match self {
            ApiError::BadRequest { field, .. } => field.as_deref(),
            _ => None,
        };
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::LoginRequired { basic: true, .. } => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="Diun Dashboard", charset="UTF-8""#));
            }
            ApiError::TooManyRequests { retry_after }
            | ApiError::Busy { retry_after }
            | ApiError::Overloaded { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            // The client gave up on sending the body; say the connection ends.
            ApiError::RequestTimeout(_) => {
                response.insert_header((header::CONNECTION, "close"));
            }
            _ => {}
        }
        response.json(ErrorBody { error: self.code(), message: &message, field })
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} does not exist")),
            StoreError::Conflict(message) => ApiError::Conflict(message),
            StoreError::Invalid(message) => ApiError::bad_request("invalid_request", message),
            StoreError::Unavailable(cause) => {
                log::warn!("database unavailable: {cause}");
                ApiError::Unavailable(cause)
            }
            StoreError::Full(cause) => {
                log::error!("the database's disk is full: {cause}");
                ApiError::StorageFull(cause)
            }
            StoreError::Backend(cause) => {
                log::error!("database error: {cause}");
                ApiError::Internal
            }
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        let code = match err.kind() {
            ValidationErrorKind::Syntax => "invalid_json",
            ValidationErrorKind::Missing => "missing_field",
            ValidationErrorKind::Invalid => "invalid_field",
            ValidationErrorKind::TooLong => "field_too_long",
        };
        let field = (err.field() != "body").then(|| err.field().to_owned());
        ApiError::BadRequest { code, message: err.to_string(), field }
    }
}
