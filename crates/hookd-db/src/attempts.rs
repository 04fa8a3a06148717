use crate::{params, DbError, Filter, Listed, Page};
use deadpool_postgres::GenericClient;
use hookd_domain::Attempt;
use tokio_postgres::Row;
use uuid::Uuid;

const COLUMNS: &str = "t.id, t.delivery_id, t.message_id, t.endpoint_id, t.attempt, \
    t.response_status, t.response_body, t.error, t.duration_ms, t.created_at";

fn from_row(r: &Row) -> Attempt {
    Attempt {
        id: r.get("id"),
        delivery_id: r.get("delivery_id"),
        message_id: r.get("message_id"),
        endpoint_id: r.get("endpoint_id"),
        attempt: r.get("attempt"),
        response_status: r.get("response_status"),
        response_body: r.get("response_body"),
        error: r.get("error"),
        duration_ms: r.get("duration_ms"),
        created_at: r.get("created_at"),
    }
}

pub async fn list_by_delivery(
    client: &impl GenericClient,
    delivery_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Attempt>, DbError> {
    list_where(client, "t.delivery_id = $1", delivery_id, filters, page).await
}

pub async fn list_by_endpoint(
    client: &impl GenericClient,
    endpoint_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Attempt>, DbError> {
    list_where(client, "t.endpoint_id = $1", endpoint_id, filters, page).await
}

/// Whether try `attempt` of the delivery is recorded: a job handed out again by the broker
/// (its first consumer's link died before the ack) that was already sent need not go again.
pub async fn recorded(
    client: &impl GenericClient,
    delivery_id: Uuid,
    attempt: i32,
) -> Result<bool, DbError> {
    let row = client
        .query_one(
            &client.prepare_cached("SELECT EXISTS (SELECT 1 FROM attempts WHERE delivery_id = $1 AND attempt = $2)").await?,
            &[&delivery_id, &attempt],
        )
        .await?;
    Ok(row.get(0))
}

async fn list_where(
    client: &impl GenericClient,
    condition: &str,
    id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Attempt>, DbError> {
    crate::list::list(
        client,
        &format!("SELECT {COLUMNS} FROM attempts t WHERE {condition}"),
        "t",
        params![id],
        filters,
        page,
        from_row,
    )
    .await
}
