//! Every operator of GATEWAY.md's filter syntax, and its examples.

use hookd_filter::{RequestFilter, RequestParts, Schema};
use serde_json::{json, Value};

fn passes(filter: Value, input: Value) -> bool {
    Schema::parse(&filter)
        .unwrap_or_else(|e| panic!("{filter} should parse: {e}"))
        .matches(Some(&input))
}

#[test]
fn gateway_md_examples() {
    let f = json!({"k": {"$startsWith": "order."}, "n": {"$gte": 100}});
    assert!(passes(
        f.clone(),
        json!({"k": "order.paid", "n": 150, "x": 1})
    ));
    assert!(!passes(f, json!({"k": "order.paid", "n": 5})));
    let f = json!({"$or": [{"n": 1}, {"n": {"$gt": 9}}], "t": {"$exist": false}});
    assert!(passes(f.clone(), json!({"n": 20})));
    assert!(!passes(f.clone(), json!({"n": 20, "t": 1})));
    assert!(passes(f.clone(), json!({"n": 1})));
    assert!(!passes(f, json!({"n": 5})));
}

#[test]
fn primitives_are_equal_and_strings_equal_the_numbers_they_spell() {
    assert!(passes(json!({"a": 5}), json!({"a": 5})));
    assert!(passes(json!({"a": "5"}), json!({"a": 5})));
    assert!(passes(json!({"a": 5}), json!({"a": "5"})));
    assert!(passes(json!({"a": 5}), json!({"a": 5.0})));
    assert!(passes(json!({"a": true}), json!({"a": "true"})));
    assert!(passes(json!({"a": null}), json!({"a": null})));
    assert!(!passes(json!({"a": 5}), json!({"a": 6})));
    assert!(!passes(json!({"a": "x"}), json!({"a": "y"})));
    assert!(!passes(json!({"a": null}), json!({})));
}

#[test]
fn objects_match_recursively_and_ignore_extra_keys() {
    let f = json!({"data": {"customer": {"tier": "gold"}}});
    assert!(passes(
        f.clone(),
        json!({"data": {"customer": {"tier": "gold", "id": 1}, "other": 2}})
    ));
    assert!(!passes(
        f.clone(),
        json!({"data": {"customer": {"tier": "silver"}}})
    ));
    assert!(!passes(f, json!({"data": {}})));
}

#[test]
fn arrays_of_input_match_by_element_and_filter_arrays_need_all_items() {
    assert!(passes(json!({"tags": "a"}), json!({"tags": ["b", "a"]})));
    assert!(!passes(json!({"tags": "c"}), json!({"tags": ["b", "a"]})));
    let line = json!({"items": {"sku": "a", "qty": 2}});
    assert!(passes(
        line.clone(),
        json!({"items": [{"sku": "b"}, {"sku": "a", "qty": 2}]})
    ));
    // No single line has both.
    assert!(!passes(
        line,
        json!({"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}]})
    ));
    assert!(passes(
        json!({"tags": ["a", "b"]}),
        json!({"tags": ["b", "c", "a"]})
    ));
    assert!(!passes(
        json!({"tags": ["a", "d"]}),
        json!({"tags": ["b", "c", "a"]})
    ));
    assert!(!passes(json!({"tags": ["a"]}), json!({"tags": "a"})));
}

#[test]
fn eq_and_neq_are_deep() {
    assert!(passes(
        json!({"a": {"$eq": {"x": [1, 2]}}}),
        json!({"a": {"x": [1, 2]}})
    ));
    assert!(!passes(
        json!({"a": {"$eq": {"x": [1, 2]}}}),
        json!({"a": {"x": [1, 2], "y": 0}})
    ));
    assert!(passes(json!({"a": {"$neq": [1]}}), json!({"a": [1, 2]})));
    assert!(!passes(json!({"a": {"$neq": "v"}}), json!({"a": "v"})));
    assert!(!passes(json!({"a": {"$neq": "v"}}), json!({})));
}

#[test]
fn comparisons_take_numbers_or_strings() {
    assert!(passes(json!({"n": {"$gt": 1}}), json!({"n": 2})));
    assert!(!passes(json!({"n": {"$gt": 2}}), json!({"n": 2})));
    assert!(passes(json!({"n": {"$gte": 2}}), json!({"n": 2})));
    assert!(passes(json!({"n": {"$lt": 3}}), json!({"n": 2.5})));
    assert!(!passes(json!({"n": {"$lt": 2}}), json!({"n": 2})));
    assert!(passes(json!({"n": {"$lte": 2}}), json!({"n": 2})));
    // Header values are strings.
    assert!(passes(json!({"n": {"$gte": 10}}), json!({"n": "12"})));
    // Lexicographic.
    assert!(passes(
        json!({"d": {"$gte": "2024-01-01"}}),
        json!({"d": "2024-06-30"})
    ));
    assert!(!passes(json!({"d": {"$lt": "b"}}), json!({"d": "c"})));
    assert!(!passes(json!({"n": {"$gt": 1}}), json!({"n": true})));
    assert!(passes(json!({"n": {"$gt": 5}}), json!({"n": [1, 9]})));
}

#[test]
fn in_and_nin_take_a_list_or_a_substring() {
    assert!(passes(json!({"s": {"$in": ["a", "b"]}}), json!({"s": "b"})));
    assert!(!passes(
        json!({"s": {"$in": ["a", "b"]}}),
        json!({"s": "c"})
    ));
    assert!(passes(
        json!({"s": {"$in": "paid"}}),
        json!({"s": "order.paid"})
    ));
    assert!(passes(json!({"s": {"$in": "x"}}), json!({"s": ["y", "x"]})));
    assert!(!passes(json!({"s": {"$in": "x"}}), json!({"s": ["y"]})));
    assert!(passes(json!({"s": {"$nin": ["a"]}}), json!({"s": "b"})));
    assert!(!passes(
        json!({"s": {"$nin": "ord"}}),
        json!({"s": "order"})
    ));
    assert!(!passes(json!({"s": {"$nin": ["a"]}}), json!({})));
}

#[test]
fn starts_and_ends_with_a_string_or_any_of_a_list() {
    assert!(passes(
        json!({"s": {"$startsWith": "ab"}}),
        json!({"s": "abc"})
    ));
    assert!(passes(
        json!({"s": {"$startsWith": ["x", "ab"]}}),
        json!({"s": "abc"})
    ));
    assert!(!passes(
        json!({"s": {"$startsWith": "b"}}),
        json!({"s": "abc"})
    ));
    assert!(passes(
        json!({"s": {"$endsWith": "bc"}}),
        json!({"s": "abc"})
    ));
    assert!(!passes(
        json!({"s": {"$endsWith": ["a"]}}),
        json!({"s": "abc"})
    ));
    assert!(!passes(json!({"s": {"$endsWith": "1"}}), json!({"s": 1})));
}

#[test]
fn exist_or_and_not() {
    assert!(passes(json!({"a": {"$exist": true}}), json!({"a": 0})));
    assert!(!passes(json!({"a": {"$exist": true}}), json!({})));
    assert!(passes(json!({"a": {"$exist": false}}), json!({})));
    assert!(passes(
        json!({"$and": [{"a": 1}, {"b": 2}]}),
        json!({"a": 1, "b": 2})
    ));
    assert!(!passes(
        json!({"$and": [{"a": 1}, {"b": 2}]}),
        json!({"a": 1})
    ));
    assert!(passes(
        json!({"$or": [{"a": 1}, {"b": 2}]}),
        json!({"b": 2})
    ));
    assert!(passes(
        json!({"a": {"$not": {"$in": ["x"]}}}),
        json!({"a": "y"})
    ));
    // A missing field passes `$not` of anything it fails.
    assert!(passes(json!({"a": {"$not": "x"}}), json!({})));
    assert!(!passes(json!({"$not": {"a": 1}}), json!({"a": 1})));
}

#[test]
fn a_missing_field_fails_every_other_operator() {
    for op in [
        json!({"$eq": 1}),
        json!({"$gt": 0}),
        json!({"$lte": 0}),
        json!({"$in": [1]}),
        json!({"$startsWith": ""}),
        json!({"$endsWith": ""}),
        json!({"$exist": true}),
    ] {
        assert!(
            !passes(json!({"missing": op.clone()}), json!({"a": 1})),
            "{op}"
        );
    }
}

#[test]
fn invalid_filters_name_the_place_and_the_problem() {
    let err = |f: Value| Schema::parse(&f).unwrap_err().to_string();
    assert_eq!(
        err(json!({"n": {"$foo": 1}})),
        "n.$foo: unknown operator `$foo`"
    );
    assert_eq!(
        err(json!({"n": {"$gt": true}})),
        "n.$gt: $gt takes a number or a string"
    );
    assert_eq!(err(json!({"$in": 5})), "$in: $in takes a list or a string");
    assert_eq!(
        err(json!({"$or": []})),
        "$or: $or takes a non-empty list of filters"
    );
    assert_eq!(
        err(json!({"$or": [{"a": {"$x": 1}}]})),
        "$or.0.a.$x: unknown operator `$x`"
    );
    assert_eq!(
        err(json!({"$exist": "yes"})),
        "$exist: $exist takes true or false"
    );
    assert!(err(json!({"$startsWith": [1]})).contains("a string or a list of strings"));
}

#[test]
fn request_filters_check_each_part_and_name_the_failing_one() {
    let rule = json!({
        "type": "filter",
        "body": {"type": {"$startsWith": "order."}},
        "headers": {"X-Shop": "eu"},
        "query": {"v": 2},
        "path": {"$startsWith": "/orders"}
    });
    let f = RequestFilter::parse(rule.as_object().unwrap()).unwrap();
    let body = json!({"type": "order.paid"});
    let headers = json!({"x-shop": "eu", "content-type": "application/json"});
    let query = json!({"v": "2"});
    let parts = RequestParts {
        body: &body,
        headers: &headers,
        query: &query,
        path: "/orders/7",
    };
    assert_eq!(f.check(&parts), Ok(()));
    let other = json!({"x-shop": "us"});
    assert_eq!(
        f.check(&RequestParts {
            headers: &other,
            ..parts
        }),
        Err("headers")
    );
    assert_eq!(f.check(&RequestParts { path: "/", ..parts }), Err("path"));
    let bad = json!({"body": {"$nope": 1}});
    let e = RequestFilter::parse(bad.as_object().unwrap()).unwrap_err();
    assert_eq!(e.to_string(), "body.$nope: unknown operator `$nope`");
    let unknown = json!({"cookies": {}});
    assert!(RequestFilter::parse(unknown.as_object().unwrap()).is_err());
    let empty = json!({"type": "filter"});
    assert!(RequestFilter::parse(empty.as_object().unwrap()).is_err());
}
