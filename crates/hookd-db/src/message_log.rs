//! The message log of the console and portal: messages narrowed by a delivery status or to
//! one subscription's endpoints, each with the deliveries a page shows.

use crate::{params, DbError, Filter, Listed, Page};
use deadpool_postgres::GenericClient;
use hookd_domain::{Delivery, DeliveryStatus, Message};
use uuid::Uuid;

/// Which messages of an app: those with a delivery in `status`, and (the portal) only those
/// with a delivery to an endpoint of `subscription_id`. Both together mean one delivery that
/// is both.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scope {
    pub status: Option<DeliveryStatus>,
    pub subscription_id: Option<Uuid>,
}

/// A page of the app's messages by keyset on (created_at, id). With a scope, each message of
/// the walk is probed for a matching delivery (deliveries' unique (message_id, endpoint_id)
/// index): no count, no scan of deliveries.
pub async fn list(
    client: &impl GenericClient,
    app_id: Uuid,
    scope: Scope,
    filters: &[Filter],
    page: &Page,
) -> Result<Listed<Message>, DbError> {
    let mut sql = format!(
        "SELECT {} FROM messages m WHERE m.app_id = $1",
        crate::messages::COLUMNS
    );
    let mut params = params![app_id];
    if scope.status.is_some() || scope.subscription_id.is_some() {
        sql.push_str(" AND EXISTS (SELECT 1 FROM deliveries d");
        if scope.subscription_id.is_some() {
            sql.push_str(" JOIN endpoints n ON n.id = d.endpoint_id");
        }
        sql.push_str(" WHERE d.message_id = m.id");
        if let Some(status) = scope.status {
            // A literal from a closed set (never the client's text), so the planner can use
            // the partial index of unsettled deliveries.
            sql.push_str(&format!(
                " AND d.app_id = $1 AND d.status = '{}'",
                status.as_str()
            ));
        }
        if let Some(sub) = scope.subscription_id {
            params.push(Box::new(sub));
            sql.push_str(&format!(" AND n.subscription_id = ${}", params.len()));
        }
        sql.push(')');
    }
    crate::list::list(
        client,
        &sql,
        "m",
        params,
        filters,
        page,
        crate::messages::from_row,
    )
    .await
}

/// A message of the app that (when given) has a delivery to the subscription's endpoints or
/// was sent to one of them.
pub async fn get(
    client: &impl GenericClient,
    organization_id: Uuid,
    id: Uuid,
    subscription_id: Option<Uuid>,
) -> Result<(Message, Uuid), DbError> {
    let row = client
        .query_opt(
            &format!(
                "SELECT {}, m.app_id FROM messages m JOIN apps a ON a.id = m.app_id
                 WHERE m.id = $1 AND a.organization_id = $2
                   AND ($3::uuid IS NULL OR EXISTS (
                        SELECT 1 FROM deliveries d JOIN endpoints n ON n.id = d.endpoint_id
                        WHERE d.message_id = m.id AND n.subscription_id = $3)
                     -- A send to one of its endpoints is the subscription's before the
                     -- router has made its delivery (the portal shows it right after sending).
                     OR EXISTS (SELECT 1 FROM endpoints n
                        WHERE n.id = m.endpoint_id AND n.subscription_id = $3))",
                crate::messages::COLUMNS
            ),
            &[&id, &organization_id, &subscription_id],
        )
        .await?
        .ok_or(DbError::NotFound)?;
    Ok((crate::messages::from_row(&row), row.get("app_id")))
}

/// A delivery with the URL it goes to.
#[derive(Debug, Clone)]
pub struct DeliveryTo {
    pub delivery: Delivery,
    pub url: String,
    pub subscription_id: Uuid,
}

/// The deliveries of some messages (of the subscription's endpoints only, when given).
pub async fn deliveries(
    client: &impl GenericClient,
    message_ids: &[Uuid],
    subscription_id: Option<Uuid>,
) -> Result<Vec<DeliveryTo>, DbError> {
    let rows = client
        .query(
            &format!(
                "SELECT {}, n.url, n.subscription_id FROM deliveries d
                 JOIN endpoints n ON n.id = d.endpoint_id
                 WHERE d.message_id = ANY($1) AND ($2::uuid IS NULL OR n.subscription_id = $2)
                 ORDER BY d.created_at, d.id",
                crate::deliveries::COLUMNS
            ),
            &[&message_ids, &subscription_id],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| DeliveryTo {
            delivery: crate::deliveries::from_row(r),
            url: r.get("url"),
            subscription_id: r.get("subscription_id"),
        })
        .collect())
}

/// A message's status from its deliveries: `failed` if one is, else `pending` if one is, else
/// `succeeded`; `none` without any.
pub fn status_of<'a>(statuses: impl IntoIterator<Item = &'a str>) -> &'static str {
    let mut result = "none";
    for s in statuses {
        match s {
            "failed" => return "failed",
            "pending" => result = "pending",
            "succeeded" if result == "none" => result = "succeeded",
            _ => {}
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::status_of;

    #[test]
    fn a_message_is_as_bad_as_its_worst_delivery() {
        assert_eq!(status_of([]), "none");
        assert_eq!(status_of(["succeeded", "succeeded"]), "succeeded");
        assert_eq!(status_of(["succeeded", "pending"]), "pending");
        assert_eq!(status_of(["pending", "failed", "succeeded"]), "failed");
    }
}
