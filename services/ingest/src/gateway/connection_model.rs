//! A connection as the API shows it: with its source and destination in full.

use super::destinations::{self, DestinationModel};
use super::ids::{self, CONNECTION};
use super::sources::{self, SourceModel};
use crate::error::ApiError;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use hookd_db::gateway::connections::Connection;
use hookd_db::gateway::{destinations as db_destinations, sources as db_sources};
use hookd_db::GenericClient;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionModel {
    pub id: String,
    pub team_id: String,
    pub name: String,
    /// `"<source name> -> <name>"`.
    pub full_name: String,
    pub description: Option<String>,
    pub source: SourceModel,
    pub destination: DestinationModel,
    #[schema(value_type = Vec<Object>)]
    pub rules: Value,
    pub disabled_at: Option<DateTime<Utc>>,
    pub paused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn render(
    state: &AppState,
    c: Connection,
    source: db_sources::Source,
    destination: db_destinations::Destination,
) -> Result<ConnectionModel, ApiError> {
    Ok(ConnectionModel {
        id: ids::format(CONNECTION, c.id),
        team_id: super::team_id(c.organization_id),
        full_name: format!("{} -> {}", source.name, c.name),
        name: c.name,
        description: c.description,
        source: sources::render(state, source, false)?,
        destination: destinations::render(state, destination)?,
        rules: c.rules,
        disabled_at: c.disabled_at,
        paused_at: c.paused_at,
        created_at: c.created_at,
        updated_at: c.updated_at,
    })
}

/// Renders connections with their sources and destinations (two reads, whatever the count).
pub async fn render_all(
    state: &AppState,
    client: &impl GenericClient,
    organization_id: Uuid,
    connections: Vec<Connection>,
) -> Result<Vec<ConnectionModel>, ApiError> {
    let source_ids: Vec<Uuid> = connections.iter().map(|c| c.source_id).collect();
    let destination_ids: Vec<Uuid> = connections.iter().map(|c| c.destination_id).collect();
    let found_sources = db_sources::get_many(client, organization_id, &source_ids).await?;
    let found_destinations =
        db_destinations::get_many(client, organization_id, &destination_ids).await?;
    connections
        .into_iter()
        .map(|c| {
            let s = found_sources.iter().find(|s| s.id == c.source_id).cloned();
            let d = found_destinations
                .iter()
                .find(|d| d.id == c.destination_id)
                .cloned();
            match (s, d) {
                (Some(s), Some(d)) => render(state, c, s, d),
                // Deleted in between: its connection went with it.
                _ => Err(ApiError::not_found("connection")),
            }
        })
        .collect()
}

pub async fn render_one(
    state: &AppState,
    client: &impl GenericClient,
    c: Connection,
) -> Result<ConnectionModel, ApiError> {
    let org = c.organization_id;
    render_all(state, client, org, vec![c])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("connection"))
}
