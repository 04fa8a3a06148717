//! The OpenAPI document, collected from the handlers themselves (utoipa-actix-web), so a
//! route cannot be served without being documented.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::openapi::header::Header;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required};
use utoipa::{Modify, ToSchema};

/// The body of every 4xx and 5xx.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub handled: bool,
    pub status: u16,
    /// `NOT_FOUND`, `UNPROCESSABLE_ENTITY`, ... or a precise code (`SOURCE_DISABLED`).
    pub code: String,
    pub message: String,
    pub data: serde_json::Value,
}

mod spec;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "hookd", description = "Self-hosted webhooks as a service."),
    modifiers(&Security),
    // Every route needs a key, by either scheme (the document itself is served without one).
    security(("bearer" = []), ("basic" = [])),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// The document of every route.
pub fn document() -> OpenApi {
    use utoipa::OpenApi as _;
    use utoipa_actix_web::AppExt;
    let (_, doc) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .configure(crate::gateway::configure)
        .split_for_parts();
    let mut doc = doc;
    add_list_parameters(&mut doc);
    add_request_headers(&mut doc);
    add_common_errors(&mut doc);
    spec::describe_responses(&mut doc);
    spec::name_operations(&mut doc);
    doc
}

/// Documents the headers the middleware honours (API.md, Conventions): `X-Request-Id` on every
/// route, and `Idempotency-Key` (with its 409, and the 422 of a malformed key) on every
/// `/api/v1` POST.
fn add_request_headers(doc: &mut OpenApi) {
    let header = |name: &str, description: &str| {
        RefOr::T(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(description))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).build()))
                .build(),
        )
    };
    for (path, item) in doc.paths.paths.iter_mut() {
        let api = path.starts_with("/api/v1/");
        if let (true, Some(op)) = (api, item.post.as_mut()) {
            op.parameters.get_or_insert_with(Vec::new).push(header(
                "Idempotency-Key",
                "The same key and request within 24 h answer the first answer again \
                 (`Idempotent-Replayed: true`); the same key with another request is a 409.",
            ));
            op.responses
                .responses
                .entry("409".into())
                .or_insert_with(|| RefOr::T(error_response(409, error_meaning(409))));
            // A malformed key is refused before the handler runs, also on POSTs with no body.
            op.responses
                .responses
                .entry("422".into())
                .or_insert_with(|| {
                    RefOr::T(error_response(
                        422,
                        "Invalid input; or the Idempotency-Key is not 1 to 255 printable ASCII \
                         characters.",
                    ))
                });
        }
        for op in operations(item) {
            op.parameters.get_or_insert_with(Vec::new).push(header(
                "X-Request-Id",
                "Your id for this request (up to 200 visible ASCII characters), returned and \
                 logged; a new one is made when absent.",
            ));
        }
    }
}

/// Adds the errors that come from code shared by every route rather than from the handler
/// itself, each with the `ErrorBody` schema, where the route's own annotation has not already
/// documented that status: 401 (the key extractor), 429 (the rate limiter, with `Retry-After`
/// and `X-RateLimit-*`) and 503 (database or broker down) everywhere; 400, 413 and 422 where a
/// JSON body is read (not JSON or not an object, over the size limit, a field of the wrong
/// type); 404 where a path takes ids (an id that is not a UUID is a 404 too); 422 where query
/// parameters are validated.
fn add_common_errors(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            let params = op.parameters.as_deref().unwrap_or_default();
            let takes = |place: ParameterIn| {
                params
                    .iter()
                    .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == place))
            };
            let (path_ids, query) = (takes(ParameterIn::Path), takes(ParameterIn::Query));
            // A path parameter that is text, not a UUID (an event type's name), reaches the
            // database as it is: one that cannot be stored there (a NUL character) is a 422.
            let text_path = params.iter().any(|p| match p {
                RefOr::T(p) => p.parameter_in == ParameterIn::Path && !is_uuid(p),
                RefOr::Ref(_) => false,
            });
            let body = op.request_body.is_some();
            let statuses: [(u16, bool); 7] = [
                (400, body),
                (401, true),
                (404, path_ids),
                (413, body),
                (422, body || query || text_path),
                (429, true),
                (503, true),
            ];
            for (status, applies) in statuses {
                let responses = &mut op.responses.responses;
                if applies && !responses.contains_key(&status.to_string()) {
                    responses.insert(
                        status.to_string(),
                        RefOr::T(error_response(status, error_meaning(status))),
                    );
                }
            }
        }
    }
}

/// The operations of a path, whatever their method.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// What an error status means on every route (the body, `ErrorBody`, says more).
pub(crate) fn error_meaning(status: u16) -> &'static str {
    match status {
        400 => "The body is not JSON, or not a JSON object.",
        401 => "Missing or unknown API key.",
        404 => "No such resource for this key.",
        409 => "A conflict (a name already taken); or the Idempotency-Key was used with another request.",
        413 => "The body is larger than the configured limit.",
        422 => "A well-formed request that fails validation (the message names the field).",
        429 => "Rate limited: retry after `Retry-After` seconds.",
        503 => "A dependency (database, broker) is unavailable: retry later.",
        _ => "An error: the body says which.",
    }
}

fn is_uuid(parameter: &Parameter) -> bool {
    matches!(
        &parameter.schema,
        Some(RefOr::T(Schema::Object(o)))
            if o.format == Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))
    )
}

fn error_response(status: u16, description: &str) -> Response {
    let integer = || Header::new(ObjectBuilder::new().schema_type(Type::Integer).build());
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody")))),
    );
    if status == 429 || status == 503 {
        response = response.header("Retry-After", integer());
    }
    if status == 429 {
        for name in [
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
        ] {
            response = response.header(name, integer());
        }
    }
    response.build()
}

/// Adds the query parameters every list takes (API.md, Conventions) to each GET that answers
/// a `ListResponse`, so a list cannot be served without them documented.
fn add_list_parameters(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let Some(op) = item.get.as_mut() else {
            continue;
        };
        let is_list = op.responses.responses.get("200").is_some_and(|r| {
            serde_json::to_string(r).is_ok_and(|json| json.contains("/ListResponse_"))
        });
        if is_list {
            op.parameters
                .get_or_insert_with(Vec::new)
                .extend(list_parameters().into_iter().map(RefOr::T));
        }
    }
}

fn list_parameters() -> Vec<Parameter> {
    let query = |name: &str, description: &str, schema: ObjectBuilder| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Query)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(schema.build()))
            .build()
    };
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let time = || string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)));
    let mut params = vec![
        query(
            "limit",
            "Models per page.",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(crate::list::MAX_LIMIT as i32))
                .default(Some(crate::list::DEFAULT_LIMIT.into())),
        ),
        query(
            "order_by",
            "The order of the list.",
            string()
                .enum_values(Some(["created_at"]))
                .default(Some("created_at".into())),
        ),
        query(
            "dir",
            "Newest first (`desc`) or oldest first (`asc`).",
            string()
                .enum_values(Some(["asc", "desc"]))
                .default(Some("desc".into())),
        ),
        query(
            "next",
            "`pagination.next` of the previous page: the page after it.",
            string(),
        ),
        query(
            "prev",
            "`pagination.prev` of a page: the page before it.",
            string(),
        ),
    ];
    for (op, meaning) in [
        ("gte", "at or after"),
        ("gt", "after"),
        ("lte", "at or before"),
        ("lt", "before"),
    ] {
        params.push(query(
            &format!("created_at[{op}]"),
            &format!("Only models created {meaning} this time (RFC 3339)."),
            time(),
        ));
    }
    params
}

#[get("/api/v1/openapi.json")]
pub async fn serve(doc: web::Data<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.get_ref().clone())
}
