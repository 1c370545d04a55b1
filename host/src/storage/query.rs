//! Filters as SQL, and the metadata index rows they use.
//!
//! Every top-level metadata key of a thread or assistant has a row in
//! `thread_meta`/`assistant_meta` holding the value's canonical JSON text
//! (kind `v`), plus one row per element when the value is a list (kind `e`).
//! A [`Filter`] becomes `id IN (SELECT id FROM meta WHERE key = ? AND kind = ?
//! AND value = ?)` conditions: index lookups, so a search's cost follows the
//! rows it can see, not the size of the table.

use serde_json::{Map, Value};
use sqlx::{QueryBuilder, Sqlite};

use crate::auth::filter::{Filter, canonical};

/// Which index a filter uses.
#[derive(Clone, Copy)]
pub(crate) struct MetaIndex {
    /// `thread_meta`.
    pub table: &'static str,
    /// `thread_id`.
    pub id: &'static str,
    /// The outer query's id expression, e.g. `t.thread_id`.
    pub outer: &'static str,
}

pub(crate) const THREADS: MetaIndex = MetaIndex {
    table: "thread_meta",
    id: "thread_id",
    outer: "t.thread_id",
};

pub(crate) const ASSISTANTS: MetaIndex = MetaIndex {
    table: "assistant_meta",
    id: "assistant_id",
    outer: "a.assistant_id",
};

/// The index rows of one metadata object: (key, kind, canonical value).
pub(crate) fn meta_rows(metadata: &Value) -> Vec<(String, &'static str, String)> {
    let Value::Object(map) = metadata else {
        return Vec::new();
    };
    let mut rows = Vec::with_capacity(map.len());
    for (key, value) in map {
        rows.push((key.clone(), "v", canonical(value)));
        if let Value::Array(items) = value {
            rows.extend(items.iter().map(|i| (key.clone(), "e", canonical(i))));
        }
    }
    rows
}

/// Replaces the index rows of one resource (inside the caller's transaction).
pub(crate) async fn write_meta(
    conn: &mut sqlx::SqliteConnection,
    index: MetaIndex,
    id: &str,
    metadata: &Value,
) -> Result<(), sqlx::Error> {
    // Table and column names come from the two `MetaIndex` constants only.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM {} WHERE {} = ?",
        index.table, index.id
    )))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    for (key, kind, value) in meta_rows(metadata) {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {} ({}, key, kind, value) VALUES (?, ?, ?, ?)",
            index.table, index.id
        )))
        .bind(id)
        .bind(key)
        .bind(kind)
        .bind(value)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Appends `filter` as a boolean SQL expression.
pub(crate) fn push_filter(qb: &mut QueryBuilder<Sqlite>, index: MetaIndex, filter: &Filter) {
    let lookup = |qb: &mut QueryBuilder<Sqlite>, key: &str, kind: &'static str| {
        qb.push(format!(
            "{} IN (SELECT {} FROM {} WHERE key = ",
            index.outer, index.id, index.table
        ));
        qb.push_bind(key.to_string());
        qb.push(format!(" AND kind = '{kind}' AND value "));
    };
    match filter {
        Filter::Eq { key, value } => {
            lookup(qb, key, "v");
            qb.push("= ");
            qb.push_bind(canonical(value));
            qb.push(")");
        }
        Filter::Contains { key, items } => {
            qb.push("(");
            lookup(qb, key, "v");
            qb.push("LIKE '[%')");
            for item in items {
                qb.push(" AND ");
                lookup(qb, key, "e");
                qb.push("= ");
                qb.push_bind(canonical(item));
                qb.push(")");
            }
            qb.push(")");
        }
        Filter::And(all) | Filter::Or(all) => {
            let (join, empty) = if matches!(filter, Filter::And(_)) {
                (" AND ", "1")
            } else {
                (" OR ", "0")
            };
            if all.is_empty() {
                qb.push(empty);
                return;
            }
            qb.push("(");
            for (i, f) in all.iter().enumerate() {
                if i > 0 {
                    qb.push(join);
                }
                push_filter(qb, index, f);
            }
            qb.push(")");
        }
    }
}

/// Appends a containment condition on a JSON column (`values`): every key of
/// `wanted` is present with an equal value. Scalars compare by type and
/// value; objects and lists by their JSON text.
pub(crate) fn push_json_containment(
    qb: &mut QueryBuilder<Sqlite>,
    column: &str,
    wanted: &Map<String, Value>,
) {
    if wanted.is_empty() {
        qb.push("1");
        return;
    }
    qb.push("(");
    for (i, (key, value)) in wanted.iter().enumerate() {
        if i > 0 {
            qb.push(" AND ");
        }
        let path = format!("$.\"{}\"", key.replace('"', "\\\""));
        match value {
            Value::Null => {
                qb.push(format!("json_type({column}, "));
                qb.push_bind(path);
                qb.push(") = 'null'");
            }
            Value::Bool(b) => {
                qb.push(format!("json_type({column}, "));
                qb.push_bind(path);
                qb.push(if *b { ") = 'true'" } else { ") = 'false'" });
            }
            Value::Number(n) => {
                qb.push(format!("json_extract({column}, "));
                qb.push_bind(path);
                qb.push(") = ");
                qb.push_bind(n.as_f64().unwrap_or(f64::NAN));
            }
            Value::String(s) => {
                qb.push(format!("(json_type({column}, "));
                qb.push_bind(path.clone());
                qb.push(format!(") = 'text' AND json_extract({column}, "));
                qb.push_bind(path);
                qb.push(") = ");
                qb.push_bind(s.clone());
                qb.push(")");
            }
            Value::Array(_) | Value::Object(_) => {
                qb.push(format!("json_extract({column}, "));
                qb.push_bind(path);
                qb.push(") = ");
                qb.push_bind(value.to_string());
            }
        }
    }
    qb.push(")");
}
