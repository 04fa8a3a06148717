//! Property tests of the pagination cursor: `Cursor::decode` reads the `next` and `prev` query
//! parameters, which anyone can send.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hookd_db::Cursor;
use proptest::prelude::*;
use uuid::Uuid;

/// Any instant that chrono can represent, at the microsecond precision the cursor keeps.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    any::<i64>().prop_filter_map("out of chrono's range", DateTime::from_timestamp_micros)
}

fn cursor() -> impl Strategy<Value = Cursor> {
    (instant(), any::<u128>()).prop_map(|(created_at, id)| Cursor {
        created_at,
        id: Uuid::from_u128(id),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn decoding_any_string_never_panics(s in any::<String>()) {
        let _ = Cursor::decode(&s);
    }

    /// Strings of the URL-safe base64 alphabet decode to bytes far more often than arbitrary
    /// strings do, so they reach the parsing behind the base64 layer.
    #[test]
    fn decoding_base64_alphabet_strings_never_panics(s in "[A-Za-z0-9_=+/-]{0,96}") {
        let _ = Cursor::decode(&s);
    }

    /// Base64 of text shaped like a cursor (`<micros>.<uuid>`), with out-of-range numbers, signs,
    /// junk and missing parts.
    #[test]
    fn decoding_cursor_shaped_payloads_never_panics(
        raw in "[-+]?[0-9]{0,24}\\.?[0-9a-fA-F{}-]{0,40}\\.?[a-z0-9]{0,4}",
    ) {
        let decoded = Cursor::decode(&URL_SAFE_NO_PAD.encode(&raw));
        // Whatever decodes is a real cursor: it encodes to a string that decodes to itself.
        if let Some(c) = decoded {
            prop_assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
    }

    #[test]
    fn encode_then_decode_round_trips(c in cursor()) {
        let encoded = c.encode();
        // The encoding is safe in a query string as it is.
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        prop_assert_eq!(Cursor::decode(&encoded), Some(c));
    }

    /// A cursor with one character replaced never panics; what still decodes is a cursor that
    /// round-trips like any other.
    #[test]
    fn a_changed_character_never_panics(
        c in cursor(),
        at in any::<prop::sample::Index>(),
        by in "[A-Za-z0-9_=+/.-]",
    ) {
        let mut changed = c.encode();
        let i = at.index(changed.len());
        changed.replace_range(i..=i, &by);
        if let Some(other) = Cursor::decode(&changed) {
            prop_assert_eq!(Cursor::decode(&other.encode()), Some(other));
        }
    }
}
