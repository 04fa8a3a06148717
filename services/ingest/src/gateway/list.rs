//! Gateway lists: the shared query forms of `crate::list`, answered in Hookdeck's shape
//! (cursors omitted at the ends), and the gateway's own parameters (`disabled`, `include`).

use crate::error::ApiError;
use crate::list::{ListQuery, ListSpec};
use actix_web::HttpRequest;
use hookd_db::Listed;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct GwPagination {
    pub order_by: String,
    pub dir: String,
    pub limit: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

/// `{models, count (in page), pagination}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GwList<T> {
    pub models: Vec<T>,
    pub count: usize,
    pub pagination: GwPagination,
}

pub struct GwQuery {
    pub list: ListQuery,
    /// `disabled=true`: disabled objects are listed too.
    pub with_disabled: bool,
}

impl GwQuery {
    pub fn parse(req: &HttpRequest, spec: &ListSpec<'_>) -> Result<Self, ApiError> {
        let list = ListQuery::parse_spec(req, spec)?;
        let with_disabled = match param(req, "disabled").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(ApiError::invalid("disabled must be true or false")),
        };
        Ok(Self {
            list,
            with_disabled,
        })
    }

    /// The page, each model rendered by `map`.
    pub fn respond<T, U>(
        &self,
        listed: Listed<T>,
        map: impl FnMut(T) -> Result<U, ApiError>,
    ) -> Result<GwList<U>, ApiError> {
        let models: Vec<U> = listed
            .models
            .into_iter()
            .map(map)
            .collect::<Result<_, _>>()?;
        Ok(GwList {
            count: models.len(),
            models,
            pagination: GwPagination {
                order_by: self.list.order_by.into(),
                dir: self.list.dir_name().into(),
                limit: self.list.page.limit,
                next: listed.next,
                prev: listed.prev,
            },
        })
    }
}

/// The last value of a query parameter.
pub fn param(req: &HttpRequest, name: &str) -> Option<String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .last()
}

/// Whether `include=` (repeatable, comma-separated) names `what`.
pub fn includes(req: &HttpRequest, what: &str) -> bool {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == "include" || k == "include[]")
        .any(|(_, v)| v.split(',').any(|p| p.trim() == what))
}
