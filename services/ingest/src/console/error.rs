use super::layout;
use crate::error::ApiError;
use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use std::fmt;

/// What a page answers instead of itself.
#[derive(Debug)]
pub enum PageError {
    /// No session, or it ended: 303 to the console's login.
    Login,
    /// The portal session or link is unknown, expired or revoked: 401 "Link expired".
    LinkExpired,
    NotFound,
    Forbidden(String),
    /// Any other status with the API's message.
    Other(StatusCode, String),
}

impl PageError {
    pub fn forbidden(message: impl Into<String>) -> Self {
        PageError::Forbidden(message.into())
    }

    pub fn bad_form() -> Self {
        PageError::Other(StatusCode::BAD_REQUEST, "the form could not be read".into())
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        match e.status {
            StatusCode::NOT_FOUND => PageError::NotFound,
            StatusCode::UNAUTHORIZED => PageError::Login,
            StatusCode::FORBIDDEN => PageError::Forbidden(e.message),
            status => PageError::Other(status, e.message),
        }
    }
}

impl From<hookd_db::DbError> for PageError {
    fn from(e: hookd_db::DbError) -> Self {
        ApiError::from(e).into()
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Login => StatusCode::SEE_OTHER,
            PageError::LinkExpired => StatusCode::UNAUTHORIZED,
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::Other(status, _) => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (title, message) = match self {
            PageError::Login => {
                return HttpResponse::SeeOther()
                    .insert_header((LOCATION, "/console/login"))
                    .finish()
            }
            PageError::LinkExpired => (
                "Link expired",
                "This portal link has expired or was revoked. Ask for a new link.".to_owned(),
            ),
            PageError::NotFound => (
                "Not found",
                "There is nothing here, or it is not yours to see.".to_owned(),
            ),
            PageError::Forbidden(m) => ("Forbidden", m.clone()),
            PageError::Other(StatusCode::TOO_MANY_REQUESTS, m) => ("Too many requests", m.clone()),
            PageError::Other(s, m) if s.is_server_error() => ("Something went wrong", m.clone()),
            PageError::Other(_, m) => ("Request refused", m.clone()),
        };
        layout::respond(status, layout::error_page(title, &message))
    }
}

/// Unknown console paths.
pub async fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError::NotFound)
}
