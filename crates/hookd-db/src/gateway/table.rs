//! The reads and writes every gateway table owned by an organization shares: by id within the
//! organization (another's rows are not found), by name, many ids, a set-or-clear time column,
//! delete and list. Each resource names its table once (`Table`) instead of repeating them.

use crate::{DbError, Filter, Listed, Page};
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;
use uuid::Uuid;

pub(crate) struct Table<T> {
    /// `gw_sources`.
    pub name: &'static str,
    /// The alias `columns` use (`s`).
    pub alias: &'static str,
    /// `s.id, s.organization_id, ...`.
    pub columns: &'static str,
    pub from_row: fn(&Row) -> T,
}

impl<T> Table<T> {
    /// `SELECT <columns> FROM <table> <alias> WHERE <alias>.organization_id = $1 AND <cond>`.
    pub fn select(&self, cond: &str) -> String {
        let (t, a, c) = (self.name, self.alias, self.columns);
        format!("SELECT {c} FROM {t} {a} WHERE {a}.organization_id = $1 AND {cond}")
    }

    async fn one(
        &self,
        client: &impl GenericClient,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<T>, DbError> {
        Ok(client
            .query_opt(sql, params)
            .await?
            .map(|r| (self.from_row)(&r)))
    }

    pub async fn get(
        &self,
        client: &impl GenericClient,
        organization_id: Uuid,
        id: Uuid,
    ) -> Result<T, DbError> {
        let sql = self.select(&format!("{}.id = $2", self.alias));
        self.one(client, &sql, &[&organization_id, &id])
            .await?
            .ok_or(DbError::NotFound)
    }

    /// The row whose `column` (of the organization) is `value`.
    pub async fn find(
        &self,
        client: &impl GenericClient,
        organization_id: Uuid,
        column: &str,
        value: &(dyn ToSql + Sync),
    ) -> Result<Option<T>, DbError> {
        let sql = self.select(&format!("{}.{column} = $2", self.alias));
        self.one(client, &sql, &[&organization_id, value]).await
    }

    /// The rows of these ids (of the organization), in no particular order.
    pub async fn get_many(
        &self,
        client: &impl GenericClient,
        organization_id: Uuid,
        ids: &[Uuid],
    ) -> Result<Vec<T>, DbError> {
        let sql = self.select(&format!("{}.id = ANY($2)", self.alias));
        Ok(client
            .query(&sql, &[&organization_id, &ids])
            .await?
            .iter()
            .map(self.from_row)
            .collect())
    }

    /// Sets (keeping an earlier time) or clears a time column such as `disabled_at`.
    pub async fn set_time(
        &self,
        client: &impl GenericClient,
        organization_id: Uuid,
        id: Uuid,
        column: &str,
        on: bool,
    ) -> Result<T, DbError> {
        let (t, a, c) = (self.name, self.alias, self.columns);
        let sql = format!(
            "UPDATE {t} {a} SET updated_at = now(),
                {column} = CASE WHEN $3 THEN COALESCE({a}.{column}, now()) END
             WHERE {a}.id = $1 AND {a}.organization_id = $2 RETURNING {c}"
        );
        self.one(client, &sql, &[&id, &organization_id, &on])
            .await?
            .ok_or(DbError::NotFound)
    }

    pub async fn delete(
        &self,
        client: &impl GenericClient,
        organization_id: Uuid,
        id: Uuid,
    ) -> Result<(), DbError> {
        let sql = format!(
            "DELETE FROM {} WHERE id = $1 AND organization_id = $2",
            self.name
        );
        match client.execute(&sql, &[&id, &organization_id]).await? {
            0 => Err(DbError::NotFound),
            _ => Ok(()),
        }
    }

    /// A page of the organization's rows where `cond` holds (`params` are `$2..`).
    pub async fn list(
        &self,
        client: &impl GenericClient,
        organization_id: Uuid,
        cond: &str,
        params: Vec<Box<dyn ToSql + Sync + Send>>,
        filters: &[Filter],
        page: &Page,
    ) -> Result<Listed<T>, DbError> {
        let mut all = crate::params![organization_id];
        all.extend(params);
        crate::list::list(
            client,
            &self.select(cond),
            self.alias,
            all,
            filters,
            page,
            self.from_row,
        )
        .await
    }
}
