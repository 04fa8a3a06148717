//! The OpenAPI document, collected from the handlers themselves (utoipa-actix-web), so a
//! route cannot be served without being documented.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr, Required};
use utoipa::{Modify, ToSchema};

/// The body of every 4xx and 5xx.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub handled: bool,
    pub status: u16,
    pub message: String,
    pub data: serde_json::Value,
}

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
        .split_for_parts();
    let mut doc = doc;
    add_list_parameters(&mut doc);
    doc
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
