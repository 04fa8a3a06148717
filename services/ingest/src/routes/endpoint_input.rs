//! The body of an endpoint's create and update: one typed struct, parsed and documented, and
//! its checks into the database's fields.

use crate::body::{check_len, invalid_field, Nullable};
use crate::error::ApiError;
use hookd_db::endpoints::EndpointFields;
use hookd_domain::{EndpointKind, EndpointOrdering, EndpointStatus, LaneKey};
use hookd_filter::MessageFilter;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// An endpoint: where a subscriber receives webhooks. On create `url` (unless `kind` is
/// `cli`) and `event_types` are required; on PATCH every field is optional and `null` clears
/// `description` and `rate_limit`.
#[derive(Deserialize, ToSchema)]
pub struct EndpointInput {
    /// http(s) URL. Not given for a `cli` endpoint; giving one to a `cli` endpoint on PATCH
    /// makes it an `http` endpoint.
    url: Option<String>,
    /// `http` (default): hookd POSTs to `url`. `cli`: deliveries go to a connected
    /// `hookctl listen` (`GET /api/v1/endpoints/{endpoint_id}/listen`) and wait while none is.
    #[schema(example = "http")]
    kind: Option<EndpointKind>,
    /// Message version this endpoint receives, `1.0` by default.
    version: Option<String>,
    #[schema(example = "enabled")]
    status: Option<EndpointStatus>,
    /// Event types (defined in the app) this endpoint receives.
    event_types: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    description: Nullable<String>,
    /// Extra headers sent with every delivery.
    headers: Option<BTreeMap<String, String>>,
    /// A `whsec_` secret of your own; generated when absent. Create only: change it with
    /// `POST .../secret/rotate`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub(crate) secret: Nullable<String>,
    /// Deliveries per second at most (optional; `null` removes the limit).
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100000)]
    rate_limit: Nullable<i64>,
    /// Payload filter over `{event_type, version, data}` in the gateway's filter syntax, e.g.
    /// `{"data": {"amount": {"$gte": 100}}}`: the endpoint gets only matching messages.
    /// `null` (or absent on create) for all; one that does not parse is a 422 naming where.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    filter: Nullable<Value>,
    /// `fifo`: a message goes to the endpoint only after the previous one (of the same
    /// `ordering_key` value) succeeded or finally failed, in the order they were sent. `none`
    /// (the default): no order, the fastest.
    #[schema(example = "fifo")]
    ordering: Option<EndpointOrdering>,
    /// With `fifo`: a dotted path into the message's `data` (e.g. `customer.id`) whose value
    /// picks the lane; order holds per value, and a failing message blocks only its lane.
    /// Messages without the value share one lane. `null`: one lane for the whole endpoint.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "customer.id")]
    ordering_key: Nullable<String>,
}

/// Header names hookd sets itself.
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "host",
    "user-agent",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "transfer-encoding",
    "connection",
];

/// A webhook URL (an endpoint's, the operational webhook's): http(s) with a host.
pub(crate) fn parse_url(url: &str) -> Result<String, ApiError> {
    let url = url.trim().to_owned();
    let parsed = url::Url::parse(&url)
        .map_err(|e| invalid_field("url", format!("url is not valid: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(invalid_field(
            "url",
            "url must be an http(s) URL with a host",
        ));
    }
    check_len(&url, "url", 2048)?;
    Ok(url)
}

pub(crate) fn parse_fields(input: EndpointInput) -> Result<EndpointFields, ApiError> {
    let mut f = EndpointFields::default();
    // `cli:` is how a cli endpoint's url reads back (the console's form sends it again).
    let gave_cli_url = input.url.as_deref().map(str::trim) == Some(EndpointKind::CLI_URL);
    let url = input
        .url
        .map(|u| u.trim().to_owned())
        .filter(|u| u != EndpointKind::CLI_URL || input.kind == Some(EndpointKind::Http));
    let kind = match (input.kind, &url) {
        (None, None) if gave_cli_url => Some(EndpointKind::Cli),
        (kind, _) => kind,
    };
    match (kind, url) {
        (Some(EndpointKind::Cli), Some(_)) => {
            return Err(invalid_field(
                "url",
                "a cli endpoint has no url: its deliveries go to `hookctl listen`",
            ))
        }
        (Some(EndpointKind::Cli), None) => f.url = Some(EndpointKind::CLI_URL.to_owned()),
        (Some(EndpointKind::Http), None) => {
            return Err(invalid_field("url", "an http endpoint needs a url"))
        }
        (_, Some(url)) => f.url = Some(parse_url(&url)?),
        (None, None) => {}
    }
    if let Some(version) = input.version.map(|v| v.trim().to_owned()) {
        if version.is_empty() {
            return Err(invalid_field("version", "version must not be empty"));
        }
        check_len(&version, "version", 64)?;
        if version == hookd_domain::OPERATIONAL_VERSION {
            // Its messages get the operational webhooks' body; only hookd's own endpoint has it.
            return Err(invalid_field(
                "version",
                format!("version {version} is reserved for operational webhooks"),
            ));
        }
        f.version = Some(version);
    }
    f.status = input.status;
    if let Some(mut types) = input.event_types {
        if types.iter().any(String::is_empty) {
            return Err(invalid_field(
                "event_types",
                "event_types must be a list of names",
            ));
        }
        types.sort();
        types.dedup();
        if types.is_empty() {
            return Err(invalid_field(
                "event_types",
                "event_types must name at least one event type",
            ));
        }
        f.event_types = Some(types);
    }
    f.description = input.description.into_update();
    f.rate_limit = match input.rate_limit.into_update() {
        Some(Some(n)) if !(1..=100_000).contains(&n) => {
            return Err(invalid_field(
                "rate_limit",
                "rate_limit must be a whole number of deliveries per second, 1 to 100000",
            ))
        }
        limit => limit.map(|n| n.map(|n| n as i32)),
    };
    if let Some(headers) = input.headers {
        let mut map = Map::new();
        for (name, value) in headers {
            let lower = name.to_ascii_lowercase();
            if RESERVED_HEADERS.contains(&lower.as_str()) {
                return Err(invalid_field(
                    "headers",
                    format!("header {name} is set by hookd"),
                ));
            }
            let valid_name =
                actix_web::http::header::HeaderName::from_bytes(name.as_bytes()).is_ok();
            let valid_value = actix_web::http::header::HeaderValue::from_str(&value).is_ok();
            if !valid_name || !valid_value {
                return Err(invalid_field(
                    "headers",
                    format!("header {name} must be a valid header with a string value"),
                ));
            }
            map.insert(name, Value::String(value));
        }
        f.headers = Some(Value::Object(map));
    }
    f.filter = match input.filter.into_update() {
        Some(Some(filter)) => {
            MessageFilter::parse(&filter).map_err(|e| {
                let place = if e.path.is_empty() {
                    "filter".to_owned()
                } else {
                    format!("filter.{}", e.path)
                };
                ApiError::invalid(format!("{place}: {}", e.message)).with_data(
                    serde_json::json!({"field": "filter", "path": e.path, "problem": e.message}),
                )
            })?;
            Some(Some(filter))
        }
        other => other,
    };
    f.ordering = input.ordering;
    f.ordering_key = match input.ordering_key.into_update() {
        Some(Some(key)) => {
            let key = key.trim().to_owned();
            LaneKey::parse(&key).map_err(|e| invalid_field("ordering_key", e))?;
            if f.ordering == Some(EndpointOrdering::None) {
                return Err(invalid_field(
                    "ordering_key",
                    "ordering_key needs ordering fifo",
                ));
            }
            Some(Some(key))
        }
        other => other,
    };
    Ok(f)
}
