-- wasmgate schema v2: metadata indexes for authorization filters, assistant
-- versions, checkpoints, and the store.
--
-- `*_meta` hold one row per top-level metadata key (kind 'v', the value's
-- canonical JSON text with sorted keys) and one per element of a list value
-- (kind 'e'), so that filters (`{"owner": "alice"}`, `$contains`) are index
-- lookups that never scan other users' rows.
CREATE TABLE thread_meta (
    thread_id TEXT NOT NULL REFERENCES threads(thread_id) ON DELETE CASCADE,
    key       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL
);
CREATE INDEX thread_meta_lookup ON thread_meta(key, kind, value, thread_id);
CREATE INDEX thread_meta_of ON thread_meta(thread_id);

CREATE TABLE assistant_meta (
    assistant_id TEXT NOT NULL REFERENCES assistants(assistant_id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    value        TEXT NOT NULL
);
CREATE INDEX assistant_meta_lookup ON assistant_meta(key, kind, value, assistant_id);
CREATE INDEX assistant_meta_of ON assistant_meta(assistant_id);

-- Rows written by v1: index their metadata (scalars and lists of scalars).
INSERT INTO thread_meta (thread_id, key, kind, value)
    SELECT t.thread_id, j.key, 'v',
           CASE j.type WHEN 'object' THEN j.value WHEN 'array' THEN j.value
                       WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null'
                       ELSE json_quote(j.value) END
    FROM threads t, json_each(t.metadata) j;
INSERT INTO assistant_meta (assistant_id, key, kind, value)
    SELECT a.assistant_id, j.key, 'v',
           CASE j.type WHEN 'object' THEN j.value WHEN 'array' THEN j.value
                       WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null'
                       ELSE json_quote(j.value) END
    FROM assistants a, json_each(a.metadata) j;

CREATE TABLE assistant_versions (
    assistant_id TEXT NOT NULL REFERENCES assistants(assistant_id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    graph_id     TEXT NOT NULL,
    config       TEXT NOT NULL,
    context      TEXT NOT NULL,
    metadata     TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (assistant_id, version)
);
INSERT INTO assistant_versions
    SELECT assistant_id, version, graph_id, config, context, metadata, name, description, created_at
    FROM assistants;

-- One checkpoint per finished run that produced values; newest last.
CREATE TABLE checkpoints (
    thread_id            TEXT NOT NULL REFERENCES threads(thread_id) ON DELETE CASCADE,
    checkpoint_id        TEXT NOT NULL,
    parent_checkpoint_id TEXT,
    "values"             TEXT NOT NULL,
    metadata             TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    PRIMARY KEY (thread_id, checkpoint_id)
);

-- Store items. `namespace` is the labels joined by '.', which labels may not
-- contain, so a prefix is a range scan on the primary key.
CREATE TABLE store_items (
    namespace  TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
);
