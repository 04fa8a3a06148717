//! Properties of the filter syntax over arbitrary JSON.

use hookd_filter::{message_input, MessageFilter, Schema};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1000i64..1000).prop_map(|n| json!(n)),
        "[a-c0-9]{0,3}".prop_map(Value::String),
    ]
}

/// JSON without `$` keys (so it reads as a filter of plain fields).
fn plain() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-d]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Filters mixing fields and operators.
fn filter() -> impl Strategy<Value = Value> {
    let op = prop_oneof![
        leaf().prop_map(|v| json!({"$eq": v})),
        leaf().prop_map(|v| json!({"$neq": v})),
        (-1000i64..1000).prop_map(|n| json!({"$gte": n})),
        (-1000i64..1000).prop_map(|n| json!({"$lt": n})),
        prop::collection::vec(leaf(), 0..3).prop_map(|v| json!({"$in": v})),
        "[a-c]{0,2}".prop_map(|s| json!({"$nin": s})),
        "[a-c]{0,2}".prop_map(|s| json!({"$startsWith": s})),
        any::<bool>().prop_map(|b| json!({"$exist": b})),
    ];
    prop_oneof![op, plain()].prop_recursive(2, 16, 3, |inner| {
        prop_oneof![
            prop::collection::btree_map("[a-d]", inner.clone(), 1..3)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| json!({"$or": v})),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| json!({"$and": v})),
            inner.prop_map(|v| json!({"$not": v})),
        ]
    })
}

fn schema(v: &Value) -> Schema {
    Schema::parse(v).expect("generated filters are valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any JSON parses or is refused with a message; matching never panics.
    #[test]
    fn parse_and_match_are_total(f in plain(), g in filter(), input in plain()) {
        if let Ok(s) = Schema::parse(&f) {
            let _ = s.matches(Some(&input));
        }
        let _ = schema(&g).matches(Some(&input));
        let _ = schema(&g).matches(None);
    }

    /// A value without `$` keys matches itself.
    #[test]
    fn plain_values_match_themselves(v in plain()) {
        prop_assert!(schema(&v).matches(Some(&v)));
    }

    /// Keys the filter does not name never change the answer.
    #[test]
    fn extra_input_keys_are_ignored(f in filter(), input in plain(), extra in plain()) {
        let f = json!({"x": f});
        let input = json!({"x": input});
        let mut wider = input.clone();
        wider.as_object_mut().unwrap().insert("zz_extra".into(), extra);
        prop_assert_eq!(schema(&f).matches(Some(&input)), schema(&f).matches(Some(&wider)));
    }

    /// `$not`, `$or`, `$and` are negation, disjunction and conjunction.
    #[test]
    fn logic_operators_are_boolean(a in filter(), b in filter(), input in plain()) {
        let (sa, sb) = (schema(&a).matches(Some(&input)), schema(&b).matches(Some(&input)));
        prop_assert_eq!(schema(&json!({"$not": a.clone()})).matches(Some(&input)), !sa);
        prop_assert_eq!(schema(&json!({"$or": [a.clone(), b.clone()]})).matches(Some(&input)), sa || sb);
        prop_assert_eq!(schema(&json!({"$and": [a, b]})).matches(Some(&input)), sa && sb);
    }

    /// On a present value `$nin` is exactly not `$in`, and `$neq` not `$eq`.
    #[test]
    fn negated_operators_are_complements(set in prop::collection::vec(leaf(), 0..4), v in plain()) {
        let inn = schema(&json!({"$in": set.clone()})).matches(Some(&v));
        let nin = schema(&json!({"$nin": set})).matches(Some(&v));
        prop_assert_eq!(inn, !nin);
        let eq = schema(&json!({"$eq": v.clone()})).matches(Some(&v));
        let neq = schema(&json!({"$neq": v.clone()})).matches(Some(&v));
        prop_assert!(eq && !neq);
    }

    /// A number and the string that spells it are interchangeable in a filter.
    #[test]
    fn strings_spelling_numbers_equal_them(n in -100000i64..100000) {
        let as_string = json!({"n": n.to_string()});
        let as_number = json!({"n": n});
        let at_least = json!({"n": {"$gte": n}});
        prop_assert!(schema(&as_string).matches(Some(&as_number)));
        prop_assert!(schema(&at_least).matches(Some(&as_string)));
    }

    /// An unknown `$` key anywhere is refused, and the error names where.
    #[test]
    fn unknown_operators_are_refused(name in "\\$[a-z]{6,9}", depth in 0usize..3) {
        let mut f = json!({ name.clone(): 1 });
        for _ in 0..depth {
            f = json!({"a": f});
        }
        let err = Schema::parse(&f).unwrap_err();
        prop_assert!(err.path.ends_with(&name));
    }

    /// An endpoint filter naming event type, version and data passes a message exactly when
    /// each part does, and its data part sees only `data` (a `data.event_type` is not the
    /// message's).
    #[test]
    fn message_filters_compose_event_type_version_and_data(
        d in filter(), data in plain(),
        want_type in "[ab]\\.x", event_type in "[ab]\\.x",
        want_version in "[12]\\.0", version in "[12]\\.0",
    ) {
        let f = json!({"event_type": want_type, "version": want_version, "data": d});
        let m = MessageFilter::parse(&f).expect("a filter of the three keys parses");
        let expected = want_type == event_type
            && want_version == version
            && schema(&d).matches(Some(&data));
        let input = message_input(&event_type, &version, data.clone());
        prop_assert_eq!(m.matches(&input), expected);
        let data_only = MessageFilter::parse(&json!({"data": d})).unwrap();
        prop_assert_eq!(data_only.matches(&input), schema(&d).matches(Some(&data)));
        // The same filter one level down looks at data, not at the message.
        let nested = json!({"data": {"event_type": want_type}});
        let shadow = message_input(&event_type, &version, json!({"event_type": "c.x"}));
        prop_assert!(!MessageFilter::parse(&nested).unwrap().matches(&shadow));
    }

    /// Logic operators at the top of an endpoint filter are boolean over whole messages.
    #[test]
    fn message_filter_logic_is_boolean(a in filter(), b in filter(), data in plain(), t in "[ab]") {
        let input = message_input(&t, "1.0", data.clone());
        let (fa, fb) = (json!({"data": a}), json!({"event_type": t, "data": b}));
        let (ma, mb) = (
            MessageFilter::parse(&fa).unwrap().matches(&input),
            MessageFilter::parse(&fb).unwrap().matches(&input),
        );
        let or = MessageFilter::parse(&json!({"$or": [fa.clone(), fb.clone()]})).unwrap();
        let and = MessageFilter::parse(&json!({"$and": [fa.clone(), fb]})).unwrap();
        let not = MessageFilter::parse(&json!({"$not": fa})).unwrap();
        prop_assert_eq!(or.matches(&input), ma || mb);
        prop_assert_eq!(and.matches(&input), ma && mb);
        prop_assert_eq!(not.matches(&input), !ma);
        prop_assert!(!MessageFilter::nothing().matches(&input));
    }

    /// A key other than event_type, version, data (also inside top-level logic) is refused
    /// with its place; an endpoint filter must be an object.
    #[test]
    fn message_filters_refuse_other_keys(key in "[a-z]{1,8}", inner in plain(), logic in 0usize..3) {
        prop_assume!(!hookd_filter::MESSAGE_KEYS.contains(&key.as_str()));
        let (f, place) = match logic {
            0 => (json!({ key.clone(): inner.clone() }), key.clone()),
            1 => (json!({"$or": [{"data": 1}, { key.clone(): inner.clone() }]}), format!("$or.1.{key}")),
            _ => (json!({"$not": { key.clone(): inner.clone() }}), format!("$not.{key}")),
        };
        let err = MessageFilter::parse(&f).unwrap_err();
        prop_assert_eq!(err.path, place);
        if !inner.is_object() {
            prop_assert!(MessageFilter::parse(&inner).is_err());
        }
    }
}
