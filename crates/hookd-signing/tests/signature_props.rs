//! Property tests of Standard Webhooks signatures: `verify` reads a `webhook-signature` header
//! and a `whsec_` secret, both of which can be anything.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hookd_signing::{signature_header, verify, SigningKey};
use proptest::prelude::*;

/// A valid secret: `whsec_` + base64 of 24 to 64 bytes.
fn secret() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 24..=64)
        .prop_map(|b| format!("whsec_{}", STANDARD.encode(b)))
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..512)
}

/// Header values: arbitrary text, and text built from the pieces of real headers (`v1,`,
/// base64, spaces, commas) so that near misses are tried too.
fn header() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(v[0-9]?,?[A-Za-z0-9+/=]{0,48} ?){0,4}",
        "[ ,v1a-zA-Z0-9+/=\u{0}\u{ff}]{0,120}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn verify_never_panics_on_any_header_or_secret(
        secret in prop_oneof![secret(), any::<String>(), "whsec_[A-Za-z0-9+/=]{0,100}"],
        msg_id in any::<String>(),
        timestamp in any::<i64>(),
        body in body(),
        header in header(),
    ) {
        let _ = verify(&secret, &msg_id, timestamp, &body, &header);
    }

    /// A header that is not a signature of this key and message does not verify.
    #[test]
    fn an_arbitrary_header_does_not_verify(
        secret in secret(),
        msg_id in "[a-z0-9_]{1,32}",
        timestamp in any::<i64>(),
        body in body(),
        header in header(),
    ) {
        let expected = SigningKey::parse(&secret).unwrap().sign(&msg_id, timestamp, &body);
        prop_assume!(!header.split(' ').any(|s| s == expected));
        prop_assert!(!verify(&secret, &msg_id, timestamp, &body, &header));
    }

    #[test]
    fn a_correct_signature_verifies(
        secret in secret(),
        msg_id in any::<String>(),
        timestamp in any::<i64>(),
        body in body(),
        others in prop::collection::vec(secret(), 0..3),
    ) {
        let key = SigningKey::parse(&secret).unwrap();
        let header = signature_header(&[key], &msg_id, timestamp, &body);
        prop_assert!(header.starts_with("v1,"));
        prop_assert!(verify(&secret, &msg_id, timestamp, &body, &header));
        // During a rotation the header carries several signatures, in any order: any one of
        // them that matches is enough.
        let mut keys: Vec<SigningKey> = others.iter().map(|s| SigningKey::parse(s).unwrap()).collect();
        keys.push(SigningKey::parse(&secret).unwrap());
        keys.rotate_left(others.len() / 2);
        let rotating = signature_header(&keys, &msg_id, timestamp, &body);
        prop_assert_eq!(rotating.split(' ').count(), others.len() + 1);
        prop_assert!(verify(&secret, &msg_id, timestamp, &body, &rotating));
    }

    #[test]
    fn any_single_byte_change_of_the_body_fails(
        secret in secret(),
        msg_id in "[a-z0-9_]{1,32}",
        timestamp in any::<i64>(),
        body in prop::collection::vec(any::<u8>(), 1..512),
        at in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let key = SigningKey::parse(&secret).unwrap();
        let header = signature_header(&[key], &msg_id, timestamp, &body);
        let mut changed = body.clone();
        let i = at.index(changed.len());
        changed[i] = changed[i].wrapping_add(delta);
        prop_assert!(!verify(&secret, &msg_id, timestamp, &changed, &header));
        // Nor does the same body under another timestamp or message id.
        prop_assert!(!verify(&secret, &msg_id, timestamp.wrapping_add(1), &body, &header));
        let other_id = format!("{msg_id}x");
        prop_assert!(!verify(&secret, &other_id, timestamp, &body, &header));
    }

    #[test]
    fn a_different_secret_does_not_verify(
        (a, b) in (secret(), secret()).prop_filter("two different keys", |(a, b)| {
            STANDARD.decode(&a[6..]).unwrap() != STANDARD.decode(&b[6..]).unwrap()
        }),
        body in body(),
    ) {
        let header = signature_header(&[SigningKey::parse(&a).unwrap()], "msg_1", 1_700_000_000, &body);
        prop_assert!(!verify(&b, "msg_1", 1_700_000_000, &body, &header));
    }
}
