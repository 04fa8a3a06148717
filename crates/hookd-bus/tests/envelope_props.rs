//! Property tests of the bus envelopes: consumers decode whatever bytes arrive on their queue
//! (another version of hookd, a misconfigured publisher, a corrupted message).

use hookd_bus::envelopes::{DeliveryJob, MessageAccepted};
use hookd_bus::Batchable;
use proptest::prelude::*;
use prost::Message;

/// `MessageAccepted` as a router older than `batched` reads it.
#[derive(Clone, PartialEq, prost::Message)]
struct OlderMessageAccepted {
    #[prost(string, tag = "1")]
    message_id: String,
    #[prost(bytes = "vec", tag = "5")]
    payload: Vec<u8>,
    #[prost(int64, tag = "8")]
    accepted_at_micros: i64,
}

fn message_accepted() -> impl Strategy<Value = MessageAccepted> {
    (
        (
            any::<String>(),
            any::<String>(),
            any::<String>(),
            any::<String>(),
        ),
        prop::collection::vec(any::<u8>(), 0..256),
        (
            any::<Option<String>>(),
            any::<Option<String>>(),
            any::<Option<String>>(),
        ),
        any::<i64>(),
    )
        .prop_map(
            |(
                (message_id, app_id, event_type, version),
                payload,
                (endpoint_id, task_id, traceparent),
                at,
            )| {
                MessageAccepted {
                    message_id,
                    app_id,
                    event_type,
                    version,
                    payload,
                    endpoint_id,
                    task_id,
                    accepted_at_micros: at,
                    traceparent,
                    batched: Vec::new(),
                }
            },
        )
}

fn delivery_job() -> impl Strategy<Value = DeliveryJob> {
    (
        (
            any::<String>(),
            any::<String>(),
            any::<String>(),
            any::<String>(),
        ),
        prop::collection::vec(any::<u8>(), 0..256),
        (
            any::<u32>(),
            any::<i64>(),
            any::<Option<String>>(),
            any::<Option<u32>>(),
            any::<i64>(),
        ),
        (
            any::<Option<(String, String, String, bool)>>(),
            any::<Option<String>>(),
        ),
    )
        .prop_map(
            |(
                (delivery_id, message_id, endpoint_id, url),
                payload,
                rest,
                (gateway, traceparent),
            )| {
                let (attempt, accepted_at_micros, task_id, rate_limit, endpoint_revision) = rest;
                DeliveryJob {
                    delivery_id,
                    message_id,
                    endpoint_id,
                    url,
                    payload,
                    attempt,
                    accepted_at_micros,
                    task_id,
                    rate_limit,
                    endpoint_revision,
                    explicit: attempt % 2 == 0,
                    ordered: attempt % 3 == 0,
                    traceparent,
                    published_at_micros: accepted_at_micros,
                    gateway: gateway.map(|(event_id, method, header, verified)| {
                        hookd_bus::envelopes::GatewayDelivery {
                            event_id,
                            method,
                            headers: vec![hookd_bus::envelopes::Header {
                                name: header.clone(),
                                value: header,
                            }],
                            verified,
                            ..Default::default()
                        }
                    }),
                }
            },
        )
}

/// Bytes that look like protobuf more often than random ones: a valid envelope with a few of
/// its bytes changed, cut short, or with junk appended.
fn mangled(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = valid.len();
    (
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        0..=len,
        prop::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(move |(changes, keep, tail)| {
            let mut bytes = valid.clone();
            for (at, byte) in changes {
                if !bytes.is_empty() {
                    let i = at.index(bytes.len());
                    bytes[i] = byte;
                }
            }
            bytes.truncate(keep);
            bytes.extend(tail);
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = MessageAccepted::decode(bytes.as_slice());
        let _ = DeliveryJob::decode(bytes.as_slice());
    }

    #[test]
    fn message_accepted_round_trips(m in message_accepted()) {
        let bytes = m.encode_to_vec();
        prop_assert_eq!(bytes.len(), m.encoded_len());
        prop_assert_eq!(MessageAccepted::decode(bytes.as_slice()).unwrap(), m);
    }

    #[test]
    fn batches_unnest_to_what_was_nested(
        first in message_accepted(),
        rest in prop::collection::vec(message_accepted(), 0..5),
    ) {
        let mut all = vec![first.clone()];
        all.extend(rest.iter().cloned());
        let bytes = MessageAccepted::nest(first.clone(), rest).encode_to_vec();
        let decoded = MessageAccepted::decode(bytes.as_slice()).unwrap();
        prop_assert_eq!(decoded.unnest(), all);
        // An older router still reads the first envelope whole (its relay sends the rest).
        let older = OlderMessageAccepted::decode(bytes.as_slice()).unwrap();
        prop_assert_eq!(older.message_id, first.message_id);
        prop_assert_eq!(older.payload, first.payload);
        prop_assert_eq!(older.accepted_at_micros, first.accepted_at_micros);
    }

    #[test]
    fn delivery_job_round_trips(j in delivery_job()) {
        let bytes = j.encode_to_vec();
        prop_assert_eq!(bytes.len(), j.encoded_len());
        prop_assert_eq!(DeliveryJob::decode(bytes.as_slice()).unwrap(), j);
    }

    #[test]
    fn mangled_envelopes_never_panic(
        bytes in message_accepted().prop_flat_map(|m| mangled(m.encode_to_vec())),
        job in delivery_job().prop_flat_map(|j| mangled(j.encode_to_vec())),
    ) {
        for b in [&bytes, &job] {
            let _ = MessageAccepted::decode(b.as_slice());
            let _ = DeliveryJob::decode(b.as_slice());
        }
    }
}
