//! `POST /apps/{app_id}/import` (issue 17): event types, subscriptions and endpoints from an
//! export's NDJSON, in one transaction. Every line is parsed and checked before anything is
//! written; a bad line is a 422 naming its number, and nothing changes.

use crate::auth::Caller;
use crate::body::{check_len, from_object, invalid_field, required, too_large};
use crate::error::ApiError;
use crate::openapi::ErrorBody;
use crate::routes::check_app;
use crate::routes::endpoint_input::{parse_fields, EndpointInput};
use crate::routes::endpoints::secret_from;
use crate::routes::event_types::{
    check_example, check_examples, check_name, check_schema, check_schemas, CreateEventType,
};
use crate::routes::subscriptions::{check_metadata, SubscriptionInput};
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use futures_util::StreamExt;
use hookd_db::endpoints::EndpointFields;
use hookd_db::import as db;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// An import body is at most this large (an export of an app's configuration is far smaller;
/// messages and deliveries, which make exports large, are not imported).
const IMPORT_LIMIT: usize = 32 << 20;

/// One line: the objects an export writes, told apart by `kind`. Fields an export writes that
/// an import does not take (`id`, `created_at`, an endpoint's `subscription_id`) are ignored.
enum Line {
    EventType(CreateEventType),
    Subscription(SubscriptionInput),
    Endpoint(Box<EndpointLine>),
    // History is not imported: such lines are counted and skipped, so a whole export imports.
    Skipped,
}

const KINDS: &str = "event_type, subscription, endpoint, message, delivery, end";

#[derive(Deserialize)]
struct EndpointLine {
    /// The name of its subscription: in the file or already in the app.
    subscription: String,
    #[serde(flatten)]
    input: EndpointInput,
}

/// What one kind's lines did.
#[derive(Serialize, ToSchema, Default, Debug)]
pub struct ImportCount {
    /// Created by this import.
    pub created: u64,
    /// Already there (same name; for an endpoint, same subscription, URL and version): left
    /// as it was.
    pub existing: u64,
}

/// What an import did.
#[derive(Serialize, ToSchema, Default, Debug)]
pub struct ImportSummary {
    pub event_types: ImportCount,
    pub subscriptions: ImportCount,
    pub endpoints: ImportCount,
    /// `message`, `delivery` and `end` lines, which are not imported.
    pub skipped_lines: u64,
}

/// A 422 naming the line.
fn at_line(line: usize, e: ApiError) -> ApiError {
    let field = e.data.get("field").cloned().unwrap_or(Value::Null);
    let mut out = ApiError::invalid(format!("line {line}: {}", e.message));
    out.data = json!({ "line": line, "field": field, "problem": e.message });
    out
}

/// A parsed and checked endpoint line.
struct NewEndpoint {
    subscription: String,
    fields: EndpointFields,
    secret: String,
}

/// Every line parsed and checked, in the file's order, with its line number.
#[derive(Default)]
struct Parsed {
    event_types: Vec<(usize, CreateEventType)>,
    subscriptions: Vec<(usize, String, Value)>,
    endpoints: Vec<(usize, NewEndpoint)>,
    skipped: u64,
}

fn parse_line(text: &str) -> Result<Line, ApiError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::invalid(format!("not a JSON object: {e}")))?;
    let Value::Object(object) = value else {
        return Err(ApiError::invalid("not a JSON object"));
    };
    let kind = object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // Each kind straight into its body struct, so a 422 names the field that is wrong.
    Ok(match kind {
        "event_type" => Line::EventType(from_object(&object)?),
        "subscription" => Line::Subscription(from_object(&object)?),
        "endpoint" => {
            // The line's `kind` names the record; the endpoint's own kind (http or cli) is
            // its url (`cli:` for a cli endpoint), as an export writes it.
            let mut object = object;
            object.remove("kind");
            Line::Endpoint(Box::new(from_object(&object)?))
        }
        "message" | "delivery" | "end" => Line::Skipped,
        _ => {
            return Err(invalid_field(
                "kind",
                format!("kind must be one of {KINDS}"),
            ))
        }
    })
}

fn parse(body: &[u8]) -> Result<Parsed, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::bad_request(format!("body is not UTF-8: {e}")))?;
    let mut parsed = Parsed::default();
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        match parse_line(raw).map_err(|e| at_line(n, e))? {
            Line::EventType(input) => {
                let name = required(&input.name, "name").map_err(|e| at_line(n, e))?;
                check_name(name).map_err(|e| at_line(n, e))?;
                if let Some(schema) = &input.schema {
                    check_schema(schema).map_err(|e| at_line(n, e))?;
                }
                if let Some(schemas) = &input.schemas {
                    check_schemas(schemas).map_err(|e| at_line(n, e))?;
                }
                check_example(input.schema.as_ref(), input.example.as_ref())
                    .map_err(|e| at_line(n, e))?;
                if let Some(examples) = &input.examples {
                    let schemas = input.schemas.clone().unwrap_or_default();
                    check_examples(examples, input.schema.as_ref(), &schemas)
                        .map_err(|e| at_line(n, e))?;
                }
                parsed.event_types.push((n, input));
            }
            Line::Subscription(input) => {
                let name = required(&input.name, "name").map_err(|e| at_line(n, e))?;
                check_len(name, "name", 256).map_err(|e| at_line(n, e))?;
                check_metadata(&input.metadata).map_err(|e| at_line(n, e))?;
                let metadata = input.metadata.clone().unwrap_or_else(|| json!({}));
                parsed.subscriptions.push((n, name.to_owned(), metadata));
            }
            Line::Endpoint(mut line) => {
                let secret = std::mem::take(&mut line.input.secret).into_option();
                let secret = secret_from(secret).map_err(|e| at_line(n, e))?;
                let fields = parse_fields(line.input).map_err(|e| at_line(n, e))?;
                if fields.url.is_none() {
                    return Err(at_line(n, invalid_field("url", "url is required")));
                }
                if fields.event_types.is_none() {
                    let e = invalid_field("event_types", "event_types is required");
                    return Err(at_line(n, e));
                }
                parsed.endpoints.push((
                    n,
                    NewEndpoint {
                        subscription: line.subscription,
                        fields,
                        secret,
                    },
                ));
            }
            Line::Skipped => parsed.skipped += 1,
        }
    }
    Ok(parsed)
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(import_app);
}

/// Import event types, subscriptions and endpoints into the app from NDJSON in the export's
/// format (`Content-Type: application/x-ndjson`), all or nothing. Idempotent by name: an event
/// type or subscription of the same name, or an endpoint of the same subscription, URL and
/// version, is left as it is and counted `existing`. An endpoint line may carry a `secret`
/// (`whsec_...`) to keep; without one a new secret is made (exports never hold secrets).
/// `message`, `delivery` and `end` lines are skipped. A line that does not parse, fails a
/// check, or names a subscription or event type neither in the file nor in the app is a 422
/// naming the line (`data.line`); quotas apply as on create.
#[utoipa::path(tag = "apps",
    request_body(content = String, content_type = "application/x-ndjson",
        description = "lines of an export"),
    responses((status = 200, body = ImportSummary), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
#[post("/apps/{app_id}/import")]
async fn import_app(
    state: web::Data<AppState>,
    caller: Caller,
    app_id: web::Path<Uuid>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let app_id = *app_id;
    check_app(&state, &caller, app_id).await?;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("body: {e}")))?;
        if body.len() + chunk.len() > IMPORT_LIMIT {
            return Err(too_large(IMPORT_LIMIT));
        }
        body.extend_from_slice(&chunk);
    }
    let parsed = parse(&body)?;
    drop(body);
    let summary = apply(&state, &caller, app_id, parsed).await?;
    // Schemas cached as missing would refuse messages of the new event types.
    state.schemas.remove_where(|(a, _)| *a == app_id);
    tracing::info!(%app_id, ?summary, "imported");
    Ok(HttpResponse::Ok().json(summary))
}

/// Writes the parsed lines in one transaction: event types, then subscriptions, then endpoints
/// (whatever their order in the file), so each finds what it refers to.
async fn apply(
    state: &AppState,
    caller: &Caller,
    app_id: Uuid,
    parsed: Parsed,
) -> Result<ImportSummary, ApiError> {
    let mut summary = ImportSummary {
        skipped_lines: parsed.skipped,
        ..Default::default()
    };
    let mut client = state.client().await?;
    let tx = client
        .transaction()
        .await
        .map_err(hookd_db::DbError::from)?;
    for (_, et) in &parsed.event_types {
        let name = et.name.as_deref().unwrap_or_default();
        if db::event_type_exists(&tx, app_id, name).await? {
            summary.event_types.existing += 1;
            continue;
        }
        let schemas = et.schemas.as_ref().map(|s| serde_json::json!(s));
        let examples = et.examples.as_ref().map(|e| serde_json::json!(e));
        let new = hookd_db::event_types::NewEventType {
            name,
            description: et.description.as_deref(),
            schema: et.schema.as_ref(),
            schemas: schemas.as_ref(),
            example: et.example.as_ref(),
            examples: examples.as_ref(),
        };
        hookd_db::event_types::create(&tx, app_id, &new).await?;
        summary.event_types.created += 1;
    }
    let mut subscriptions: HashMap<String, Uuid> = HashMap::new();
    for (_, name, metadata) in &parsed.subscriptions {
        if let Some(id) = db::subscription_named(&tx, app_id, name).await? {
            subscriptions.insert(name.clone(), id);
            summary.subscriptions.existing += 1;
            continue;
        }
        let created = hookd_db::subscriptions::create(&tx, app_id, name, metadata).await?;
        subscriptions.insert(name.clone(), created.id);
        summary.subscriptions.created += 1;
    }
    for (n, ep) in &parsed.endpoints {
        let subscription_id = match subscriptions.get(&ep.subscription) {
            Some(id) => *id,
            None => db::subscription_named(&tx, app_id, &ep.subscription)
                .await?
                .ok_or_else(|| {
                    let message = format!("no subscription named `{}`", ep.subscription);
                    at_line(*n, invalid_field("subscription", message))
                })?,
        };
        let types = ep.fields.event_types.clone().unwrap_or_default();
        let missing = hookd_db::event_types::missing(&tx, app_id, &types).await?;
        if !missing.is_empty() {
            let message = format!("event type(s) not defined: {}", missing.join(", "));
            return Err(at_line(*n, invalid_field("event_types", message)));
        }
        let url = ep.fields.url.as_deref().unwrap_or_default();
        let version = ep
            .fields
            .version
            .as_deref()
            .unwrap_or(hookd_domain::DEFAULT_VERSION);
        if db::endpoint_exists(&tx, subscription_id, url, version).await? {
            summary.endpoints.existing += 1;
            continue;
        }
        let quota = hookd_db::quotas::Quota::Endpoints;
        crate::quotas::check(&tx, caller.organization_id, quota)
            .await
            .map_err(|e| at_line(*n, e))?;
        let sealed = state.cipher.seal(&ep.secret);
        hookd_db::endpoints::create(&tx, subscription_id, app_id, &ep.fields, &sealed).await?;
        summary.endpoints.created += 1;
    }
    tx.commit().await.map_err(hookd_db::DbError::from)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_line_is_named_by_its_number() {
        let body = b"{\"kind\":\"event_type\",\"name\":\"a.b\"}\n\n{\"kind\":\"subscription\"}\n";
        let e = parse(body).err().unwrap();
        assert_eq!(e.status.as_u16(), 422);
        assert_eq!(e.data["line"], 3, "{}", e.message);
        let e = parse(b"{\"kind\":\"widget\"}").err().unwrap();
        assert_eq!(e.data["line"], 1, "{}", e.message);
        let e = parse(b"{\"kind\":\"endpoint\",\"subscription\":\"s\",\"url\":\"ftp://x\",\"event_types\":[\"a\"]}")
            .err()
            .unwrap();
        assert_eq!(e.data["field"], "url", "{}", e.message);
    }

    #[test]
    fn history_lines_are_skipped() {
        let body =
            b"{\"kind\":\"message\",\"id\":\"x\",\"data\":{}}\n{\"kind\":\"end\",\"lines\":1}";
        let parsed = parse(body).unwrap();
        assert_eq!(parsed.skipped, 2);
        assert!(parsed.event_types.is_empty());
    }
}
