//! Metadata filters returned by authorization handlers (spec §4.5).
//!
//! A filter is parsed and validated once, into [`Filter`], before it touches
//! any data. Supported: plain equality, `$eq`, `$contains` (list values
//! only; a list operand must be contained element by element), and
//! `$or`/`$and` with at least two filters, nested at most two operator levels.
//! **We differ from LangGraph on purpose:** an unknown operator (`$ne`,
//! `$gt`...) or an operator object with several keys is refused as a handler
//! fault, never treated as "matches everything".
//!
//! Storage renders a [`Filter`] as SQL (so pagination stays correct) and
//! [`Filter::matches`] evaluates it on one resource; both follow the same
//! rules, and the storage tests check that they agree.

use serde_json::{Map, Value};

/// How deep `$or`/`$and` may nest.
const MAX_OPERATOR_DEPTH: usize = 2;

/// A validated filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `metadata[key]` is present and equal to `value` (deep equality).
    Eq {
        /// The metadata key.
        key: String,
        /// The value it must equal.
        value: Value,
    },
    /// `metadata[key]` is a list containing every one of `items`.
    Contains {
        /// The metadata key.
        key: String,
        /// What the list must contain.
        items: Vec<Value>,
    },
    /// Every filter matches (an empty list matches everything).
    And(Vec<Filter>),
    /// At least one filter matches.
    Or(Vec<Filter>),
}

impl Filter {
    /// Parses a handler's filter. `Ok(None)` for `{}` (no filter). An error
    /// says what is wrong; callers treat it as a handler fault.
    pub fn parse(value: &Value) -> Result<Option<Filter>, String> {
        let Value::Object(map) = value else {
            return Err(format!(
                "a filter must be a JSON object, got {}",
                kind(value)
            ));
        };
        if map.is_empty() {
            return Ok(None);
        }
        parse_object(map, 0).map(Some)
    }

    /// Equality on every key of `metadata` (a client's containment filter).
    pub fn containment(metadata: &Map<String, Value>) -> Option<Filter> {
        if metadata.is_empty() {
            return None;
        }
        Some(Filter::And(
            metadata
                .iter()
                .map(|(k, v)| Filter::Eq {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        ))
    }

    /// Whether `metadata` (an object) matches.
    pub fn matches(&self, metadata: &Value) -> bool {
        match self {
            Filter::Eq { key, value } => metadata.get(key) == Some(value),
            Filter::Contains { key, items } => match metadata.get(key) {
                Some(Value::Array(list)) => items.iter().all(|i| list.contains(i)),
                _ => false,
            },
            Filter::And(all) => all.iter().all(|f| f.matches(metadata)),
            Filter::Or(any) => any.iter().any(|f| f.matches(metadata)),
        }
    }

    /// Both filters (either may be absent).
    pub fn and(a: Option<Filter>, b: Option<Filter>) -> Option<Filter> {
        match (a, b) {
            (None, f) | (f, None) => f,
            (Some(a), Some(b)) => Some(Filter::And(vec![a, b])),
        }
    }
}

fn parse_object(map: &Map<String, Value>, depth: usize) -> Result<Filter, String> {
    let mut all = Vec::with_capacity(map.len());
    for (key, value) in map {
        match key.as_str() {
            "$or" | "$and" => {
                if depth >= MAX_OPERATOR_DEPTH {
                    return Err(format!(
                        "too many nested operators: `{key}` is nested more than {MAX_OPERATOR_DEPTH} levels deep"
                    ));
                }
                let list = match value {
                    Value::Array(list) if list.len() >= 2 => list,
                    _ => {
                        return Err(format!("`{key}` must be a list of at least two filters"));
                    }
                };
                let parts = list
                    .iter()
                    .map(|f| match f {
                        Value::Object(m) => parse_object(m, depth + 1),
                        other => Err(format!(
                            "every element of `{key}` must be a filter object, got {}",
                            kind(other)
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                all.push(if key == "$or" {
                    Filter::Or(parts)
                } else {
                    Filter::And(parts)
                });
            }
            op if op.starts_with('$') => {
                return Err(format!(
                    "unsupported operator `{op}` at the top of a filter (supported: $or, $and)"
                ));
            }
            _ => all.push(parse_condition(key, value)?),
        }
    }
    Ok(if all.len() == 1 {
        all.pop().expect("one element")
    } else {
        Filter::And(all)
    })
}

fn parse_condition(key: &str, value: &Value) -> Result<Filter, String> {
    let Value::Object(ops) = value else {
        return Ok(Filter::Eq {
            key: key.to_string(),
            value: value.clone(),
        });
    };
    let mut entries = ops.iter();
    let (Some((op, operand)), None) = (entries.next(), entries.next()) else {
        return Err(format!(
            "the condition on `{key}` must hold exactly one operator ($eq or $contains), got {}",
            ops.len()
        ));
    };
    match op.as_str() {
        "$eq" => Ok(Filter::Eq {
            key: key.to_string(),
            value: operand.clone(),
        }),
        "$contains" => Ok(Filter::Contains {
            key: key.to_string(),
            items: match operand {
                Value::Array(items) => items.clone(),
                single => vec![single.clone()],
            },
        }),
        other => Err(format!(
            "unsupported operator `{other}` on `{key}` (supported: $eq, $contains, $or, $and); wasmgate refuses it rather than match everything"
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// JSON text with object keys sorted at every level: equal values have
/// equal canonical text, which is how storage compares them in SQL.
pub fn canonical(value: &Value) -> String {
    fn sorted(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Object(
                    keys.into_iter()
                        .map(|k| (k.clone(), sorted(&map[k])))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Filter {
        Filter::parse(&v).unwrap().unwrap()
    }

    #[test]
    fn operators_match_like_langgraph() {
        let meta =
            json!({"owner": "alice", "tags": ["a", "b"], "tag": "a", "org": {"id": 1, "n": "x"}});
        assert!(parse(json!({"owner": "alice"})).matches(&meta));
        assert!(!parse(json!({"owner": "bob"})).matches(&meta));
        assert!(!parse(json!({"missing": null})).matches(&meta));
        assert!(parse(json!({"owner": {"$eq": "alice"}})).matches(&meta));
        assert!(parse(json!({"org": {"$eq": {"n": "x", "id": 1}}})).matches(&meta));
        assert!(parse(json!({"tags": {"$contains": "a"}})).matches(&meta));
        assert!(parse(json!({"tags": {"$contains": ["b", "a"]}})).matches(&meta));
        assert!(!parse(json!({"tags": {"$contains": ["a", "c"]}})).matches(&meta));
        // A string is not a list.
        assert!(!parse(json!({"tag": {"$contains": "a"}})).matches(&meta));
        assert!(parse(json!({"$or": [{"owner": "bob"}, {"tag": "a"}]})).matches(&meta));
        assert!(!parse(json!({"$and": [{"owner": "alice"}, {"tag": "b"}]})).matches(&meta));
        // Sibling keys are ANDed with the operator.
        assert!(
            !parse(json!({"owner": "bob", "$or": [{"tag": "a"}, {"tag": "b"}]})).matches(&meta)
        );
        assert_eq!(Filter::parse(&json!({})).unwrap(), None);
    }

    #[test]
    fn unknown_operators_and_bad_structure_are_refused() {
        for bad in [
            json!({"owner": {"$ne": "alice"}}),
            json!({"n": {"$gt": 1}}),
            json!({"owner": {"$eq": "a", "$contains": "b"}}),
            json!({"org": {"id": 1}}),
            json!({"$not": {"owner": "a"}}),
            json!({"$or": [{"owner": "a"}]}),
            json!({"$or": {"owner": "a"}}),
            json!({"$or": [{"$and": [{"$or": [{"a": 1}, {"b": 2}]}, {"c": 3}]}, {"d": 4}]}),
            json!(["owner"]),
            json!("owner"),
        ] {
            assert!(Filter::parse(&bad).is_err(), "{bad} should be refused");
        }
        // Two levels are fine.
        assert!(Filter::parse(&json!({"$or": [{"$and": [{"a": 1}, {"b": 2}]}, {"d": 4}]})).is_ok());
    }

    #[test]
    fn canonical_text_ignores_key_order() {
        assert_eq!(
            canonical(&json!({"b": 1, "a": {"d": [1, {"y": 2, "x": 1}], "c": null}})),
            r#"{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}"#
        );
    }
}
