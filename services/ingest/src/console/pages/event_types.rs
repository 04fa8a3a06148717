//! `/console/apps/{app_id}/event_types`: list, create, and save changes of each type.

use super::{app_heading, load_app};
use crate::console::csrf;
use crate::console::error::PageError;
use crate::console::form::FormData;
use crate::console::layout::{self, Chrome};
use crate::console::session::ConsoleUser;
use crate::error::ApiError;
use crate::routes::event_types::{
    create_event_type, update_event_type, CreateEventType, EventTypeChange,
};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde_json::Value;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps/{app_id}/event_types", web::get().to(list))
        .route("/apps/{app_id}/event_types", web::post().to(create))
        .route("/apps/{app_id}/event_types/{name}", web::post().to(save));
}

/// A JSON text field: blank is absent; anything else must parse (422 naming the field).
fn json_field(form: &FormData, name: &str) -> Result<Option<Value>, ApiError> {
    match form.get(name) {
        None => Ok(None),
        Some(text) => serde_json::from_str(text).map(Some).map_err(|e| {
            ApiError::invalid(format!("{name} is not valid JSON: {e}"))
                .with_data(serde_json::json!({ "field": name }))
        }),
    }
}

fn pretty(v: &Option<Value>) -> String {
    v.as_ref()
        .and_then(|v| serde_json::to_string_pretty(v).ok())
        .unwrap_or_default()
}

/// Which form failed, to show its error and typed values there.
enum Failed<'a> {
    None,
    Create(&'a FormData, String),
    Save(&'a str, &'a FormData, String),
}

async fn page(
    state: &AppState,
    user: &ConsoleUser,
    app_id: Uuid,
    status: StatusCode,
    failed: Failed<'_>,
) -> Result<HttpResponse, PageError> {
    let app = load_app(state, &user.caller, app_id).await?;
    let client = state.client().await?;
    let all = super::everything();
    let types = hookd_db::event_types::list(&client, app_id, &[], &all)
        .await?
        .models;
    let base = format!("/console/apps/{app_id}/event_types");
    let empty = FormData::default();
    let (create_form, create_error) = match &failed {
        Failed::Create(f, e) => (*f, Some(e.as_str())),
        _ => (&empty, None),
    };
    let body = html! {
        (app_heading(&app, "Event types", "event_types"))
        @if types.is_empty() {
            p.empty { "No event types yet. Define the kinds of messages this app sends, such as user.created." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Description" } } }
                    tbody {
                        @for t in &types {
                            tr {
                                td { a href={"#type-" (t.name)} { (t.name) } }
                                td { (t.description.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Create an event type" }
        (layout::alert_opt(create_error))
        form.stack method="post" action=(base) {
            (layout::csrf_field(&user.csrf))
            label for="name" { "Name" }
            input #name type="text" name="name" value=(create_form.value("name")) required placeholder="user.created";
            label for="description" { "Description" }
            input #description type="text" name="description" value=(create_form.value("description"));
            label for="schema" { "Schema" }
            textarea #schema name="schema" placeholder="{\"type\": \"object\"}" { (create_form.value("schema")) }
            label for="example" { "Example" }
            textarea #example name="example" placeholder="{\"id\": 1}" { (create_form.value("example")) }
            button type="submit" { "Create event type" }
        }
        @for t in &types {
            @let (typed, error) = match &failed {
                Failed::Save(n, f, e) if *n == t.name => (Some(*f), Some(e.as_str())),
                _ => (None, None),
            };
            @let id = format!("type-{}", t.name);
            section aria-labelledby={(id) "-h"} {
                h2 id={(id) "-h"} { span id=(id) { (t.name) } }
                (layout::alert_opt(error))
                form.stack method="post" action={(base) "/" (t.name)} {
                    (layout::csrf_field(&user.csrf))
                    label for={(id) "-description"} { "Description" }
                    input id={(id) "-description"} type="text" name="description"
                        value=(typed.map_or_else(|| t.description.clone().unwrap_or_default(), |f| f.value("description").to_owned()));
                    label for={(id) "-schema"} { "Schema" }
                    textarea id={(id) "-schema"} name="schema" {
                        (typed.map_or_else(|| pretty(&t.schema), |f| f.value("schema").to_owned()))
                    }
                    label for={(id) "-example"} { "Example" }
                    textarea id={(id) "-example"} name="example" {
                        (typed.map_or_else(|| pretty(&t.example), |f| f.value("example").to_owned()))
                    }
                    button type="submit" { "Save" }
                }
            }
        }
    };
    Ok(layout::respond(
        status,
        layout::page("Event types", Chrome::Console { csrf: &user.csrf }, body),
    ))
}

async fn list(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    page(&state, &user, *path, StatusCode::OK, Failed::None).await
}

async fn create(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<Uuid>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let app_id = *path;
    let result = async {
        let input = CreateEventType {
            name: form.get("name").map(str::to_owned),
            description: form.get("description").map(str::to_owned),
            schema: json_field(&form, "schema")?,
            // Per-version schemas are set through the API.
            schemas: None,
            example: json_field(&form, "example")?,
            // Per-version examples likewise.
            examples: None,
        };
        create_event_type(&state, &user.caller, app_id, &input).await
    }
    .await;
    match result {
        Ok(_) => Ok(layout::see_other(&format!(
            "/console/apps/{app_id}/event_types"
        ))),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            page(
                &state,
                &user,
                app_id,
                e.status,
                Failed::Create(&form, e.message),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn save(
    state: web::Data<AppState>,
    user: ConsoleUser,
    path: web::Path<(Uuid, String)>,
    req: HttpRequest,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    csrf::check(&req, &form, &user.csrf)?;
    let (app_id, name) = path.into_inner();
    let result = async {
        let schema = json_field(&form, "schema")?;
        let example = json_field(&form, "example")?;
        // A blank field clears the value.
        let change = EventTypeChange {
            description: Some(form.get("description")),
            schema: Some(schema.as_ref()),
            schemas: None,
            example: Some(example.as_ref()),
            examples: None,
        };
        update_event_type(&state, &user.caller, app_id, &name, &change).await
    }
    .await;
    match result {
        Ok(_) => Ok(layout::see_other(&format!(
            "/console/apps/{app_id}/event_types"
        ))),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            page(
                &state,
                &user,
                app_id,
                e.status,
                Failed::Save(&name, &form, e.message),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
