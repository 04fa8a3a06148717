//! `hookd reseal`: re-encrypts every sealed value with the current encryption key (the first of
//! `secrets.encryption_key`), so the keys after it can be removed from the configuration: the
//! endpoints' signing secrets and the columns of `hookd_db::sealed::SEALED_COLUMNS`.
//! Safe to run while the services run and to run again: each row is replaced only if it still
//! holds what was read (a rotation in between wins), and rows already sealed with the current
//! key are left alone.

use hookd_config::Settings;
use hookd_db::sealed::{self, EndpointSecrets};
use hookd_signing::{AtRestError, SecretCipher};
use uuid::Uuid;

const PAGE: i64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum ResealError {
    #[error("secrets.encryption_key: {0}")]
    Key(AtRestError),
    #[error(
        "no encryption key is configured (HOOKD__SECRETS__ENCRYPTION_KEY): nothing to seal with"
    )]
    NoKey,
    #[error(transparent)]
    Db(#[from] hookd_db::DbError),
    #[error(
        "{count} stored secret(s) could not be opened with the configured keys, e.g. row {first}: \
         {reason}; \
         add the key that sealed them and run `hookd reseal` again"
    )]
    Unreadable {
        count: u64,
        first: Uuid,
        reason: AtRestError,
    },
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ResealReport {
    /// Sealed values read (endpoints, gateway sources and destinations).
    pub examined: u64,
    /// Rows rewritten with the current key.
    pub resealed: u64,
    /// Rows that changed between the read and the write (left for the next run).
    pub changed_meanwhile: u64,
}

#[tracing::instrument(name = "reseal", skip_all)]
pub async fn reseal(settings: &Settings) -> Result<ResealReport, ResealError> {
    let cipher = SecretCipher::new(settings.encryption_key()).map_err(ResealError::Key)?;
    let Some(current) = cipher.current_key_id() else {
        return Err(ResealError::NoKey);
    };
    tracing::info!(
        key = current,
        "resealing stored secrets with the current key"
    );
    let pool = hookd_db::connect(settings.database.url.expose(), 1)?;
    let client = pool.get().await.map_err(hookd_db::DbError::from)?;
    let mut report = ResealReport::default();
    let mut unreadable: Option<(u64, Uuid, AtRestError)> = None;
    let mut after = None;
    loop {
        let page = sealed::endpoint_secrets_page(&client, after, PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for row in &page {
            report.examined += 1;
            let new = match resealed(&cipher, row) {
                Ok(Some(new)) => new,
                Ok(None) => continue,
                Err(reason) => {
                    tracing::error!(endpoint = %row.id, error = %reason, "cannot open a stored secret");
                    let entry = unreadable.get_or_insert((0, row.id, reason));
                    entry.0 += 1;
                    continue;
                }
            };
            if sealed::replace_endpoint_secrets(&client, row, &new).await? {
                report.resealed += 1;
            } else {
                report.changed_meanwhile += 1;
            }
        }
    }
    for &column in sealed::SEALED_COLUMNS {
        let mut after = None;
        loop {
            let page = sealed::column_page(&client, column, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.0);
            for (id, stored) in &page {
                report.examined += 1;
                let new = match cipher.reseal(stored) {
                    Ok(Some(new)) => new,
                    Ok(None) => continue,
                    Err(reason) => {
                        tracing::error!(table = column.0, row = %id, error = %reason,
                            "cannot open a stored secret");
                        let entry = unreadable.get_or_insert((0, *id, reason));
                        entry.0 += 1;
                        continue;
                    }
                };
                if sealed::replace_column(&client, column, *id, stored, &new).await? {
                    report.resealed += 1;
                } else {
                    report.changed_meanwhile += 1;
                }
            }
        }
    }
    tracing::info!(
        examined = report.examined,
        resealed = report.resealed,
        changed_meanwhile = report.changed_meanwhile,
        "reseal finished"
    );
    match unreadable {
        Some((count, first, reason)) => Err(ResealError::Unreadable {
            count,
            first,
            reason,
        }),
        None => Ok(report),
    }
}

/// The row with every secret sealed by the current key, or `None` when it already is.
fn resealed(
    cipher: &SecretCipher,
    row: &EndpointSecrets,
) -> Result<Option<EndpointSecrets>, AtRestError> {
    let secret = cipher.reseal(&row.secret)?;
    let previous = match &row.previous_secret {
        Some(p) => cipher.reseal(p)?.map(Some),
        None => None,
    };
    if secret.is_none() && previous.is_none() {
        return Ok(None);
    }
    Ok(Some(EndpointSecrets {
        id: row.id,
        secret: secret.unwrap_or_else(|| row.secret.clone()),
        previous_secret: previous.unwrap_or_else(|| row.previous_secret.clone()),
    }))
}
