use crate::DbError;
use deadpool_postgres::Client;

/// The migrations, in order. Embedded so the binary migrates without files beside it.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/0001_init.sql")),
    (
        "0003_gateway",
        include_str!("../migrations/0003_gateway.sql"),
    ),
    (
        "0004_console",
        include_str!("../migrations/0004_console.sql"),
    ),
    (
        "0005_gateway_events",
        include_str!("../migrations/0005_gateway_events.sql"),
    ),
    (
        "0006_gateway_routing",
        include_str!("../migrations/0006_gateway_routing.sql"),
    ),
    (
        "0009_idempotency",
        include_str!("../migrations/0009_idempotency.sql"),
    ),
    (
        "0010_routing_changes",
        include_str!("../migrations/0010_routing_changes.sql"),
    ),
    (
        "0011_explicit_retry",
        include_str!("../migrations/0011_explicit_retry.sql"),
    ),
    (
        "0012_endpoint_filter",
        include_str!("../migrations/0012_endpoint_filter.sql"),
    ),
    (
        "0013_fifo_lanes",
        include_str!("../migrations/0013_fifo_lanes.sql"),
    ),
    (
        "0014_operational_webhooks",
        include_str!("../migrations/0014_operational_webhooks.sql"),
    ),
    (
        "0015_retention",
        include_str!("../migrations/0015_retention.sql"),
    ),
    (
        "0016_organization_lifecycle",
        include_str!("../migrations/0016_organization_lifecycle.sql"),
    ),
    (
        "0017_event_type_versions",
        include_str!("../migrations/0017_event_type_versions.sql"),
    ),
    (
        "0018_cli_endpoints",
        include_str!("../migrations/0018_cli_endpoints.sql"),
    ),
    (
        "0019_gateway_retention",
        include_str!("../migrations/0019_gateway_retention.sql"),
    ),
    (
        "0020_trace_context",
        include_str!("../migrations/0020_trace_context.sql"),
    ),
    (
        "0021_cli_destinations",
        include_str!("../migrations/0021_cli_destinations.sql"),
    ),
    (
        "0023_operational_transitions",
        include_str!("../migrations/0023_operational_transitions.sql"),
    ),
    (
        "0024_message_outbox",
        include_str!("../migrations/0024_message_outbox.sql"),
    ),
    (
        "0025_hot_parent_keys",
        include_str!("../migrations/0025_hot_parent_keys.sql"),
    ),
    (
        "0026_gateway_org_keys",
        include_str!("../migrations/0026_gateway_org_keys.sql"),
    ),
    (
        "0027_gateway_hot_parent_keys",
        include_str!("../migrations/0027_gateway_hot_parent_keys.sql"),
    ),
    (
        "0028_gateway_request_outbox",
        include_str!("../migrations/0028_gateway_request_outbox.sql"),
    ),
];

/// Any number for the advisory lock, the same in every replica.
const LOCK_KEY: i64 = 0x68_6f6f_6b64; // "hookd"

/// Applies the migrations not applied yet, each in its own transaction. An advisory lock makes
/// concurrent runs (several replicas, a Helm hook racing a service) wait instead of colliding,
/// which is why this is not a generic migration library.
pub async fn migrate(client: &mut Client) -> Result<(), DbError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&LOCK_KEY])
        .await?;
    let result = apply(client).await;
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY])
        .await?;
    result
}

async fn apply(client: &mut Client) -> Result<(), DbError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                name text PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
    for (name, sql) in MIGRATIONS {
        let tx = client.transaction().await?;
        let done = tx
            .query_opt("SELECT 1 FROM schema_migrations WHERE name = $1", &[name])
            .await?
            .is_some();
        if !done {
            tracing::info!(migration = name, "applying migration");
            tx.batch_execute(sql).await?;
            tx.execute("INSERT INTO schema_migrations (name) VALUES ($1)", &[name])
                .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
