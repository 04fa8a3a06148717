//! The resources hookctl manages: where each lives in the API and what its table shows. One
//! table for every command, so a resource is added in one place.

use http::Method;

/// A path and, when it has one, the flag that names the parent in it (`{parent}`).
pub struct Scope {
    /// (flag, what the flag names).
    pub parent: Option<(&'static str, &'static str)>,
    /// With `{parent}`, and `{id}` for an item.
    pub path: &'static str,
}

pub struct Resource {
    pub name: &'static str,
    pub about: &'static str,
    /// Where lists are, by the parent flag given (one of them is required when none is `None`).
    pub lists: &'static [Scope],
    pub create: Option<Scope>,
    /// The item's path, for `get` (when `get`), `update` and `delete`.
    pub item: Option<Scope>,
    pub get: bool,
    /// PATCH (`/api/v1`) or PUT (the gateway), when the resource can be changed.
    pub update: Option<Method>,
    pub delete: bool,
    /// Where one is retried (a delivery, a gateway event): `POST`, no body.
    pub retry: Option<&'static str>,
    /// The field that identifies an item in its path: `id`, or `name` for event types.
    pub key: &'static str,
    /// Columns of the table (dotted for nested fields: `source.name`).
    pub columns: &'static [&'static str],
}

const fn top(path: &'static str) -> Scope {
    Scope { parent: None, path }
}

const fn under(flag: &'static str, help: &'static str, path: &'static str) -> Scope {
    Scope {
        parent: Some((flag, help)),
        path,
    }
}

const APP: &str = "the app's id";
const SUBSCRIPTION: &str = "the subscription's id";

pub const RESOURCES: &[Resource] = &[
    Resource {
        name: "apps",
        about: "Apps: each owns event types, subscriptions, messages and tasks",
        lists: &[top("/api/v1/apps")],
        create: Some(top("/api/v1/apps")),
        item: Some(top("/api/v1/apps/{id}")),
        get: true,
        update: Some(Method::PATCH),
        delete: true,
        retry: None,
        key: "id",
        columns: &["id", "name", "created_at"],
    },
    Resource {
        name: "event-types",
        about: "Event types of an app (`user.created`), with an optional JSON Schema",
        lists: &[under("app", APP, "/api/v1/apps/{parent}/event_types")],
        create: Some(under("app", APP, "/api/v1/apps/{parent}/event_types")),
        item: Some(under("app", APP, "/api/v1/apps/{parent}/event_types/{id}")),
        get: true,
        update: Some(Method::PATCH),
        delete: true,
        retry: None,
        key: "name",
        columns: &["name", "description", "created_at"],
    },
    Resource {
        name: "subscriptions",
        about: "Subscriptions: the subscribers of an app",
        lists: &[under("app", APP, "/api/v1/apps/{parent}/subscriptions")],
        create: Some(under("app", APP, "/api/v1/apps/{parent}/subscriptions")),
        item: Some(top("/api/v1/subscriptions/{id}")),
        get: true,
        update: Some(Method::PATCH),
        delete: true,
        retry: None,
        key: "id",
        columns: &["id", "name", "created_at"],
    },
    Resource {
        name: "endpoints",
        about: "Endpoints of a subscription: where its webhooks are delivered",
        lists: &[under(
            "subscription",
            SUBSCRIPTION,
            "/api/v1/subscriptions/{parent}/endpoints",
        )],
        create: Some(under(
            "subscription",
            SUBSCRIPTION,
            "/api/v1/subscriptions/{parent}/endpoints",
        )),
        item: Some(under(
            "subscription",
            SUBSCRIPTION,
            "/api/v1/subscriptions/{parent}/endpoints/{id}",
        )),
        get: true,
        update: Some(Method::PATCH),
        delete: true,
        retry: None,
        key: "id",
        columns: &[
            "id",
            "url",
            "kind",
            "status",
            "version",
            "event_types",
            "ordering",
        ],
    },
    Resource {
        name: "messages",
        about: "Messages sent to an app (create = send; see also `hookctl send`)",
        lists: &[under("app", APP, "/api/v1/apps/{parent}/messages")],
        create: Some(under("app", APP, "/api/v1/apps/{parent}/messages")),
        item: Some(top("/api/v1/messages/{id}")),
        get: true,
        update: None,
        delete: false,
        retry: None,
        key: "id",
        columns: &["id", "event_type", "event_id", "created_at"],
    },
    Resource {
        name: "deliveries",
        about: "Deliveries: one per message and endpoint; retry one, or in bulk with --app",
        lists: &[
            under(
                "message",
                "the message's id",
                "/api/v1/messages/{parent}/deliveries",
            ),
            under(
                "endpoint",
                "the endpoint's id",
                "/api/v1/endpoints/{parent}/deliveries",
            ),
        ],
        create: None,
        item: None,
        get: false,
        update: None,
        delete: false,
        retry: Some("/api/v1/deliveries/{id}/retry"),
        key: "id",
        columns: &[
            "id",
            "status",
            "attempt_count",
            "endpoint_id",
            "next_attempt_at",
        ],
    },
    Resource {
        name: "attempts",
        about: "Attempts: one per HTTP try of a delivery",
        lists: &[
            under(
                "delivery",
                "the delivery's id",
                "/api/v1/deliveries/{parent}/attempts",
            ),
            under(
                "endpoint",
                "the endpoint's id",
                "/api/v1/endpoints/{parent}/attempts",
            ),
        ],
        create: None,
        item: None,
        get: false,
        update: None,
        delete: false,
        retry: None,
        key: "id",
        columns: &[
            "id",
            "response_status",
            "error",
            "duration_ms",
            "created_at",
        ],
    },
    Resource {
        name: "tasks",
        about: "Tasks: data delivered at a scheduled time",
        lists: &[under("app", APP, "/api/v1/apps/{parent}/tasks")],
        create: Some(under("app", APP, "/api/v1/apps/{parent}/tasks")),
        item: Some(top("/api/v1/tasks/{id}")),
        get: true,
        update: None,
        delete: true,
        retry: None,
        key: "id",
        columns: &["id", "event_type", "status", "scheduled_run_time"],
    },
    Resource {
        name: "api-keys",
        about: "API keys of your organization (the key itself is shown once, at creation)",
        lists: &[top("/api/v1/api_keys")],
        create: Some(top("/api/v1/api_keys")),
        item: Some(top("/api/v1/api_keys/{id}")),
        get: false,
        update: None,
        delete: true,
        retry: None,
        key: "id",
        columns: &["id", "name", "created_at"],
    },
    Resource {
        name: "sources",
        about: "Gateway sources: where inbound webhooks arrive (`{url}`)",
        lists: &[top("/2024-03-01/sources")],
        create: Some(top("/2024-03-01/sources")),
        item: Some(top("/2024-03-01/sources/{id}")),
        get: true,
        update: Some(Method::PUT),
        delete: true,
        retry: None,
        key: "id",
        columns: &["id", "name", "url"],
    },
    Resource {
        name: "destinations",
        about: "Gateway destinations: where events are forwarded",
        lists: &[top("/2024-03-01/destinations")],
        create: Some(top("/2024-03-01/destinations")),
        item: Some(top("/2024-03-01/destinations/{id}")),
        get: true,
        update: Some(Method::PUT),
        delete: true,
        retry: None,
        key: "id",
        columns: &["id", "name", "url", "cli_path"],
    },
    Resource {
        name: "connections",
        about: "Gateway connections: a source to a destination, with rules",
        lists: &[top("/2024-03-01/connections")],
        create: Some(top("/2024-03-01/connections")),
        item: Some(top("/2024-03-01/connections/{id}")),
        get: true,
        update: Some(Method::PUT),
        delete: true,
        retry: None,
        key: "id",
        columns: &[
            "id",
            "full_name",
            "source.name",
            "destination.name",
            "paused_at",
        ],
    },
    Resource {
        name: "events",
        about: "Gateway events: one per request and connection; retry one",
        lists: &[top("/2024-03-01/events")],
        create: None,
        item: Some(top("/2024-03-01/events/{id}")),
        get: true,
        update: None,
        delete: false,
        retry: Some("/2024-03-01/events/{id}/retry"),
        key: "id",
        columns: &["id", "status", "attempts", "response_status", "created_at"],
    },
];

pub fn find(name: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.name == name)
}

/// `path` with `{parent}` and `{id}` filled in, each percent-encoded as a path segment.
pub fn fill(path: &str, parent: Option<&str>, id: Option<&str>) -> String {
    let mut out = path.to_owned();
    if let Some(parent) = parent {
        out = out.replace("{parent}", &segment(parent));
    }
    if let Some(id) = id {
        out = out.replace("{id}", &segment(id));
    }
    out
}

fn segment(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_filled_and_encoded() {
        assert_eq!(
            fill(
                "/api/v1/apps/{parent}/event_types/{id}",
                Some("a1"),
                Some("user created/x")
            ),
            "/api/v1/apps/a1/event_types/user%20created%2Fx"
        );
    }

    #[test]
    fn every_resource_can_at_least_be_listed_or_read() {
        for r in RESOURCES {
            assert!(!r.lists.is_empty() || r.item.is_some(), "{}", r.name);
            assert!(r.update.is_none() || r.item.is_some(), "{}", r.name);
            assert!(!r.get || r.item.is_some(), "{}", r.name);
        }
    }
}
