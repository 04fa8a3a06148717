//! TLS to PostgreSQL (`sslmode=require|verify-full`) and RabbitMQ (`amqps://`), against the local
//! servers' TLS listeners that scripts/ensure-tls.sh (run by `make test`) sets up with its CA.

use crate::helpers::*;
use hookd_config::Secret;
use serde_json::json;
use std::time::Duration;

fn ca_file() -> String {
    let dir =
        std::env::var("HOOKD_TEST_TLS_DIR").unwrap_or_else(|_| "/var/lib/hookd-test-tls".into());
    let ca = format!("{dir}/ca.pem");
    assert!(
        std::path::Path::new(&ca).exists(),
        "{ca} is missing: run scripts/ensure-tls.sh (`make services` does)"
    );
    ca
}

fn amqps_url(query: &str) -> String {
    format!("amqps://guest:guest@127.0.0.1:5671/%2f{query}")
}

/// Whether the pool's connection to `url` is encrypted, as the server sees it.
async fn server_sees_tls(url: &str) -> Result<bool, hookd_db::DbError> {
    let pool = hookd_db::connect(url, 1)?;
    let client = pool.get().await?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

#[tokio::test]
async fn postgres_sslmodes() {
    let ca = ca_file();
    let base = "postgres://postgres@127.0.0.1:5432/postgres";
    assert!(!server_sees_tls(base).await.unwrap(), "plain stays plain");
    assert!(server_sees_tls(&format!("{base}?sslmode=require"))
        .await
        .unwrap());
    assert!(
        server_sees_tls(&format!("{base}?sslmode=verify-full&sslrootcert={ca}"))
            .await
            .unwrap()
    );
    assert!(server_sees_tls(&format!(
        "postgres://postgres@localhost:5432/postgres?sslmode=verify-full&sslrootcert={ca}"
    ))
    .await
    .unwrap());
    // verify-full does verify: the test CA is not among the web PKI roots.
    let err = server_sees_tls(&format!("{base}?sslmode=verify-full"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("TLS handshake") || err.contains("certificate"),
        "{err}"
    );
}

#[tokio::test]
async fn amqps_checks_the_server_certificate() {
    let ca = ca_file();
    let conn = hookd_bus::connect(&amqps_url(&format!("?cacertfile={ca}")))
        .await
        .expect("amqps with the test CA");
    assert!(conn.status().connected());
    let _ = conn.close(200, "bye".into()).await;
    assert!(
        hookd_bus::connect(&amqps_url("")).await.is_err(),
        "a certificate of an unknown CA must be refused"
    );
    assert!(
        hookd_bus::connect("amqp://guest:guest@127.0.0.1:5671/%2f")
            .await
            .is_err(),
        "the TLS port speaks no plaintext: the connections above were TLS"
    );
}

/// The whole path with both connections over TLS: accepted, routed, delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_flows_with_tls_to_postgres_and_rabbitmq() {
    let ca = ca_file();
    let stack = TestStack::spawn_with(|s| {
        let url = format!(
            "{}?sslmode=verify-full&sslrootcert={ca}",
            s.database.url.expose()
        );
        s.database.url = Secret::new(url);
        s.amqp.url = Secret::new(amqps_url(&format!("?cacertfile={ca}")));
    })
    .await;
    let f = stack.fixture().await;
    stack.endpoint(&f, "/tls", json!({})).await;
    let r = stack
        .send(
            &f,
            json!({"event_type": "user.created", "data": {"tls": true}}),
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert!(
        stack
            .receiver
            .wait_for(Duration::from_secs(15), |got| got
                .iter()
                .any(|g| g.path == "/tls"))
            .await,
        "not delivered"
    );
    // Every connection of the services to this test's database is encrypted.
    let db = stack.db().await;
    let row = db
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_ssl s
             JOIN pg_stat_activity a USING (pid) WHERE a.datname = current_database()",
            &[],
        )
        .await
        .unwrap();
    let (tls, all): (i64, i64) = (row.get(0), row.get(1));
    assert!(all > 1 && tls == all, "{tls} of {all} connections use TLS");
}
