use crate::{params, DbError, Filter, Listed, Page};
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use hookd_domain::{new_id, Endpoint, EndpointOrdering, EndpointStatus};
use serde_json::Value;
use tokio_postgres::Row;
use uuid::Uuid;

const COLUMNS: &str = "n.id, n.subscription_id, n.app_id, n.url, n.version, n.status, \
    n.event_types, n.description, n.headers, n.disabled_reason, n.rate_limit, n.filter, \
    n.ordering, n.ordering_key, n.created_at, n.updated_at";

fn from_row(r: &Row) -> Endpoint {
    let status: &str = r.get("status");
    Endpoint {
        id: r.get("id"),
        subscription_id: r.get("subscription_id"),
        app_id: r.get("app_id"),
        kind: hookd_domain::EndpointKind::of_url(r.get("url")),
        url: r.get("url"),
        version: r.get("version"),
        status: EndpointStatus::parse(status).unwrap_or(EndpointStatus::Disabled),
        event_types: r.get("event_types"),
        description: r.get("description"),
        headers: r.get("headers"),
        // Reads never carry the secret; `sealed_secret` is its one way out.
        secret: None,
        disabled_reason: r.get("disabled_reason"),
        rate_limit: r.get("rate_limit"),
        filter: r.get("filter"),
        ordering: EndpointOrdering::parse(r.get("ordering")).unwrap_or(EndpointOrdering::None),
        ordering_key: r.get("ordering_key"),
        created_at: r.get("created_at"),
        updated_at: r.get("updated_at"),
    }
}

/// What a new endpoint or a change to one carries; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct EndpointFields {
    pub url: Option<String>,
    pub version: Option<String>,
    pub status: Option<EndpointStatus>,
    pub event_types: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub headers: Option<Value>,
    /// `Some(None)` removes the limit.
    pub rate_limit: Option<Option<i32>>,
    /// A payload filter as given (checked by the caller); `Some(None)` removes it.
    pub filter: Option<Option<Value>>,
    pub ordering: Option<EndpointOrdering>,
    /// A key checked by the caller (`LaneKey::parse`); `Some(None)` removes it.
    pub ordering_key: Option<Option<String>>,
}

pub async fn create(
    client: &impl GenericClient,
    subscription_id: Uuid,
    app_id: Uuid,
    f: &EndpointFields,
    secret: &str,
) -> Result<Endpoint, DbError> {
    let row = client
        .query_one(
            &format!(
                "INSERT INTO endpoints AS n (id, subscription_id, app_id, url, version, status,
                    event_types, description, headers, secret, rate_limit, filter, ordering,
                    ordering_key)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                 RETURNING {COLUMNS}"
            ),
            &[
                &new_id(),
                &subscription_id,
                &app_id,
                &f.url.as_deref().unwrap_or_default(),
                &f.version
                    .as_deref()
                    .unwrap_or(hookd_domain::DEFAULT_VERSION),
                &f.status.unwrap_or(EndpointStatus::Enabled).as_str(),
                &f.event_types.clone().unwrap_or_default(),
                &f.description.clone().flatten(),
                &f.headers
                    .clone()
                    .unwrap_or_else(|| Value::Object(Default::default())),
                &secret,
                &f.rate_limit.flatten(),
                &f.filter.clone().flatten(),
                &f.ordering.unwrap_or(EndpointOrdering::None).as_str(),
                &f.ordering_key.clone().flatten(),
            ],
        )
        .await?;
    Ok(from_row(&row))
}

pub async fn get(
    client: &impl GenericClient,
    subscription_id: Uuid,
    id: Uuid,
) -> Result<Endpoint, DbError> {
    client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM endpoints n WHERE n.id = $1 AND n.subscription_id = $2"
            ),
            &[&id, &subscription_id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

/// The endpoint's current secret, as stored (sealed).
pub async fn sealed_secret(
    client: &impl GenericClient,
    subscription_id: Uuid,
    id: Uuid,
) -> Result<String, DbError> {
    client
        .query_opt(
            "SELECT secret FROM endpoints WHERE id = $1 AND subscription_id = $2",
            &[&id, &subscription_id],
        )
        .await?
        .map(|r| r.get("secret"))
        .ok_or(DbError::NotFound)
}

/// An endpoint of one of the organization's apps.
pub async fn get_in_org(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
) -> Result<Endpoint, DbError> {
    client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM endpoints n JOIN apps a ON a.id = n.app_id
                 WHERE n.id = $1 AND a.organization_id = $2"
            ),
            &[&id, &organization_id],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn list(
    client: &impl GenericClient,
    subscription_id: Uuid,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Endpoint>, DbError> {
    crate::list::list(
        client,
        &format!("SELECT {COLUMNS} FROM endpoints n WHERE n.subscription_id = $1"),
        "n",
        params![subscription_id],
        filters,
        page,
        from_row,
    )
    .await
}

pub async fn update(
    client: &impl GenericClient,
    subscription_id: Uuid,
    id: Uuid,
    f: &EndpointFields,
) -> Result<Endpoint, DbError> {
    client
        .query_opt(
            &format!(
                "UPDATE endpoints n SET
                    url = COALESCE($3, n.url),
                    version = COALESCE($4, n.version),
                    status = COALESCE($5, n.status),
                    -- Enabling by hand clears why hookd disabled it, and its run of
                    -- failures (else the next failure would disable it again at once).
                    disabled_reason = CASE WHEN $5 = 'enabled' THEN NULL ELSE n.disabled_reason END,
                    failing_since = CASE WHEN $5 = 'enabled' AND n.status = 'disabled'
                        THEN NULL ELSE n.failing_since END,
                    circuit_opened_at = CASE WHEN $5 = 'enabled' AND n.status = 'disabled'
                        THEN NULL ELSE n.circuit_opened_at END,
                    event_types = COALESCE($6, n.event_types),
                    description = CASE WHEN $7 THEN $8 ELSE n.description END,
                    headers = COALESCE($9, n.headers),
                    rate_limit = CASE WHEN $10 THEN $11 ELSE n.rate_limit END,
                    filter = CASE WHEN $12 THEN $13 ELSE n.filter END,
                    ordering = COALESCE($14, n.ordering),
                    ordering_key = CASE WHEN $15 THEN $16 ELSE n.ordering_key END,
                    updated_at = now()
                 WHERE n.id = $1 AND n.subscription_id = $2 RETURNING {COLUMNS}"
            ),
            &[
                &id,
                &subscription_id,
                &f.url,
                &f.version,
                &f.status.map(|s| s.as_str()),
                &f.event_types,
                &f.description.is_some(),
                &f.description.clone().flatten(),
                &f.headers,
                &f.rate_limit.is_some(),
                &f.rate_limit.flatten(),
                &f.filter.is_some(),
                &f.filter.clone().flatten(),
                &f.ordering.map(|o| o.as_str()),
                &f.ordering_key.is_some(),
                &f.ordering_key.clone().flatten(),
            ],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

pub async fn delete(
    client: &impl GenericClient,
    subscription_id: Uuid,
    id: Uuid,
) -> Result<(), DbError> {
    let n = client
        .execute(
            "DELETE FROM endpoints WHERE id = $1 AND subscription_id = $2",
            &[&id, &subscription_id],
        )
        .await?;
    if n == 0 {
        return Err(DbError::NotFound);
    }
    Ok(())
}

/// Replaces the secret; the previous one keeps signing until `grace_until`.
pub async fn rotate_secret(
    client: &impl GenericClient,
    subscription_id: Uuid,
    id: Uuid,
    new_secret: &str,
    grace_until: DateTime<Utc>,
) -> Result<Endpoint, DbError> {
    client
        .query_opt(
            &format!(
                "UPDATE endpoints n SET previous_secret = n.secret,
                    previous_secret_expires_at = $4, secret = $3, updated_at = now()
                 WHERE n.id = $1 AND n.subscription_id = $2 RETURNING {COLUMNS}"
            ),
            &[&id, &subscription_id, &new_secret, &grace_until],
        )
        .await?
        .map(|r| from_row(&r))
        .ok_or(DbError::NotFound)
}

/// Disables an endpoint on hookd's own decision (410 Gone, sustained failure).
pub async fn disable(client: &impl GenericClient, id: Uuid, reason: &str) -> Result<bool, DbError> {
    let n = client
        .execute(
            "UPDATE endpoints SET status = 'disabled', disabled_reason = $2, updated_at = now()
             WHERE id = $1 AND status = 'enabled'",
            &[&id, &reason],
        )
        .await?;
    Ok(n > 0)
}

/// Notes the start of a run of failures (kept when one is already running).
pub async fn mark_failing(client: &impl GenericClient, id: Uuid) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE endpoints SET failing_since = now() WHERE id = $1 AND failing_since IS NULL",
            &[&id],
        )
        .await?;
    Ok(())
}

/// Notes that the endpoint's circuit opened (in this replica), and the start of its run of
/// failures if none is noted. Only the first replica to do so changes the row: that is the
/// `endpoint.failing` transition (migration 0014's trigger tells it).
pub async fn open_circuit(client: &impl GenericClient, id: Uuid) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE endpoints SET failing_since = COALESCE(failing_since, now()),
                circuit_opened_at = now()
             WHERE id = $1 AND circuit_opened_at IS NULL",
            &[&id],
        )
        .await?;
    Ok(())
}

/// Ends a run of failures (a try succeeded), and closes the circuit noted open: the
/// `endpoint.recovered` transition. `deliveries::record_attempts` does the same for every
/// success it records, whichever replica opened the circuit; this one is for the replica
/// whose own circuit closed, ahead of its batched record.
pub async fn clear_failing(client: &impl GenericClient, id: Uuid) -> Result<(), DbError> {
    client
        .execute(
            "UPDATE endpoints SET failing_since = NULL, circuit_opened_at = NULL
             WHERE id = $1 AND (failing_since IS NOT NULL OR circuit_opened_at IS NOT NULL)",
            &[&id],
        )
        .await?;
    Ok(())
}

/// Disables an endpoint that has failed without a success for longer than `after`; the reason
/// says since when. Returns whether it did.
pub async fn disable_if_failing_since(
    client: &impl GenericClient,
    id: Uuid,
    after: std::time::Duration,
) -> Result<bool, DbError> {
    let secs = after.as_secs_f64();
    let n = client
        .execute(
            "UPDATE endpoints SET status = 'disabled', updated_at = now(),
                disabled_reason = 'every try failed since ' ||
                    to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             WHERE id = $1 AND status = 'enabled' AND failing_since IS NOT NULL
               AND failing_since <= now() - make_interval(secs => $2)",
            &[&id, &secs],
        )
        .await?;
    Ok(n > 0)
}

/// What signing a webhook to an endpoint takes, as stored (secrets sealed).
#[derive(Debug, Clone)]
pub struct Signing {
    /// `Route::revision` of what was read.
    pub revision: i64,
    /// The current secret, then the previous one while its rotation grace lasts.
    pub sealed_secrets: Vec<String>,
    /// When the previous secret stops signing, if one still does.
    pub previous_expires_at: Option<DateTime<Utc>>,
    pub headers: Value,
}

/// The signing material of one endpoint, for the delivery worker's cache.
pub async fn signing(client: &impl GenericClient, id: Uuid) -> Result<Signing, DbError> {
    let row = client
        .query_opt(
            "SELECT secret, previous_secret, previous_secret_expires_at, headers, updated_at
             FROM endpoints WHERE id = $1",
            &[&id],
        )
        .await?
        .ok_or(DbError::NotFound)?;
    let mut sealed_secrets = vec![row.get::<_, String>("secret")];
    let previous: Option<String> = row.get("previous_secret");
    let expires: Option<DateTime<Utc>> = row.get("previous_secret_expires_at");
    let mut previous_expires_at = None;
    if let (Some(p), Some(e)) = (previous, expires) {
        if e > Utc::now() {
            sealed_secrets.push(p);
            previous_expires_at = Some(e);
        }
    }
    Ok(Signing {
        revision: row.get::<_, DateTime<Utc>>("updated_at").timestamp_micros(),
        sealed_secrets,
        previous_expires_at,
        headers: row.get("headers"),
    })
}
