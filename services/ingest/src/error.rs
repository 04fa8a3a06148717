use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use hookd_bus::BusError;
use hookd_db::DbError;
use serde_json::{json, Value};
use std::fmt;

/// Every 4xx and 5xx of the API, rendered in one place as
/// `{"handled": true, "status": 422, "code": "UNPROCESSABLE_ENTITY", "message": "...",
/// "data": {...}}` (`code` is what the gateway's clients switch on; the status names it
/// unless a route gives a more precise one).
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub data: Value,
    /// Seconds for a `Retry-After` header (429, 503).
    pub retry_after: Option<u64>,
    /// A precise code (`SOURCE_DISABLED`); `None` renders the status's name.
    pub code: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            data: json!({}),
            retry_after: None,
            code: None,
        }
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// The code rendered: the precise one, else the status's name.
    pub fn code(&self) -> &'static str {
        self.code.unwrap_or(match self.status.as_u16() {
            400 => "BAD_REQUEST",
            401 => "UNAUTHORIZED",
            403 => "FORBIDDEN",
            404 => "NOT_FOUND",
            405 => "METHOD_NOT_ALLOWED",
            409 => "CONFLICT",
            413 => "PAYLOAD_TOO_LARGE",
            422 => "UNPROCESSABLE_ENTITY",
            429 => "TOO_MANY_REQUESTS",
            503 => "SERVICE_UNAVAILABLE",
            _ => "INTERNAL_SERVER_ERROR",
        })
    }

    pub fn with_data(mut self, data: Value) -> Self {
        self.data = data;
        self
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "missing or unknown API key")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn unavailable() -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "a dependency is unavailable, retry later",
        );
        e.retry_after = Some(1);
        e
    }

    /// Maps "no such row" to a 404 that names the resource.
    pub fn from_db(what: &str) -> impl Fn(DbError) -> ApiError + '_ {
        move |e| match e {
            DbError::NotFound => ApiError::not_found(what),
            other => other.into(),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            response.insert_header(("Retry-After", secs.to_string()));
        }
        response.json(json!({
            "handled": true,
            "status": self.status.as_u16(),
            "code": self.code(),
            "message": self.message,
            "data": self.data,
        }))
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound => ApiError::not_found("resource"),
            DbError::Conflict { constraint } => ApiError::conflict(conflict_message(&constraint)),
            DbError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                ApiError::unavailable()
            }
            // Class 22 is a data exception: a value from the request that the database cannot
            // store or compare (a NUL character in text, a number or time out of range).
            DbError::Query(cause)
                if cause
                    .code()
                    .is_some_and(|code| code.code().starts_with("22")) =>
            {
                tracing::warn!(error = %cause, "database refused a value of the request");
                ApiError::invalid("a value of the request cannot be stored")
            }
            DbError::Query(cause) => {
                // Logged in full, answered without internals.
                tracing::error!(error = ?cause, "database query failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
            }
        }
    }
}

impl From<BusError> for ApiError {
    fn from(e: BusError) -> Self {
        tracing::warn!(error = %e, "broker unavailable");
        ApiError::unavailable()
    }
}

fn conflict_message(constraint: &str) -> String {
    match constraint {
        "organizations_name_key" => "an organization with this name exists already".into(),
        "apps_organization_id_name_key" => "an app with this name exists already".into(),
        "event_types_app_id_name_key" => "an event type with this name exists already".into(),
        "subscriptions_app_id_name_key" => "a subscription with this name exists already".into(),
        "gw_sources_organization_id_name_key" => "a source with this name exists already".into(),
        "gw_destinations_organization_id_name_key" => {
            "a destination with this name exists already".into()
        }
        "gw_connections_source_id_name_key" => {
            "a connection with this name exists already on this source".into()
        }
        _ => "conflicts with an existing resource".into(),
    }
}
