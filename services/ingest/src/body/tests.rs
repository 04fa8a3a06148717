use super::*;
use std::cell::Cell;

#[derive(Deserialize)]
#[allow(dead_code)] // The fields are what the parse checks; the tests read only the errors.
struct Input {
    name: Option<String>,
    count: Option<u32>,
    #[serde(default)]
    note: Nullable<String>,
    range: Option<Range>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Range {
    gte: Option<u32>,
}

thread_local! {
    static PARSES: Cell<usize> = const { Cell::new(0) };
}

/// `Input`, counting each time a body is deserialized into it.
struct Counted(#[allow(dead_code)] Input);

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        PARSES.with(|p| p.set(p.get() + 1));
        Input::deserialize(deserializer).map(Counted)
    }
}

fn error<T: DeserializeOwned>(body: &str) -> ApiError {
    match parse::<T>(body.as_bytes(), false) {
        Ok(_) => panic!("{body} parsed"),
        Err(e) => e,
    }
}

/// The quadratic-CPU report: a 1 MiB body of many keys with one of the wrong type cost one
/// parse per key to name the field. It costs one parse now, and the field is still named.
#[test]
fn a_mebibyte_of_keys_with_one_wrong_field_is_parsed_once() {
    let mut body = String::from("{");
    let mut i = 0;
    while body.len() < (1 << 20) - 64 {
        body.push_str(&format!("\"k{i}\":{i},"));
        i += 1;
    }
    body.push_str("\"count\":\"seven\",\"name\":\"x\"}");
    assert!(i > 50_000, "{i} keys");
    PARSES.with(|p| p.set(0));
    let e = error::<Counted>(&body);
    assert_eq!(PARSES.with(Cell::get), 1);
    assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        e.message.starts_with("count: invalid type"),
        "{}",
        e.message
    );
    assert_eq!(e.data["field"], "count");
}

#[test]
fn nested_and_unknown_fields_are_named_by_their_path() {
    let e = error::<Input>(r#"{"range": {"gte": -1}}"#);
    assert_eq!(e.data["field"], "range.gte", "{}", e.message);
    assert!(!e.message.contains("line 1"), "{}", e.message);
    let e = error::<Input>(r#"{"range": {"colour": 1}}"#);
    assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e.message.contains("colour"), "{}", e.message);
}

#[test]
fn absent_null_and_value_stay_apart() {
    let read = |body: &str| parse::<Input>(body.as_bytes(), false).unwrap().note;
    assert_eq!(read("{}"), Nullable::Absent);
    assert_eq!(read(r#"{"note": null}"#), Nullable::Null);
    assert_eq!(read(r#"{"note": "n"}"#), Nullable::Value("n".to_owned()));
}

#[test]
fn what_is_not_a_json_object_is_400() {
    // A mistyped field before the cut is still a 400: the body is not JSON.
    let cut = r#"{"count": "x", "name": "#;
    for body in [
        "",
        "[1]",
        "null",
        "\"a\"",
        "{\"name\": ",
        "{} {}",
        "not json",
        cut,
    ] {
        let e = error::<Input>(body);
        assert_eq!(e.status, StatusCode::BAD_REQUEST, "{body}: {}", e.message);
        assert!(e.message.contains("JSON"), "{body}: {}", e.message);
    }
    // Invalid UTF-8 in a field nobody reads is still not JSON.
    let e = parse::<Input>(b"{\"other\": \"\x80\"}", false)
        .err()
        .unwrap();
    assert_eq!(e.status, StatusCode::BAD_REQUEST, "{}", e.message);
    // An array where an enum-like value goes is a shape error, not bad JSON.
    let e = error::<Input>(r#"{"range": {"gte": []}}"#);
    assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", e.message);
    assert!(parse::<Input>(b"  ", true).is_ok());
    assert_eq!(
        parse::<Input>(b"", false).err().map(|e| e.status),
        Some(StatusCode::BAD_REQUEST)
    );
}

#[test]
fn a_nul_character_anywhere_is_422_naming_the_top_level_field() {
    let e = error::<serde_json::Value>(r#"{"a": "ok\\u0000", "data": {"x": ["y\u0000"]}}"#);
    assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e.data["field"], "data", "{}", e.message);
    // An escaped backslash before `u0000` is text, not a NUL.
    assert!(parse::<serde_json::Value>(br#"{"a": "\\u0000"}"#, false).is_ok());
}
