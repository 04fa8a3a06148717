//! CSRF protection: every form carries the session's token (a double-submit cookie on the
//! login form, which has no session yet), and a POST from another origin is refused.

use super::error::PageError;
use super::form::FormData;
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use subtle::ConstantTimeEq;

fn refused() -> PageError {
    PageError::forbidden("This form is not valid any more. Reload the page and try again.")
}

/// `Origin` (when the browser sends one) must be this site: the request's own host or the
/// configured public URL. `Sec-Fetch-Site: cross-site` is refused too. A request without
/// either (not a browser) still needs the token.
pub fn same_origin(req: &HttpRequest) -> Result<(), PageError> {
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    if fetch_site.as_deref() == Some("cross-site") {
        return Err(refused());
    }
    let Some(origin) = req.headers().get("origin") else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| refused())?;
    // Pages are served with `Referrer-Policy: no-referrer`, so browsers post `Origin: null`;
    // then the browser's own `Sec-Fetch-Site` says whether the form was this site's.
    if origin == "null" {
        return match fetch_site.as_deref() {
            Some("same-origin") => Ok(()),
            _ => Err(refused()),
        };
    }
    let authority = |u: &url::Url| -> Option<String> {
        let host = u.host_str()?;
        Some(match u.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        })
    };
    let parsed = url::Url::parse(origin).map_err(|_| refused())?;
    let Some(from) = authority(&parsed) else {
        return Err(refused());
    };
    let own_host = req.connection_info().host().to_owned();
    let public = req
        .app_data::<web::Data<AppState>>()
        .and_then(|s| url::Url::parse(&s.public_url).ok())
        .and_then(|u| authority(&u));
    if from.eq_ignore_ascii_case(&own_host) || public.is_some_and(|p| p.eq_ignore_ascii_case(&from))
    {
        Ok(())
    } else {
        Err(refused())
    }
}

/// The origin check and the form's `csrf_token` against the expected token.
pub fn check(req: &HttpRequest, form: &FormData, expected: &str) -> Result<(), PageError> {
    same_origin(req)?;
    let given = form.value("csrf_token");
    if expected.is_empty() || !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(refused());
    }
    Ok(())
}
