//! The store: items by namespace and key, each action through the
//! authorization handler (`store.put/get/delete/search/list_namespaces`).
//!
//! **We differ from LangGraph on purpose:** a filter returned for
//! `store.get`/`store.delete` is applied to the item's value (404 on a
//! mismatch; LangGraph ignores it), and a search combines the client's filter
//! with the handler's (LangGraph's in-memory store then returns nothing).

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json as AxumJson};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ApiError, Json, authorize, validate_namespace, visible};
use crate::AppState;
use crate::auth::Caller;
use crate::auth::filter::Filter;
use crate::storage::{Item, timestamp};

fn item_json(item: &Item, with_score: bool) -> Value {
    let mut v = json!({
        "namespace": item.namespace,
        "key": item.key,
        "value": item.value,
        "created_at": timestamp(&item.created_at),
        "updated_at": timestamp(&item.updated_at),
    });
    if with_score {
        v["score"] = Value::Null;
    }
    v
}

/// The (possibly rewritten) namespace of an authorized value.
fn namespace_of(value: &Value) -> Result<Vec<String>, ApiError> {
    validate_namespace(&value["namespace"]).map_err(ApiError::unprocessable)
}

#[derive(Deserialize)]
pub struct PutItem {
    namespace: Value,
    key: String,
    value: Map<String, Value>,
    index: Option<Value>,
    ttl: Option<Value>,
}

/// `PUT /store/items`.
pub async fn put(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<PutItem>,
) -> Result<StatusCode, ApiError> {
    validate_namespace(&body.namespace).map_err(ApiError::unprocessable)?;
    let mut value = json!({
        "namespace": body.namespace, "key": body.key, "value": body.value,
        "index": body.index, "ttl": body.ttl,
    });
    authorize(&state, &caller, "store", "put", &mut value).await?;
    let namespace = namespace_of(&value)?;
    state
        .storage
        .put_item(&namespace, &body.key, &value["value"])
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct GetItem {
    namespace: Option<String>,
    key: Option<String>,
    refresh_ttl: Option<bool>,
}

fn dotted(namespace: Option<&str>) -> Value {
    Value::Array(
        namespace
            .unwrap_or("")
            .split('.')
            .map(|l| Value::String(l.to_string()))
            .collect(),
    )
}

/// `GET /store/items?namespace=a.b&key=k`: the item, or `null`.
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<GetItem>,
) -> Result<AxumJson<Value>, ApiError> {
    let Some(key) = q.key else {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "Key is required"));
    };
    let namespace = dotted(q.namespace.as_deref());
    validate_namespace(&namespace).map_err(ApiError::unprocessable)?;
    let mut value = json!({"namespace": namespace, "key": key, "refresh_ttl": q.refresh_ttl});
    let filter = authorize(&state, &caller, "store", "get", &mut value).await?;
    let namespace = namespace_of(&value)?;
    match state.storage.get_item(&namespace, &key).await? {
        None => Ok(AxumJson(Value::Null)),
        Some(item) if visible(&filter, &item.value) => Ok(AxumJson(item_json(&item, false))),
        Some(_) => Err(ApiError::not_found("Item not found")),
    }
}

#[derive(Deserialize)]
pub struct DeleteItem {
    namespace: Value,
    key: String,
}

/// `DELETE /store/items` with a JSON body.
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<DeleteItem>,
) -> Result<StatusCode, ApiError> {
    validate_namespace(&body.namespace).map_err(ApiError::unprocessable)?;
    let mut value = json!({"namespace": body.namespace, "key": body.key});
    let filter = authorize(&state, &caller, "store", "delete", &mut value).await?;
    let namespace = namespace_of(&value)?;
    if let Some(item) = state.storage.get_item(&namespace, &body.key).await? {
        if !visible(&filter, &item.value) {
            return Err(ApiError::not_found("Item not found"));
        }
        state.storage.delete_item(&namespace, &body.key).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct SearchItems {
    #[serde(default)]
    namespace_prefix: Vec<Value>,
    filter: Option<Map<String, Value>>,
    #[serde(default = "default_search_limit")]
    limit: usize,
    #[serde(default)]
    offset: usize,
    query: Option<String>,
    refresh_ttl: Option<bool>,
}

fn default_search_limit() -> usize {
    10
}

/// A client's store filter on an item value: equality, or one of `$eq $ne
/// $gt $gte $lt $lte` (spec §5).
fn client_filter_matches(filter: &Map<String, Value>, value: &Value) -> Result<bool, ApiError> {
    for (key, cond) in filter {
        let actual = value.get(key);
        let ok = match cond {
            Value::Object(ops) if ops.keys().all(|k| k.starts_with('$')) && !ops.is_empty() => {
                let mut all = true;
                for (op, operand) in ops {
                    let ord = actual.and_then(|a| compare(a, operand));
                    all &= match op.as_str() {
                        "$eq" => actual == Some(operand),
                        "$ne" => actual != Some(operand),
                        "$gt" => ord.is_some_and(|o| o.is_gt()),
                        "$gte" => ord.is_some_and(|o| o.is_ge()),
                        "$lt" => ord.is_some_and(|o| o.is_lt()),
                        "$lte" => ord.is_some_and(|o| o.is_le()),
                        other => {
                            return Err(ApiError::unprocessable(format!(
                                "unsupported store filter operator `{other}` (supported: $eq, $ne, $gt, $gte, $lt, $lte)"
                            )));
                        }
                    };
                }
                all
            }
            plain => actual == Some(plain),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `POST /store/items/search`: items under the prefix matching both the
/// client's filter and the handler's.
pub async fn search(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<SearchItems>,
) -> Result<AxumJson<Value>, ApiError> {
    let prefix = Value::Array(body.namespace_prefix);
    if prefix.as_array().is_some_and(|p| !p.is_empty()) {
        validate_namespace(&prefix).map_err(ApiError::unprocessable)?;
    }
    let mut value = json!({
        "namespace": prefix, "filter": body.filter, "limit": body.limit,
        "offset": body.offset, "query": body.query, "refresh_ttl": body.refresh_ttl,
    });
    let auth_filter: Option<Filter> =
        authorize(&state, &caller, "store", "search", &mut value).await?;
    let prefix = match &value["namespace"] {
        Value::Array(p) if p.is_empty() => Vec::new(),
        other => validate_namespace(other).map_err(ApiError::unprocessable)?,
    };
    let client = body.filter.unwrap_or_default();
    let mut items = Vec::new();
    for item in state.storage.items_under(&prefix).await? {
        if visible(&auth_filter, &item.value) && client_filter_matches(&client, &item.value)? {
            items.push(item_json(&item, true));
        }
    }
    let page: Vec<Value> = items
        .into_iter()
        .skip(body.offset)
        .take(body.limit)
        .collect();
    Ok(AxumJson(json!({"items": page})))
}

#[derive(Deserialize)]
pub struct ListNamespaces {
    prefix: Option<Vec<String>>,
    suffix: Option<Vec<String>>,
    max_depth: Option<usize>,
    #[serde(default = "default_namespace_limit")]
    limit: usize,
    #[serde(default)]
    offset: usize,
}

fn default_namespace_limit() -> usize {
    100
}

/// `POST /store/namespaces`.
pub async fn namespaces(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<ListNamespaces>,
) -> Result<AxumJson<Value>, ApiError> {
    let mut value = json!({
        "namespace": body.prefix, "suffix": body.suffix, "max_depth": body.max_depth,
        "limit": body.limit, "offset": body.offset,
    });
    // Namespaces carry no value to filter on; a returned filter is ignored.
    authorize(&state, &caller, "store", "list_namespaces", &mut value).await?;
    let prefix: Vec<String> = match &value["namespace"] {
        Value::Null => Vec::new(),
        other => validate_namespace(other).map_err(ApiError::unprocessable)?,
    };
    let suffix = body.suffix.unwrap_or_default();
    let mut out: Vec<Vec<String>> = Vec::new();
    for ns in state.storage.namespaces().await? {
        if !ns.starts_with(&prefix) || !ns.ends_with(&suffix) {
            continue;
        }
        let ns = match body.max_depth {
            Some(d) => ns.into_iter().take(d).collect(),
            None => ns,
        };
        if !out.contains(&ns) {
            out.push(ns);
        }
    }
    let page: Vec<Vec<String>> = out.into_iter().skip(body.offset).take(body.limit).collect();
    Ok(AxumJson(json!({"namespaces": page})))
}
