use crate::DbError;
use deadpool_postgres::GenericClient;
use uuid::Uuid;

/// Records that a task's message was fanned out: `running` with its first endpoint, or
/// `failed` when no endpoint matched.
pub async fn mark_routed(
    client: &impl GenericClient,
    task_id: Uuid,
    first_endpoint: Option<Uuid>,
) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE tasks SET endpoint_id = COALESCE(endpoint_id, $2),
                status = CASE WHEN $2::uuid IS NULL THEN 'failed' ELSE status END,
                updated_at = now()
             WHERE id = $1 AND status = 'running'",
            &[&task_id, &first_endpoint],
        )
        .await?;
    Ok(())
}

/// Settles a running task once none of its deliveries is pending: `completed` when every one
/// succeeded, `failed` otherwise.
pub async fn settle(client: &impl GenericClient, task_id: Uuid) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE tasks t SET status = CASE WHEN EXISTS (
                    SELECT 1 FROM deliveries d WHERE d.message_id = t.message_id AND d.status = 'failed')
                THEN 'failed' ELSE 'completed' END,
                updated_at = now()
             WHERE t.id = $1 AND t.status = 'running'
               AND EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = t.message_id)
               AND NOT EXISTS (SELECT 1 FROM deliveries d
                    WHERE d.message_id = t.message_id AND d.status = 'pending')",
            &[&task_id],
        )
        .await?;
    Ok(())
}
