//! `amqps://`: TLS with rustls (ring), the server's certificate checked against the bundled web
//! PKI roots plus, when the URL carries `cacertfile=<PEM file>` (the query parameter RabbitMQ's
//! own clients use), that CA; the host name of the URL must match the certificate.

use crate::BusError;
use lapin::tcp::OwnedTLSConfig;

/// The URL lapin connects to (without `cacertfile`) and its TLS settings.
pub(crate) struct Target {
    pub url: String,
    pub tls: OwnedTLSConfig,
}

pub(crate) fn target(url: &str) -> Result<Target, BusError> {
    let mut parsed = url::Url::parse(url).map_err(|e| BusError::BadUrl(e.to_string()))?;
    let mut ca_file = None;
    let rest: Vec<(String, String)> = parsed
        .query_pairs()
        .filter_map(|(k, v)| {
            if k == "cacertfile" {
                ca_file = Some(v.into_owned());
                None
            } else {
                Some((k.into_owned(), v.into_owned()))
            }
        })
        .collect();
    let Some(ca_file) = ca_file else {
        return Ok(Target {
            url: url.to_owned(),
            tls: OwnedTLSConfig::default(),
        });
    };
    if rest.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(rest);
    }
    let pem = std::fs::read_to_string(&ca_file)
        .map_err(|e| BusError::BadUrl(format!("cacertfile {ca_file}: {e}")))?;
    Ok(Target {
        url: parsed.to_string(),
        tls: OwnedTLSConfig {
            identity: None,
            cert_chain: Some(pem),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_file_comes_off_the_url() {
        let ca = std::env::temp_dir().join(format!("hookd-bus-ca-{}.pem", std::process::id()));
        std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\n").unwrap();
        let url = format!(
            "amqps://u:p@mq:5671/%2f?heartbeat=10&cacertfile={}",
            ca.display()
        );
        let t = target(&url).unwrap();
        assert_eq!(t.url, "amqps://u:p@mq:5671/%2f?heartbeat=10");
        assert!(t.tls.cert_chain.unwrap().starts_with("-----BEGIN"));
        let plain = target("amqp://u:p@mq:5672/%2f").unwrap();
        assert_eq!(plain.url, "amqp://u:p@mq:5672/%2f");
        assert!(plain.tls.cert_chain.is_none());
        let err = target("amqps://mq/%2f?cacertfile=/nonexistent.pem")
            .err()
            .unwrap();
        assert!(err.to_string().contains("/nonexistent.pem"), "{err}");
        let _ = std::fs::remove_file(ca);
    }
}
