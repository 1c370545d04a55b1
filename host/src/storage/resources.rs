//! Assistants, threads, checkpoints and store items beyond the basics:
//! versioned updates, filtered searches and counts, copies.
//!
//! Every search takes the authorization filter and applies it in SQL, so
//! `limit`, `offset` and totals are those of the rows the caller may see.

use chrono::Utc;
use serde_json::{Map, Value};
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use super::query::{self, ASSISTANTS, THREADS};
use super::{
    Assistant, Storage, StorageError, Thread, parse_json, parse_time, parse_uuid, timestamp,
};
use crate::auth::filter::Filter;

/// Sort order of a search.
#[derive(Debug, Clone, Copy)]
pub struct Sort {
    /// A column name, already validated against the resource's sort keys.
    pub column: &'static str,
    /// Newest / largest first.
    pub desc: bool,
}

/// A page of a search.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// At most this many rows.
    pub limit: i64,
    /// Skipping this many.
    pub offset: i64,
}

/// Appends ` ORDER BY <order_by> LIMIT ? OFFSET ?`.
fn push_order_and_page(qb: &mut QueryBuilder<Sqlite>, order_by: &str, page: Page) {
    qb.push(format!(" ORDER BY {order_by} LIMIT "));
    qb.push_bind(page.limit);
    qb.push(" OFFSET ");
    qb.push_bind(page.offset);
}

impl Sort {
    /// The `ORDER BY` terms for table alias `alias`, with `tiebreak` last so
    /// that pages are stable.
    fn order_by(&self, alias: &str, tiebreak: &str) -> String {
        let dir = if self.desc { "DESC" } else { "ASC" };
        format!("{alias}.{} {dir}, {alias}.{tiebreak}", self.column)
    }
}

/// What a thread search matches.
#[derive(Debug, Default, Clone)]
pub struct ThreadQuery {
    /// Metadata filter (the client's containment and the handler's filter).
    pub filter: Option<Filter>,
    /// Containment on `values`.
    pub values: Map<String, Value>,
    /// Exact status.
    pub status: Option<String>,
    /// Only these ids.
    pub ids: Option<Vec<Uuid>>,
}

/// What an assistant search matches.
#[derive(Debug, Default, Clone)]
pub struct AssistantQuery {
    /// Metadata filter.
    pub filter: Option<Filter>,
    /// Exact graph id.
    pub graph_id: Option<String>,
    /// Case-insensitive substring of the name.
    pub name: Option<String>,
}

/// One checkpoint of a thread.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// Its id.
    pub checkpoint_id: Uuid,
    /// The one before it.
    pub parent_checkpoint_id: Option<Uuid>,
    /// The thread's values at that point.
    pub values: Value,
    /// `source`, `step`, `run_id`...
    pub metadata: Value,
    /// When.
    pub created_at: chrono::DateTime<Utc>,
}

/// One store item.
#[derive(Debug, Clone)]
pub struct Item {
    /// Its namespace labels.
    pub namespace: Vec<String>,
    /// Its key.
    pub key: String,
    /// Its value (an object).
    pub value: Value,
    /// Creation time.
    pub created_at: chrono::DateTime<Utc>,
    /// Last write.
    pub updated_at: chrono::DateTime<Utc>,
}

fn assistant_row(r: &sqlx::sqlite::SqliteRow) -> Result<Assistant, StorageError> {
    Ok(Assistant {
        assistant_id: parse_uuid("assistants.assistant_id", r.get("assistant_id"))?,
        graph_id: r.get("graph_id"),
        config: parse_json("assistants.config", r.get("config"))?,
        context: parse_json("assistants.context", r.get("context"))?,
        metadata: parse_json("assistants.metadata", r.get("metadata"))?,
        name: r.get("name"),
        description: r.get("description"),
        version: r.get("version"),
        created_at: parse_time(r.get("created_at")),
        updated_at: parse_time(r.get("updated_at")),
    })
}

pub(super) fn thread_row(r: &sqlx::sqlite::SqliteRow) -> Result<Thread, StorageError> {
    let values: Option<String> = r.get("values");
    let error: Option<String> = r.get("error");
    Ok(Thread {
        thread_id: parse_uuid("threads.thread_id", r.get("thread_id"))?,
        created_at: parse_time(r.get("created_at")),
        updated_at: parse_time(r.get("updated_at")),
        state_updated_at: parse_time(r.get("state_updated_at")),
        metadata: parse_json("threads.metadata", r.get("metadata"))?,
        status: r.get("status"),
        config: parse_json("threads.config", r.get("config"))?,
        values: values
            .map(|v| parse_json("threads.values", &v))
            .transpose()?,
        error: error.map(|v| parse_json("threads.error", &v)).transpose()?,
    })
}

fn checkpoint_row(r: &sqlx::sqlite::SqliteRow) -> Result<Checkpoint, StorageError> {
    let parent: Option<String> = r.get("parent_checkpoint_id");
    Ok(Checkpoint {
        checkpoint_id: parse_uuid("checkpoints.checkpoint_id", r.get("checkpoint_id"))?,
        parent_checkpoint_id: parent
            .map(|p| parse_uuid("checkpoints.parent_checkpoint_id", &p))
            .transpose()?,
        values: parse_json("checkpoints.values", r.get("values"))?,
        metadata: parse_json("checkpoints.metadata", r.get("metadata"))?,
        created_at: parse_time(r.get("created_at")),
    })
}

fn item_row(r: &sqlx::sqlite::SqliteRow) -> Result<Item, StorageError> {
    let ns: String = r.get("namespace");
    Ok(Item {
        namespace: ns.split('.').map(str::to_string).collect(),
        key: r.get("key"),
        value: parse_json("store_items.value", r.get("value"))?,
        created_at: parse_time(r.get("created_at")),
        updated_at: parse_time(r.get("updated_at")),
    })
}

fn push_thread_where(qb: &mut QueryBuilder<Sqlite>, q: &ThreadQuery) {
    qb.push(" WHERE 1");
    if let Some(f) = &q.filter {
        qb.push(" AND ");
        query::push_filter(qb, THREADS, f);
    }
    if !q.values.is_empty() {
        qb.push(" AND ");
        query::push_json_containment(qb, "t.\"values\"", &q.values);
    }
    if let Some(status) = &q.status {
        qb.push(" AND t.status = ");
        qb.push_bind(status.clone());
    }
    if let Some(ids) = &q.ids {
        qb.push(" AND t.thread_id IN (");
        let mut sep = qb.separated(", ");
        for id in ids {
            sep.push_bind(id.to_string());
        }
        sep.push_unseparated(")");
        if ids.is_empty() {
            qb.push(" AND 0");
        }
    }
}

fn push_assistant_where(qb: &mut QueryBuilder<Sqlite>, q: &AssistantQuery) {
    qb.push(" WHERE 1");
    if let Some(f) = &q.filter {
        qb.push(" AND ");
        query::push_filter(qb, ASSISTANTS, f);
    }
    if let Some(g) = &q.graph_id {
        qb.push(" AND a.graph_id = ");
        qb.push_bind(g.clone());
    }
    if let Some(n) = &q.name {
        qb.push(" AND instr(lower(a.name), lower(");
        qb.push_bind(n.clone());
        qb.push(")) > 0");
    }
}

/// Namespace labels as stored.
fn joined(namespace: &[String]) -> String {
    namespace.join(".")
}

impl Storage {
    /// Inserts a new assistant (version 1); [`StorageError::Conflict`] if the
    /// id is taken.
    pub async fn create_assistant(&self, a: &Assistant) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        let id = a.assistant_id.to_string();
        let result = sqlx::query(
            "INSERT INTO assistants (assistant_id, graph_id, config, context, metadata, name, description, version, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(assistant_id) DO NOTHING",
        )
        .bind(&id)
        .bind(&a.graph_id)
        .bind(a.config.to_string())
        .bind(a.context.to_string())
        .bind(a.metadata.to_string())
        .bind(&a.name)
        .bind(&a.description)
        .bind(a.version)
        .bind(timestamp(&a.created_at))
        .bind(timestamp(&a.updated_at))
        .execute(&mut *tx)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StorageError::Conflict);
        }
        insert_version(&mut tx, a).await?;
        query::write_meta(&mut tx, ASSISTANTS, &id, &a.metadata).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces an assistant with its next version (the caller built it from
    /// the current one, `version` already incremented).
    pub async fn update_assistant(&self, a: &Assistant) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        let id = a.assistant_id.to_string();
        sqlx::query(
            "UPDATE assistants SET graph_id = ?, config = ?, context = ?, metadata = ?, name = ?, description = ?, version = ?, updated_at = ?
             WHERE assistant_id = ?",
        )
        .bind(&a.graph_id)
        .bind(a.config.to_string())
        .bind(a.context.to_string())
        .bind(a.metadata.to_string())
        .bind(&a.name)
        .bind(&a.description)
        .bind(a.version)
        .bind(timestamp(&a.updated_at))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
        insert_version(&mut tx, a).await?;
        query::write_meta(&mut tx, ASSISTANTS, &id, &a.metadata).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an assistant and its versions. Returns whether it existed.
    pub async fn delete_assistant(&self, id: Uuid) -> Result<bool, StorageError> {
        let result = sqlx::query("DELETE FROM assistants WHERE assistant_id = ?")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// A page of assistants, and how many match in all.
    pub async fn search_assistants(
        &self,
        q: &AssistantQuery,
        sort: Sort,
        page: Page,
    ) -> Result<(Vec<Assistant>, i64), StorageError> {
        let mut qb = QueryBuilder::new("SELECT a.* FROM assistants a");
        push_assistant_where(&mut qb, q);
        push_order_and_page(&mut qb, &sort.order_by("a", "assistant_id"), page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let items = rows.iter().map(assistant_row).collect::<Result<_, _>>()?;
        Ok((items, self.count_assistants(q).await?))
    }

    /// How many assistants match.
    pub async fn count_assistants(&self, q: &AssistantQuery) -> Result<i64, StorageError> {
        let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM assistants a");
        push_assistant_where(&mut qb, q);
        Ok(qb.build().fetch_one(&self.pool).await?.get(0))
    }

    /// Versions of an assistant, newest first, whose metadata matches.
    pub async fn assistant_versions(
        &self,
        id: Uuid,
        metadata: &Map<String, Value>,
        page: Page,
    ) -> Result<Vec<Assistant>, StorageError> {
        let mut qb = QueryBuilder::new(
            "SELECT v.*, v.created_at AS updated_at FROM assistant_versions v WHERE v.assistant_id = ",
        );
        qb.push_bind(id.to_string());
        if !metadata.is_empty() {
            qb.push(" AND ");
            query::push_json_containment(&mut qb, "v.metadata", metadata);
        }
        push_order_and_page(&mut qb, "v.version DESC", page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(assistant_row).collect()
    }

    /// One version of an assistant.
    pub async fn assistant_version(
        &self,
        id: Uuid,
        version: i64,
    ) -> Result<Option<Assistant>, StorageError> {
        let row = sqlx::query(
            "SELECT v.*, v.created_at AS updated_at FROM assistant_versions v WHERE assistant_id = ? AND version = ?",
        )
        .bind(id.to_string())
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(assistant_row).transpose()
    }

    /// A page of threads, and how many match in all.
    pub async fn search_threads(
        &self,
        q: &ThreadQuery,
        sort: Sort,
        page: Page,
    ) -> Result<(Vec<Thread>, i64), StorageError> {
        let mut qb = QueryBuilder::new("SELECT t.* FROM threads t");
        push_thread_where(&mut qb, q);
        push_order_and_page(&mut qb, &sort.order_by("t", "thread_id"), page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        let items = rows.iter().map(thread_row).collect::<Result<_, _>>()?;
        Ok((items, self.count_threads(q).await?))
    }

    /// How many threads match.
    pub async fn count_threads(&self, q: &ThreadQuery) -> Result<i64, StorageError> {
        let mut qb = QueryBuilder::new("SELECT COUNT(*) FROM threads t");
        push_thread_where(&mut qb, q);
        Ok(qb.build().fetch_one(&self.pool).await?.get(0))
    }

    /// The query plan SQLite chooses for a thread search (benchmarks show
    /// that filtered searches use the metadata index).
    pub async fn explain_thread_search(&self, q: &ThreadQuery) -> Result<String, StorageError> {
        let mut qb = QueryBuilder::new("EXPLAIN QUERY PLAN SELECT t.* FROM threads t");
        push_thread_where(&mut qb, q);
        qb.push(" ORDER BY t.updated_at DESC LIMIT 10");
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .map(|r| r.get::<String, _>("detail"))
            .collect::<Vec<_>>()
            .join("\n"))
    }

    /// Sets a thread's metadata (already merged by the caller).
    pub async fn set_thread_metadata(
        &self,
        id: Uuid,
        metadata: &Value,
    ) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE threads SET metadata = ?, updated_at = ? WHERE thread_id = ?")
            .bind(metadata.to_string())
            .bind(timestamp(&Utc::now()))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        query::write_meta(&mut tx, THREADS, &id.to_string(), metadata).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Copies a thread (metadata, values, checkpoints) to a new id.
    pub async fn copy_thread(&self, from: &Thread, to: Uuid) -> Result<Thread, StorageError> {
        let now = Utc::now();
        let copy = Thread {
            thread_id: to,
            created_at: now,
            updated_at: now,
            state_updated_at: now,
            status: "idle".into(),
            ..from.clone()
        };
        self.create_thread(&copy).await?;
        sqlx::query(
            "INSERT INTO checkpoints (thread_id, checkpoint_id, parent_checkpoint_id, \"values\", metadata, created_at)
             SELECT ?, checkpoint_id, parent_checkpoint_id, \"values\", metadata, created_at FROM checkpoints WHERE thread_id = ?",
        )
        .bind(to.to_string())
        .bind(from.thread_id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(copy)
    }

    /// A thread's checkpoints, newest first, optionally only those before
    /// `before`.
    pub async fn checkpoints(
        &self,
        thread_id: Uuid,
        before: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<Checkpoint>, StorageError> {
        let mut qb = QueryBuilder::new("SELECT * FROM checkpoints WHERE thread_id = ");
        qb.push_bind(thread_id.to_string());
        if let Some(b) = before {
            qb.push(" AND checkpoint_id < ");
            qb.push_bind(b.to_string());
        }
        qb.push(" ORDER BY checkpoint_id DESC LIMIT ");
        qb.push_bind(limit);
        let rows = qb.build().fetch_all(&self.pool).await?;
        rows.iter().map(checkpoint_row).collect()
    }

    /// One checkpoint of a thread.
    pub async fn checkpoint(
        &self,
        thread_id: Uuid,
        checkpoint_id: Uuid,
    ) -> Result<Option<Checkpoint>, StorageError> {
        let row =
            sqlx::query("SELECT * FROM checkpoints WHERE thread_id = ? AND checkpoint_id = ?")
                .bind(thread_id.to_string())
                .bind(checkpoint_id.to_string())
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(checkpoint_row).transpose()
    }

    /// Writes a store item (insert or replace).
    pub async fn put_item(
        &self,
        namespace: &[String],
        key: &str,
        value: &Value,
    ) -> Result<(), StorageError> {
        let now = timestamp(&Utc::now());
        sqlx::query(
            "INSERT INTO store_items (namespace, key, value, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(joined(namespace))
        .bind(key)
        .bind(value.to_string())
        .bind(&now)
        .bind(&now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One store item.
    pub async fn get_item(
        &self,
        namespace: &[String],
        key: &str,
    ) -> Result<Option<Item>, StorageError> {
        let row = sqlx::query("SELECT * FROM store_items WHERE namespace = ? AND key = ?")
            .bind(joined(namespace))
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(item_row).transpose()
    }

    /// Deletes a store item. Returns whether it existed.
    pub async fn delete_item(&self, namespace: &[String], key: &str) -> Result<bool, StorageError> {
        let result = sqlx::query("DELETE FROM store_items WHERE namespace = ? AND key = ?")
            .bind(joined(namespace))
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Every item under a namespace prefix (a primary-key range scan), in
    /// namespace and key order. Value filters are applied by the caller,
    /// before it paginates.
    pub async fn items_under(&self, prefix: &[String]) -> Result<Vec<Item>, StorageError> {
        let rows = if prefix.is_empty() {
            sqlx::query("SELECT * FROM store_items ORDER BY namespace, key")
                .fetch_all(&self.pool)
                .await?
        } else {
            let exact = joined(prefix);
            // Labels never contain '.', and '/' sorts right after it.
            let (low, high) = (format!("{exact}."), format!("{exact}/"));
            sqlx::query(
                "SELECT * FROM store_items WHERE namespace = ? OR (namespace >= ? AND namespace < ?) ORDER BY namespace, key",
            )
            .bind(&exact)
            .bind(&low)
            .bind(&high)
            .fetch_all(&self.pool)
            .await?
        };
        rows.iter().map(item_row).collect()
    }

    /// Distinct namespaces of all items, sorted.
    pub async fn namespaces(&self) -> Result<Vec<Vec<String>>, StorageError> {
        let rows = sqlx::query("SELECT DISTINCT namespace FROM store_items ORDER BY namespace")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                r.get::<String, _>(0)
                    .split('.')
                    .map(str::to_string)
                    .collect()
            })
            .collect())
    }
}

async fn insert_version(tx: &mut sqlx::SqliteConnection, a: &Assistant) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO assistant_versions (assistant_id, version, graph_id, config, context, metadata, name, description, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(a.assistant_id.to_string())
    .bind(a.version)
    .bind(&a.graph_id)
    .bind(a.config.to_string())
    .bind(a.context.to_string())
    .bind(a.metadata.to_string())
    .bind(&a.name)
    .bind(&a.description)
    .bind(timestamp(&a.updated_at))
    .execute(tx)
    .await?;
    Ok(())
}
