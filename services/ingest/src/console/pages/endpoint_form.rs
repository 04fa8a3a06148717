//! The endpoint form (create and edit), shared by the console and the portal. The form is
//! turned into the JSON fields of the API, so the API's own parsing and rules apply.

use crate::console::form::FormData;
use crate::console::layout;
use maud::{html, Markup};
use serde_json::{Map, Value};

/// What the form shows: an endpoint's values, or what was typed.
#[derive(Default)]
pub struct Values {
    pub url: String,
    pub version: String,
    pub description: String,
    pub event_types: Vec<String>,
}

impl Values {
    pub fn of(e: &hookd_domain::Endpoint) -> Self {
        Values {
            url: e.url.clone(),
            version: e.version.clone(),
            description: e.description.clone().unwrap_or_default(),
            event_types: e.event_types.clone(),
        }
    }

    pub fn typed(form: &FormData) -> Self {
        Values {
            url: form.value("url").to_owned(),
            version: form.value("version").to_owned(),
            description: form.value("description").to_owned(),
            event_types: form.all("event_types"),
        }
    }
}

/// The API fields of a posted form. `editing` clears a blank description (on create it is
/// simply left out).
pub fn fields(form: &FormData, editing: bool) -> Map<String, Value> {
    let mut body = Map::new();
    body.insert(
        "url".into(),
        Value::String(form.value("url").trim().to_owned()),
    );
    if let Some(version) = form.get("version") {
        body.insert("version".into(), Value::String(version.to_owned()));
    }
    match form.get("description") {
        Some(d) => {
            body.insert("description".into(), Value::String(d.to_owned()));
        }
        None if editing => {
            body.insert("description".into(), Value::Null);
        }
        None => {}
    }
    body.insert(
        "event_types".into(),
        Value::Array(
            form.all("event_types")
                .into_iter()
                .map(Value::String)
                .collect(),
        ),
    );
    body
}

/// The form; `types` are the app's event types (one checkbox each).
pub fn render(
    action: &str,
    csrf: &str,
    values: &Values,
    types: &[String],
    button: &str,
    error: Option<&str>,
) -> Markup {
    let version = if values.version.is_empty() {
        "1.0"
    } else {
        values.version.as_str()
    };
    html! {
        (layout::alert_opt(error))
        form.stack method="post" action=(action) {
            (layout::csrf_field(csrf))
            label for="url" { "URL" }
            input #url type="url" name="url" value=(values.url) required placeholder="https://example.com/webhooks";
            label for="version" { "Version" }
            input #version type="text" name="version" value=(version) required;
            label for="description" { "Description" }
            input #description type="text" name="description" value=(values.description);
            fieldset {
                legend { "Event types" }
                @if types.is_empty() {
                    p.empty { "The app has no event types yet." }
                }
                @for (i, t) in types.iter().enumerate() {
                    @let id = format!("event_type_{i}");
                    div {
                        input id=(id) type="checkbox" name="event_types" value=(t) checked[values.event_types.contains(t)];
                        " "
                        label for=(id) { (t) }
                    }
                }
            }
            button type="submit" { (button) }
        }
    }
}
