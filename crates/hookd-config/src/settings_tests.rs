//! The settings' defaults, profiles and validation.

use super::*;

#[test]
fn defaults_match_the_design() {
    let s = Settings::defaults(Profile::Local);
    assert_eq!(
        s.database.url.expose(),
        "postgres://postgres@127.0.0.1:5432/hookd"
    );
    assert_eq!(s.ingest.listen, "127.0.0.1:8080");
    assert_eq!(s.max_attempts(), 8);
    assert_eq!(s.delivery.timeout, Duration::from_secs(15));
    assert!(s.delivery.allow_private_networks);
    assert_eq!(s.extra_ca_file(), None, "web PKI roots only by default");
}

#[test]
fn profiles_load_from_the_repository_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let local = Settings::load_from(Profile::Local, &dir, false).unwrap();
    assert_eq!(
        local.auth.bootstrap_api_key.unwrap().expose(),
        "hookd_dev_key"
    );
    assert!(
        local.secrets.encryption_key.is_some(),
        "the local profile seals secrets too"
    );
    let err = Settings::load_from(Profile::Production, &dir, false).unwrap_err();
    assert!(err.to_string().contains("bootstrap_api_key"), "{err}");
}

#[test]
fn production_refuses_to_start_without_its_keys() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    let err = Settings::load_from(Profile::Production, &dir, false)
        .unwrap_err()
        .to_string();
    for named in [
        "HOOKD__AUTH__BOOTSTRAP_API_KEY",
        "HOOKD__SECRETS__ENCRYPTION_KEY",
        "HOOKD_PROFILE=local",
    ] {
        assert!(err.contains(named), "{named} not in: {err}");
    }
    let mut s = Settings::defaults(Profile::Production);
    s.auth.bootstrap_api_key = Some(Secret::new("k".repeat(24)));
    let err = s.validate().unwrap_err().to_string();
    assert!(err.contains("HOOKD__SECRETS__ENCRYPTION_KEY"), "{err}");
    assert!(
        !err.contains("HOOKD__AUTH"),
        "the key given is not named: {err}"
    );
    s.secrets.encryption_key = Some(Secret::new("   ".into()));
    assert!(s.validate().is_err(), "a blank encryption key is no key");
    s.secrets.encryption_key = Some(Secret::new(
        "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into(),
    ));
    s.validate().unwrap();
}

#[test]
fn only_the_local_profile_delivers_to_private_networks() {
    assert!(
        !Settings::defaults(Profile::Production)
            .delivery
            .allow_private_networks
    );
    let empty = std::env::temp_dir().join("hookd-config-no-such-dir");
    let local = Settings::load_from(Profile::Local, &empty, false).unwrap();
    assert!(
        local.delivery.allow_private_networks,
        "local built-ins allow it"
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config");
    assert!(
        !std::fs::read_to_string(dir.join("production.toml"))
            .unwrap()
            .contains("allow_private_networks = true"),
        "the production file must not turn it on"
    );
}

#[test]
fn an_unset_profile_is_production() {
    // Only this test reads HOOKD_PROFILE from the process (nextest: one process per test).
    std::env::remove_var("HOOKD_PROFILE");
    assert_eq!(Profile::from_env().unwrap(), Profile::Production);
    std::env::set_var("HOOKD_PROFILE", "local");
    assert_eq!(Profile::from_env().unwrap(), Profile::Local);
    std::env::set_var("HOOKD_PROFILE", "staging");
    assert!(Profile::from_env().is_err());
}

#[test]
fn secrets_do_not_print() {
    let s = Settings::defaults(Profile::Local);
    assert!(!format!("{s:?}").contains("guest:guest"));
}
