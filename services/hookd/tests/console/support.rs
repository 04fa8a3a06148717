//! Browser-like requests: form posts with cookies, and reading tokens out of pages.

use crate::helpers::TestStack;
use hookd_testkit::{ApiClient, ApiResponse};

/// A client without an API key: what a browser sends.
pub fn browser(stack: &TestStack) -> ApiClient {
    stack.api.with_key(None)
}

/// The value of `name` in the response's `Set-Cookie` headers.
pub fn set_cookie(r: &ApiResponse, name: &str) -> Option<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The cookie's value alone.
pub fn cookie_value(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap_or_default();
    pair.split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// The first `csrf_token` of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf_token\" value=\"")
        .unwrap_or_else(|| panic!("no csrf_token in {html}"));
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub fn form(pairs: &[(&str, &str)]) -> bytes::Bytes {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish().into()
}

/// A logged-in console: its cookie and CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl Session {
    pub fn header(&self) -> String {
        format!("hookd_console={}", self.cookie)
    }

    pub async fn get(&self, client: &ApiClient, path: &str) -> ApiResponse {
        client
            .raw("GET", path, None, &[("cookie", &self.header())])
            .await
    }

    pub async fn post(
        &self,
        client: &ApiClient,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> ApiResponse {
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &self.csrf)];
        all.extend_from_slice(pairs);
        client
            .raw(
                "POST",
                path,
                Some(form(&all)),
                &[("cookie", &self.header())],
            )
            .await
    }
}

/// Answers of a login attempt with `key`: the login form's response and the post's.
pub async fn try_login(client: &ApiClient, key: &str) -> ApiResponse {
    let page = client.get("/console/login").await;
    assert_eq!(page.status, 200, "{}", page.text);
    let csrf_cookie = cookie_value(&set_cookie(&page, "hookd_console_csrf").expect("csrf cookie"));
    let token = csrf_of(&page.text);
    assert_eq!(
        token, csrf_cookie,
        "the login form double-submits its cookie"
    );
    client
        .raw(
            "POST",
            "/console/login",
            Some(form(&[("csrf_token", &token), ("api_key", key)])),
            &[("cookie", &format!("hookd_console_csrf={csrf_cookie}"))],
        )
        .await
}

pub async fn login(client: &ApiClient, key: &str) -> Session {
    let r = try_login(client, key).await;
    assert_eq!(r.status, 303, "{}", r.text);
    let cookie = cookie_value(&set_cookie(&r, "hookd_console").expect("session cookie"));
    let apps = client
        .raw(
            "GET",
            "/console/apps",
            None,
            &[("cookie", &format!("hookd_console={cookie}"))],
        )
        .await;
    assert_eq!(apps.status, 200, "{}", apps.text);
    Session {
        csrf: csrf_of(&apps.text),
        cookie,
    }
}
