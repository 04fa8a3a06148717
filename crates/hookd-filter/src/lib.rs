//! The filter syntax of GATEWAY.md as pure functions: [`Schema::parse`] checks a filter once
//! (an error names the place and the problem, for a 422), [`Schema::matches`] tests a JSON value
//! against it. [`RequestFilter`] is a connection's `filter` rule (body, headers, query, path).
//! [`MessageFilter`] is an endpoint's payload filter over `{event_type, version, data}`.

mod error;
mod eval;
mod message;
mod parse;
mod request;

pub use error::FilterError;
pub use message::{message_input, MessageFilter, MESSAGE_KEYS};
pub use request::{RequestFilter, RequestParts};

use serde_json::Value;

/// A checked filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schema {
    /// A primitive (string, number, boolean, null): equal, with `"5"` equal to `5`.
    Value(Value),
    /// Every item must be matched by some element of the input array.
    Array(Vec<Schema>),
    /// Field keys match recursively; operators apply to the value itself.
    Object {
        fields: Vec<(String, Schema)>,
        ops: Vec<Operator>,
    },
}

/// A `$` key of a filter object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    Eq(Value),
    Neq(Value),
    Gt(Value),
    Gte(Value),
    Lt(Value),
    Lte(Value),
    In(Set),
    Nin(Set),
    StartsWith(Vec<String>),
    EndsWith(Vec<String>),
    Exist(bool),
    Or(Vec<Schema>),
    And(Vec<Schema>),
    Not(Box<Schema>),
}

/// The operand of `$in` / `$nin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Set {
    /// The value is one of these.
    List(Vec<Value>),
    /// The value (a string) contains this, or (an array) has it as an element.
    Contains(String),
}

impl Schema {
    /// Checks a filter; the error says where (`n.$gte`) and what is wrong.
    pub fn parse(filter: &Value) -> Result<Self, FilterError> {
        parse::schema(filter, &mut Vec::new())
    }

    /// Whether `input` passes. `None` is a missing field: it fails every operator but
    /// `$exist: false` and `$not`.
    pub fn matches(&self, input: Option<&Value>) -> bool {
        eval::schema(self, input)
    }
}
