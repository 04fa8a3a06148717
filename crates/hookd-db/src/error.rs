use tokio_postgres::error::SqlState;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached (connection refused, pool timeout, connection lost); the
    /// text is the whole cause (`hookd_domain::reason`), which never holds the URL.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint refused the row; the constraint's name says which.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Query(#[source] tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            if *db.code() == SqlState::UNIQUE_VIOLATION {
                return DbError::Conflict {
                    constraint: db.constraint().unwrap_or_default().to_owned(),
                };
            }
            if *db.code() == SqlState::FOREIGN_KEY_VIOLATION {
                // The parent went away between the check and the insert.
                return DbError::NotFound;
            }
            let class = &db.code().code()[..2];
            // 08: connection exception, 57: operator intervention (shutdown), 53: resources.
            if matches!(class, "08" | "57" | "53") {
                return DbError::Unavailable(hookd_domain::reason(&e));
            }
            return DbError::Query(e);
        }
        if e.is_closed() || e.code().is_none() {
            return DbError::Unavailable(hookd_domain::reason(&e));
        }
        DbError::Query(e)
    }
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        // A backend error of the pool comes from opening a connection: whatever PostgreSQL
        // said (refused, database not accepting connections, dropped, auth), the database is
        // unavailable to this request, never a query error (which would answer 500). The
        // reason keeps PostgreSQL's own words (`sorry, too many clients already`).
        DbError::Unavailable(hookd_domain::reason(&e))
    }
}

impl DbError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Unavailable(_))
    }
}
