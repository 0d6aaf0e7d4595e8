//! Versioned schema. Append new migrations at the end; never edit one that has shipped.
//! `tests::upgrades_from_every_earlier_version` builds a database at each earlier version and
//! upgrades it, so every new entry is covered automatically.

use std::sync::OnceLock;

use rusqlite::Connection;
use rusqlite_migration::{M, MigrationDefinitionError, Migrations};

use super::StoreError;

/// Every migration, in order. Index `i` brings the schema to version `i + 1`.
pub(crate) const STEPS: &[&str] = &[
    // 1: facts about the database itself (who created it and when), for support and bug reports.
    "CREATE TABLE app_meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) STRICT;
    INSERT INTO app_meta (key, value) VALUES ('created_at_ms', CAST(unixepoch('subsec') * 1000 AS INTEGER));",
    // 2: recipes technicians imported or edited; the JSON is the validated export format.
    "CREATE TABLE custom_recipes (
        id         TEXT PRIMARY KEY NOT NULL,
        json       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;",
    // 3: installed lesson packs. The row is the switch: a version is installed when its row
    // says so, and its files are complete before that (see lessons::library).
    "CREATE TABLE lesson_packs (
        pack_id          TEXT PRIMARY KEY NOT NULL,
        version          INTEGER NOT NULL,
        previous_version INTEGER,
        manifest         BLOB NOT NULL,
        signature        BLOB NOT NULL,
        installed_at     INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE lessons (
        pack_id   TEXT NOT NULL REFERENCES lesson_packs (pack_id) ON DELETE CASCADE,
        lesson_id TEXT NOT NULL,
        ord       INTEGER NOT NULL,
        title_zh  TEXT NOT NULL,
        title_en  TEXT NOT NULL,
        file      TEXT NOT NULL,
        tags      TEXT NOT NULL,
        minutes   INTEGER NOT NULL,
        PRIMARY KEY (pack_id, lesson_id)
    ) STRICT;
    CREATE TABLE lesson_links (
        pack_id   TEXT NOT NULL,
        lesson_id TEXT NOT NULL,
        kind      TEXT NOT NULL CHECK (kind IN ('leaf_class', 'disease', 'alarm')),
        key       TEXT NOT NULL,
        PRIMARY KEY (kind, key, pack_id, lesson_id),
        FOREIGN KEY (pack_id, lesson_id) REFERENCES lessons (pack_id, lesson_id) ON DELETE CASCADE
    ) STRICT;
    -- No foreign key: reading progress outlives reinstalling or updating a pack.
    CREATE TABLE lesson_progress (
        pack_id      TEXT NOT NULL,
        lesson_id    TEXT NOT NULL,
        position     REAL NOT NULL DEFAULT 0,
        completed_at INTEGER,
        updated_at   INTEGER NOT NULL,
        synced       INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (pack_id, lesson_id)
    ) STRICT;",
    // 4: full-text search over installed lessons (see lessons::search for the token format).
    // The FTS5 table is contentless: it keeps only the index, and the plain text it was built
    // from lives in lesson_search_docs, whose `id` is the FTS rowid.
    "CREATE TABLE lesson_search_docs (
        id        INTEGER PRIMARY KEY,
        pack_id   TEXT NOT NULL,
        lesson_id TEXT NOT NULL,
        title     TEXT NOT NULL,
        body      TEXT NOT NULL,
        UNIQUE (pack_id, lesson_id)
    ) STRICT;
    CREATE VIRTUAL TABLE lesson_search USING fts5(
        title, tags, body, title_py, tags_py, body_py, title_ini, tags_ini,
        content = '', contentless_delete = 1, tokenize = 'unicode61'
    );",
    // 5: barn monitoring, offline first: what the last sync brought, one row per barn and
    // cure (JSON of the wire types), readings in the platform's compact layout
    // (barn::rows), picture metadata with the cached file, and where sync stands.
    "CREATE TABLE barn_sync (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        platform    TEXT NOT NULL,
        user_id     INTEGER NOT NULL,
        user        TEXT NOT NULL,
        expires_at  INTEGER NOT NULL,
        cursor      TEXT NOT NULL,
        synced_at   INTEGER,
        server_time INTEGER
    ) STRICT;
    CREATE TABLE barns (
        id   INTEGER PRIMARY KEY,
        json TEXT NOT NULL
    ) STRICT;
    CREATE TABLE curings (
        id         INTEGER PRIMARY KEY,
        barn_id    INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        json       TEXT NOT NULL
    ) STRICT;
    CREATE INDEX curings_by_barn ON curings (barn_id, started_at);
    CREATE TABLE readings (
        barn_id     INTEGER NOT NULL,
        at          INTEGER NOT NULL,
        dry         INTEGER NOT NULL,
        wet         INTEGER NOT NULL,
        dry_low     INTEGER,
        dry_set     INTEGER,
        wet_set     INTEGER,
        step        INTEGER,
        heating     INTEGER NOT NULL,
        fan_current INTEGER NOT NULL,
        vent        INTEGER NOT NULL,
        vent_cmd    INTEGER NOT NULL,
        flags       INTEGER NOT NULL,
        PRIMARY KEY (barn_id, at)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE barn_images (
        id        INTEGER PRIMARY KEY,
        barn_id   INTEGER NOT NULL,
        at        INTEGER NOT NULL,
        bytes     INTEGER NOT NULL,
        sha256    TEXT NOT NULL,
        simulated INTEGER NOT NULL,
        cached    INTEGER NOT NULL DEFAULT 0,
        last_used INTEGER
    ) STRICT;
    CREATE INDEX barn_images_by_barn ON barn_images (barn_id, at);",
    // 6: the alarm inbox. `alarm_feed` holds each signed event received (by push or catch-up)
    // once, keyed by its per-person sequence number; `alarm_inbox` the newest state of each
    // alarm. Both change in one transaction, so the inbox and the feed never disagree.
    "CREATE TABLE alarm_feed (
        recipient   INTEGER NOT NULL,
        seq         INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        alarm_id    INTEGER NOT NULL,
        channel     TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (recipient, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE alarm_inbox (
        alarm_id  INTEGER PRIMARY KEY,
        recipient INTEGER NOT NULL,
        seq       INTEGER NOT NULL,
        json      TEXT NOT NULL
    ) STRICT;",
    // 7: acknowledgements pressed on this phone until the platform has them (alarm::outbox).
    // A row is deleted only after the platform answered, so a kill never loses a press.
    "CREATE TABLE alarm_ack_outbox (
        recipient   INTEGER NOT NULL,
        alarm_id    INTEGER NOT NULL,
        acked_at    INTEGER NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT,
        next_try_at INTEGER NOT NULL,
        PRIMARY KEY (recipient, alarm_id)
    ) STRICT, WITHOUT ROWID;",
    // 8: the phone's own alarm side. `settings` holds small user choices by key (quiet hours,
    // JSON); `watchdog_alarms` the local alarms the watchdog raised and has not cleared, so
    // each change is told once however often the phone wakes (alarm::watchdog);
    // `last_contact_at` is when the platform last answered outside a sync page (the live
    // stream), on the device's clock.
    "CREATE TABLE settings (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
    ) STRICT;
    CREATE TABLE watchdog_alarms (
        key       TEXT PRIMARY KEY NOT NULL,
        barn_id   INTEGER,
        severity  TEXT NOT NULL,
        raised_at INTEGER NOT NULL
    ) STRICT;
    ALTER TABLE barn_sync ADD COLUMN last_contact_at INTEGER;",
    // 9: each recipient's unbroken feed head (every seq up to it is held), moved on in the
    // transaction that stores an event: finding it by scanning the feed made every push
    // cost time in proportion to the whole season's alarms.
    "CREATE TABLE alarm_feed_head (
        recipient  INTEGER PRIMARY KEY,
        contiguous INTEGER NOT NULL
    ) STRICT;
    INSERT INTO alarm_feed_head (recipient, contiguous)
    SELECT r.recipient, (SELECT MIN(f.seq) FROM alarm_feed f WHERE f.recipient = r.recipient
        AND NOT EXISTS (SELECT 1 FROM alarm_feed g WHERE g.recipient = f.recipient
            AND g.seq = f.seq + 1))
    FROM (SELECT DISTINCT recipient FROM alarm_feed WHERE seq = 1) r;",
    // 10: leaf checks the farmer kept (leaf::history): the answer as JSON, a small JPEG
    // thumbnail and the columns a list shows, browsable offline.
    "CREATE TABLE leaf_checks (
        id            INTEGER PRIMARY KEY,
        checked_at    INTEGER NOT NULL,
        verdict       TEXT NOT NULL,
        maturity      TEXT,
        disease       TEXT,
        confidence    REAL,
        model_name    TEXT,
        model_version INTEGER,
        answer        TEXT NOT NULL,
        thumbnail     BLOB NOT NULL,
        note          TEXT NOT NULL DEFAULT ''
    ) STRICT;
    CREATE INDEX leaf_checks_by_time ON leaf_checks (checked_at DESC, id DESC);",
];

/// A versioned schema: the app's ([`APP`]) or another program's (the platform keeps its own).
#[derive(Debug)]
pub struct Schema {
    steps: &'static [&'static str],
    migrations: OnceLock<Migrations<'static>>,
}

impl Schema {
    /// `steps[i]` brings the schema to version `i + 1`.
    pub const fn new(steps: &'static [&'static str]) -> Schema {
        Schema {
            steps,
            migrations: OnceLock::new(),
        }
    }

    /// The newest version this schema knows.
    pub fn latest_version(&self) -> u32 {
        self.steps.len() as u32
    }

    /// Brings `conn` to the latest version in one transaction: all pending steps apply, or none.
    pub(crate) fn migrate_to_latest(&self, conn: &mut Connection) -> Result<(), StoreError> {
        let migrations = self
            .migrations
            .get_or_init(|| Migrations::new(self.steps.iter().map(|sql| M::up(sql)).collect()));
        migrate(migrations, conn, None, self.latest_version())
    }
}

/// The app's schema.
pub static APP: Schema = Schema::new(STEPS);

/// The newest schema version this build of the app knows.
pub fn latest_version() -> u32 {
    APP.latest_version()
}

/// Brings `conn` to `version` (tests use this to build databases of earlier versions).
pub(crate) fn migrate(
    migrations: &Migrations<'_>,
    conn: &mut Connection,
    version: Option<usize>,
    supported: u32,
) -> Result<(), StoreError> {
    let found = schema_version(conn)?;
    let result = match version {
        None => migrations.to_latest(conn),
        Some(v) => migrations.to_version(conn, v),
    };
    result.map_err(|e| match e {
        rusqlite_migration::Error::MigrationDefinition(
            MigrationDefinitionError::DatabaseTooFarAhead,
        ) => StoreError::TooNew { found, supported },
        rusqlite_migration::Error::RusqliteError { query: _, err } => StoreError::Sqlite(err),
        other => StoreError::Migration(other.to_string()),
    })
}

/// The schema version stored in the database (0 for a new, empty file).
pub(crate) fn schema_version(conn: &Connection) -> Result<u32, StoreError> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("schema version {v}")))
}
