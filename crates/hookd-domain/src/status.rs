use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Whether an endpoint receives messages.
    EndpointStatus { Enabled = "enabled", Disabled = "disabled" }
);

text_enum!(
    /// How an endpoint gets its webhooks: POSTed by hookd (`http`), or handed to a connected
    /// `hookctl listen` that forwards them to a local URL (`cli`).
    EndpointKind { Http = "http", Cli = "cli" }
);

impl EndpointKind {
    /// The `url` stored for a `cli` endpoint: it marks the endpoint (and its delivery jobs,
    /// which carry the url) as one no worker POSTs to.
    pub const CLI_URL: &'static str = "cli:";

    /// The kind of an endpoint with this stored `url`.
    pub fn of_url(url: &str) -> Self {
        if url == Self::CLI_URL {
            Self::Cli
        } else {
            Self::Http
        }
    }
}

text_enum!(
    /// Whether an endpoint gets its messages in send order (`fifo`, per `ordering_key` value)
    /// or as they come (`none`).
    EndpointOrdering { None = "none", Fifo = "fifo" }
);

text_enum!(
    /// Where one (message, endpoint) delivery stands.
    DeliveryStatus { Pending = "pending", Succeeded = "succeeded", Failed = "failed" }
);

text_enum!(
    /// A task's life once it runs; `null` before.
    TaskStatus {
        Running = "running",
        Completed = "completed",
        Failed = "failed",
        Cancelled = "cancelled",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_as_text() {
        for s in [
            DeliveryStatus::Pending,
            DeliveryStatus::Succeeded,
            DeliveryStatus::Failed,
        ] {
            assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(EndpointStatus::parse("paused"), None);
        assert_eq!(
            serde_json::to_string(&TaskStatus::Cancelled).unwrap(),
            "\"cancelled\""
        );
    }
}
