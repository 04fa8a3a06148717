//! The console session: cookie `hookd_console`, a row keyed by the id's hash, acting as the
//! API key it was opened with.

use super::error::PageError;
use super::token;
use crate::auth::Caller;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header::COOKIE;
use actix_web::{web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

pub const COOKIE_NAME: &str = "hookd_console";

/// A logged-in console user.
pub struct ConsoleUser {
    pub caller: Caller,
    pub csrf: String,
    pub id_hash: [u8; 32],
}

/// The value of a cookie of the request.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly always, Secure when the public URL is https.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age: i64,
) -> String {
    let secure = if state.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}"
    )
}

impl FromRequest for ConsoleUser {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let id = cookie(req, COOKIE_NAME);
        Box::pin(async move {
            let (Some(state), Some(id)) = (state, id) else {
                return Err(PageError::Login);
            };
            let id_hash = token::hash(&id);
            let client = state.client().await?;
            let session = hookd_db::console_sessions::find(&client, &id_hash)
                .await?
                .ok_or(PageError::Login)?;
            let key_hash: [u8; 32] = session
                .key_hash
                .as_slice()
                .try_into()
                .map_err(|_| PageError::Login)?;
            // The session acts as its key: a key deleted since the login ends it here.
            let caller = match crate::auth::resolve_hash(&state, key_hash).await {
                Ok(caller) => caller,
                Err(e) if e.status == actix_web::http::StatusCode::UNAUTHORIZED => {
                    hookd_db::console_sessions::delete(&client, &id_hash).await?;
                    return Err(PageError::Login);
                }
                Err(e) => return Err(e.into()),
            };
            Ok(ConsoleUser {
                caller,
                csrf: session.csrf_token,
                id_hash,
            })
        })
    }
}
