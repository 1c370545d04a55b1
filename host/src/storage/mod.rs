//! Persistent state: assistants, threads and runs in embedded SQLite.
//!
//! The schema lives in `host/migrations/` and is applied at open. JSON
//! columns hold JSON text. Domain structs here are storage shapes; `api/`
//! owns the LangGraph wire JSON.
//!
//! **Custom user fields are never written here**: run records carry only the
//! public user view (see `auth::AuthUser::public_json`).

mod query;
mod resources;

pub use resources::{AssistantQuery, Checkpoint, Item, Page, Sort, ThreadQuery};

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use uuid::Uuid;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Opening or migrating the database failed.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The driver error.
        source: sqlx::Error,
    },
    /// Applying the schema failed.
    #[error("cannot apply the schema to {path}: {source}")]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The migration error.
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A stored JSON column did not parse (the database was edited by hand?).
    #[error("corrupt JSON in column {column}: {source}")]
    Corrupt {
        /// `table.column`.
        column: &'static str,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The row to create exists already.
    #[error("already exists")]
    Conflict,
}

/// A stored assistant.
#[derive(Debug, Clone)]
pub struct Assistant {
    /// Its id.
    pub assistant_id: Uuid,
    /// The graph it runs.
    pub graph_id: String,
    /// Run config defaults.
    pub config: Value,
    /// Run context defaults.
    pub context: Value,
    /// Free metadata.
    pub metadata: Value,
    /// Display name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Version, from 1.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update.
    pub updated_at: DateTime<Utc>,
}

/// A stored thread.
#[derive(Debug, Clone)]
pub struct Thread {
    /// Its id.
    pub thread_id: Uuid,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update of any kind.
    pub updated_at: DateTime<Utc>,
    /// Last change of `values`.
    pub state_updated_at: DateTime<Utc>,
    /// Free metadata.
    pub metadata: Value,
    /// `idle`, `busy`, `interrupted` or `error`.
    pub status: String,
    /// Thread config.
    pub config: Value,
    /// The values the last run produced; `None` before the first run.
    pub values: Option<Value>,
    /// The last run's error, if it failed.
    pub error: Option<Value>,
}

/// A stored run.
#[derive(Debug, Clone)]
pub struct Run {
    /// Its id.
    pub run_id: Uuid,
    /// The thread it ran on.
    pub thread_id: Uuid,
    /// The assistant it ran.
    pub assistant_id: Uuid,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update.
    pub updated_at: DateTime<Utc>,
    /// `pending`, `running`, `success`, `error`, `timeout` or `interrupted`.
    pub status: String,
    /// Run metadata.
    pub metadata: Value,
    /// The run's kwargs, with only the public user view.
    pub kwargs: Value,
    /// `reject`, `interrupt`, `rollback` or `enqueue`.
    pub multitask_strategy: String,
}

/// The database.
#[derive(Clone)]
pub struct Storage {
    pool: SqlitePool,
}

/// Timestamps as LangGraph prints them: microseconds, `+00:00`.
pub fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, false)
}

fn parse_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn parse_json(column: &'static str, text: &str) -> Result<Value, StorageError> {
    serde_json::from_str(text).map_err(|source| StorageError::Corrupt { column, source })
}

fn parse_uuid(column: &'static str, text: &str) -> Result<Uuid, StorageError> {
    Uuid::parse_str(text).map_err(|e| StorageError::Corrupt {
        column,
        source: serde::de::Error::custom(e),
    })
}

impl Storage {
    /// Opens (creating if needed) `wasmgate.sqlite3` in `data_dir` and applies
    /// the schema.
    pub async fn open(data_dir: &Path) -> Result<Self, StorageError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StorageError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join("wasmgate.sqlite3");
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|source| StorageError::Open {
                path: path.clone(),
                source,
            })?
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|source| StorageError::Open {
                path: path.clone(),
                source,
            })?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|source| StorageError::Migrate { path, source })?;
        Ok(Storage { pool })
    }

    /// Closes every connection, checkpointing the write-ahead log.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Creates the system assistant of a graph if it does not exist yet.
    pub async fn ensure_system_assistant(&self, graph_id: &str) -> Result<Assistant, StorageError> {
        let id = system_assistant_id(graph_id);
        let now = timestamp(&Utc::now());
        sqlx::query(
            "INSERT INTO assistants (assistant_id, graph_id, config, context, metadata, name, description, version, created_at, updated_at)
             VALUES (?, ?, '{}', '{}', '{\"created_by\":\"system\"}', ?, NULL, 1, ?, ?)
             ON CONFLICT(assistant_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(graph_id)
        .bind(graph_id)
        .bind(&now)
        .bind(&now)
        .execute(&self.pool)
        .await?;
        // Index rows and the first version, for assistants created before v2
        // too (both inserts are idempotent).
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT OR IGNORE INTO assistant_versions
             SELECT assistant_id, version, graph_id, config, context, metadata, name, description, created_at
             FROM assistants WHERE assistant_id = ?",
        )
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        query::write_meta(
            &mut tx,
            query::ASSISTANTS,
            &id.to_string(),
            &serde_json::json!({"created_by": "system"}),
        )
        .await?;
        tx.commit().await?;
        self.get_assistant(id)
            .await?
            .ok_or(StorageError::Query(sqlx::Error::RowNotFound))
    }

    /// One assistant.
    pub async fn get_assistant(&self, id: Uuid) -> Result<Option<Assistant>, StorageError> {
        let row = sqlx::query("SELECT * FROM assistants WHERE assistant_id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
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
        })
        .transpose()
    }

    /// Inserts a new thread; [`StorageError::Conflict`] if the id is taken.
    pub async fn create_thread(&self, thread: &Thread) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        let result = sqlx::query(
            "INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at, metadata, status, config, \"values\", error)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(thread_id) DO NOTHING",
        )
        .bind(thread.thread_id.to_string())
        .bind(timestamp(&thread.created_at))
        .bind(timestamp(&thread.updated_at))
        .bind(timestamp(&thread.state_updated_at))
        .bind(thread.metadata.to_string())
        .bind(&thread.status)
        .bind(thread.config.to_string())
        .bind(thread.values.as_ref().map(Value::to_string))
        .bind(thread.error.as_ref().map(Value::to_string))
        .execute(&mut *tx)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StorageError::Conflict);
        }
        query::write_meta(
            &mut tx,
            query::THREADS,
            &thread.thread_id.to_string(),
            &thread.metadata,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One thread.
    pub async fn get_thread(&self, id: Uuid) -> Result<Option<Thread>, StorageError> {
        let row = sqlx::query("SELECT * FROM threads WHERE thread_id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(resources::thread_row).transpose()
    }

    /// Deletes a thread and its runs. Returns whether it existed.
    pub async fn delete_thread(&self, id: Uuid) -> Result<bool, StorageError> {
        let result = sqlx::query("DELETE FROM threads WHERE thread_id = ?")
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Records a new run and marks its thread busy, in one transaction.
    pub async fn start_run(&self, run: &Run) -> Result<(), StorageError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO runs (run_id, thread_id, assistant_id, created_at, updated_at, status, metadata, kwargs, multitask_strategy)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(run.run_id.to_string())
        .bind(run.thread_id.to_string())
        .bind(run.assistant_id.to_string())
        .bind(timestamp(&run.created_at))
        .bind(timestamp(&run.updated_at))
        .bind(&run.status)
        .bind(run.metadata.to_string())
        .bind(run.kwargs.to_string())
        .bind(&run.multitask_strategy)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE threads SET status = 'busy', updated_at = ? WHERE thread_id = ?")
            .bind(timestamp(&run.created_at))
            .bind(run.thread_id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finishes a run: its status, and the thread's new status, values (if the
    /// run produced any) and error, in one transaction.
    pub async fn finish_run(
        &self,
        thread_id: Uuid,
        run_id: Uuid,
        run_status: &str,
        values: Option<&Value>,
        error: Option<&Value>,
    ) -> Result<(), StorageError> {
        let now = timestamp(&Utc::now());
        let thread_status = if error.is_some() { "error" } else { "idle" };
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE runs SET status = ?, updated_at = ? WHERE run_id = ?")
            .bind(run_status)
            .bind(&now)
            .bind(run_id.to_string())
            .execute(&mut *tx)
            .await?;
        match values {
            Some(values) => {
                let parent: Option<String> = sqlx::query_scalar(
                    "SELECT checkpoint_id FROM checkpoints WHERE thread_id = ? ORDER BY checkpoint_id DESC LIMIT 1",
                )
                .bind(thread_id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
                let step: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?")
                        .bind(thread_id.to_string())
                        .fetch_one(&mut *tx)
                        .await?;
                sqlx::query(
                    "INSERT INTO checkpoints (thread_id, checkpoint_id, parent_checkpoint_id, \"values\", metadata, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(thread_id.to_string())
                .bind(Uuid::now_v7().to_string())
                .bind(parent)
                .bind(values.to_string())
                .bind(
                    serde_json::json!({"source": "loop", "step": step, "run_id": run_id, "thread_id": thread_id})
                        .to_string(),
                )
                .bind(&now)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE threads SET status = ?, \"values\" = ?, error = NULL, updated_at = ?, state_updated_at = ? WHERE thread_id = ?",
                )
                .bind(thread_status)
                .bind(values.to_string())
                .bind(&now)
                .bind(&now)
                .bind(thread_id.to_string())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "UPDATE threads SET status = ?, error = ?, updated_at = ? WHERE thread_id = ?",
                )
                .bind(thread_status)
                .bind(error.map(Value::to_string))
                .bind(&now)
                .bind(thread_id.to_string())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// One run of a thread.
    pub async fn get_run(
        &self,
        thread_id: Uuid,
        run_id: Uuid,
    ) -> Result<Option<Run>, StorageError> {
        let row = sqlx::query("SELECT * FROM runs WHERE thread_id = ? AND run_id = ?")
            .bind(thread_id.to_string())
            .bind(run_id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Run {
                run_id: parse_uuid("runs.run_id", r.get("run_id"))?,
                thread_id: parse_uuid("runs.thread_id", r.get("thread_id"))?,
                assistant_id: parse_uuid("runs.assistant_id", r.get("assistant_id"))?,
                created_at: parse_time(r.get("created_at")),
                updated_at: parse_time(r.get("updated_at")),
                status: r.get("status"),
                metadata: parse_json("runs.metadata", r.get("metadata"))?,
                kwargs: parse_json("runs.kwargs", r.get("kwargs"))?,
                multitask_strategy: r.get("multitask_strategy"),
            })
        })
        .transpose()
    }

    /// Marks runs left `pending`/`running` by a previous process as errored
    /// and their threads idle, so that nothing stays busy forever after a crash.
    pub async fn recover_interrupted_runs(&self) -> Result<u64, StorageError> {
        let now = timestamp(&Utc::now());
        let mut tx = self.pool.begin().await?;
        let runs = sqlx::query(
            "UPDATE runs SET status = 'error', updated_at = ? WHERE status IN ('pending', 'running')",
        )
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE threads SET status = 'idle', updated_at = ? WHERE status = 'busy'")
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(runs.rows_affected())
    }
}

/// The namespace of LangGraph's system assistant ids (spec §4.7).
const SYSTEM_ASSISTANT_NAMESPACE: Uuid = uuid::uuid!("6ba7b821-9dad-11d1-80b4-00c04fd430c8");

/// The LangGraph system assistant id of a graph: uuid5 of the graph id in
/// [`SYSTEM_ASSISTANT_NAMESPACE`].
pub fn system_assistant_id(graph_id: &str) -> Uuid {
    Uuid::new_v5(&SYSTEM_ASSISTANT_NAMESPACE, graph_id.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SQL rendering of filters and `Filter::matches` agree on every
    /// operator, over threads with assorted metadata.
    #[tokio::test]
    async fn sql_filters_agree_with_in_memory_matching() {
        use crate::auth::filter::Filter;
        use serde_json::json;

        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(dir.path()).await.unwrap();
        let metadata = [
            json!({"owner": "alice", "tags": ["red", "blue"], "n": 1}),
            json!({"owner": "bob", "tags": ["red"], "n": 2}),
            json!({"owner": "alice", "tags": "red", "org": {"id": 1, "name": "acme"}}),
            json!({"owner": null, "n": 1.5, "flag": true}),
            json!({}),
        ];
        let mut ids = Vec::new();
        for m in &metadata {
            let now = Utc::now();
            let t = Thread {
                thread_id: Uuid::now_v7(),
                created_at: now,
                updated_at: now,
                state_updated_at: now,
                metadata: m.clone(),
                status: "idle".into(),
                config: json!({}),
                values: None,
                error: None,
            };
            storage.create_thread(&t).await.unwrap();
            ids.push(t.thread_id);
        }
        for f in [
            json!({"owner": "alice"}),
            json!({"owner": null}),
            json!({"n": 1}),
            json!({"n": 1.5}),
            json!({"flag": true}),
            json!({"org": {"$eq": {"name": "acme", "id": 1}}}),
            json!({"tags": {"$contains": "red"}}),
            json!({"tags": {"$contains": ["blue", "red"]}}),
            json!({"tags": {"$contains": []}}),
            json!({"tags": ["red"]}),
            json!({"owner": {"$eq": "bob"}}),
            json!({"$or": [{"owner": "bob"}, {"flag": true}]}),
            json!({"$and": [{"owner": "alice"}, {"n": 1}], "tags": {"$contains": "blue"}}),
            json!({"$or": [{"$and": [{"owner": "alice"}, {"n": 1}]}, {"n": 2}]}),
        ] {
            let filter = Filter::parse(&f).unwrap();
            let expected: Vec<Uuid> = ids
                .iter()
                .zip(&metadata)
                .filter(|(_, m)| filter.as_ref().is_none_or(|x| x.matches(m)))
                .map(|(id, _)| *id)
                .collect();
            let query = ThreadQuery {
                filter,
                ..ThreadQuery::default()
            };
            let (found, total) = storage
                .search_threads(
                    &query,
                    Sort {
                        column: "created_at",
                        desc: false,
                    },
                    Page {
                        limit: 100,
                        offset: 0,
                    },
                )
                .await
                .unwrap();
            let got: Vec<Uuid> = found.iter().map(|t| t.thread_id).collect();
            assert_eq!(got, expected, "filter {f}");
            assert_eq!(total as usize, expected.len(), "count of {f}");
        }
        storage.close().await;
    }

    #[test]
    fn system_assistant_ids_match_langgraph() {
        // uuid5(NAMESPACE_URL, "agent") as Python computes it.
        assert_eq!(
            system_assistant_id("agent").to_string(),
            "fe096781-5601-53d2-b2f6-0d3403f7e9ca"
        );
    }
}
