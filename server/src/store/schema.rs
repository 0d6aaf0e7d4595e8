//! The platform's SQLite schema. Append migrations; never edit one that has shipped.
//!
//! Every row a phone may sync carries `seq`, drawn from one counter in the write transaction
//! that changed it: the changes feed is "rows with seq above the cursor", whatever their
//! timestamps, so late and out-of-order readings reach phones like any other.

use yannong_core::store::Schema;

const STEPS: &[&str] = &[
    // 1: accounts, tokens, barns, curings, readings, images.
    "CREATE TABLE users (
        id            INTEGER PRIMARY KEY,
        phone         TEXT NOT NULL UNIQUE,
        name          TEXT NOT NULL,
        role          TEXT NOT NULL CHECK (role IN ('farmer', 'technician', 'admin')),
        password_hash TEXT NOT NULL,
        created_at    INTEGER NOT NULL
    ) STRICT;
    -- Only SHA-256 of a token is stored: a leaked database holds no usable token.
    CREATE TABLE tokens (
        hash       BLOB PRIMARY KEY,
        user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL,
        revoked    INTEGER NOT NULL DEFAULT 0
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE change_seq (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        value INTEGER NOT NULL
    ) STRICT;
    INSERT INTO change_seq (id, value) VALUES (1, 0);
    CREATE TABLE barns (
        id               INTEGER PRIMARY KEY,
        name             TEXT NOT NULL,
        village          TEXT NOT NULL,
        owner            INTEGER NOT NULL REFERENCES users (id),
        technician       INTEGER REFERENCES users (id),
        kind             TEXT NOT NULL,
        capacity_kg      INTEGER NOT NULL,
        controller_token BLOB UNIQUE,
        updated_at       INTEGER NOT NULL,
        seq              INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX barns_by_owner ON barns (owner);
    CREATE INDEX barns_by_technician ON barns (technician);
    -- A user's set of visible barns changed at seq: a cursor older than that must resync.
    CREATE TABLE view_changes (
        user_id INTEGER NOT NULL,
        seq     INTEGER NOT NULL,
        PRIMARY KEY (user_id, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE curings (
        id           INTEGER PRIMARY KEY,
        barn_id      INTEGER NOT NULL REFERENCES barns (id),
        recipe       TEXT NOT NULL,
        position     TEXT NOT NULL,
        maturity     TEXT NOT NULL,
        water        TEXT NOT NULL,
        started_at   INTEGER NOT NULL,
        ambient_c    REAL NOT NULL,
        current_step INTEGER NOT NULL,
        advances     TEXT NOT NULL,
        finished_at  INTEGER,
        updated_at   INTEGER NOT NULL,
        seq          INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX curings_by_barn_seq ON curings (barn_id, seq);
    -- Temperatures in tenths of a degree; one row is ~40 bytes. The key serves time-range
    -- queries per barn and makes a resent reading a no-op.
    CREATE TABLE readings (
        barn_id     INTEGER NOT NULL,
        at          INTEGER NOT NULL,
        seq         INTEGER NOT NULL,
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
    CREATE INDEX readings_by_barn_seq ON readings (barn_id, seq);
    CREATE TABLE ingest_batches (
        barn_id  INTEGER NOT NULL,
        batch_id TEXT NOT NULL,
        report   TEXT NOT NULL,
        at       INTEGER NOT NULL,
        PRIMARY KEY (barn_id, batch_id)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE images (
        id        INTEGER PRIMARY KEY,
        barn_id   INTEGER NOT NULL REFERENCES barns (id),
        at        INTEGER NOT NULL,
        bytes     INTEGER NOT NULL,
        sha256    TEXT NOT NULL,
        simulated INTEGER NOT NULL,
        jpeg      BLOB NOT NULL,
        seq       INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX images_by_barn_seq ON images (barn_id, seq);
    CREATE INDEX images_by_barn_at ON images (barn_id, at);",
    // 2: the changes feed of technicians and admins walks readings in change order.
    "CREATE INDEX readings_by_seq ON readings (seq);",
    // 3: alarms. At most one active alarm per barn and rule: a condition raises once.
    "CREATE TABLE alarms (
        id            INTEGER PRIMARY KEY,
        barn_id       INTEGER NOT NULL REFERENCES barns (id),
        curing_id     INTEGER REFERENCES curings (id),
        rule          TEXT NOT NULL,
        rules_version INTEGER NOT NULL,
        severity      TEXT NOT NULL CHECK (severity IN ('info', 'minor', 'major', 'critical')),
        title         TEXT NOT NULL,
        action        TEXT NOT NULL,
        raised_at     INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        cleared_at    INTEGER,
        acked_at      INTEGER,
        acked_by      INTEGER REFERENCES users (id)
    ) STRICT;
    CREATE UNIQUE INDEX alarms_active ON alarms (barn_id, rule) WHERE cleared_at IS NULL;
    CREATE INDEX alarms_by_barn ON alarms (barn_id, raised_at);",
    // 4: each person's alarm feed: signed events numbered 1, 2, 3… per recipient, kept so a
    // phone can catch up on whatever its push channels lost.
    "CREATE TABLE alarm_events (
        recipient INTEGER NOT NULL REFERENCES users (id),
        seq       INTEGER NOT NULL,
        alarm_id  INTEGER NOT NULL REFERENCES alarms (id),
        signed    TEXT NOT NULL,
        PRIMARY KEY (recipient, seq)
    ) STRICT, WITHOUT ROWID;",
    // 5: escalation of unacknowledged critical alarms: where each schedule stands, so a
    // restart neither repeats nor skips a step (next_at is NULL once acknowledged), and who
    // besides the barn's people was told of an alarm (they hear how it ends too).
    "CREATE TABLE alarm_escalations (
        alarm_id   INTEGER PRIMARY KEY REFERENCES alarms (id),
        started_at INTEGER NOT NULL,
        steps_done INTEGER NOT NULL,
        reminders  INTEGER NOT NULL,
        next_at    INTEGER
    ) STRICT;
    CREATE INDEX alarm_escalations_due ON alarm_escalations (next_at) WHERE next_at IS NOT NULL;
    CREATE TABLE alarm_audience (
        alarm_id INTEGER NOT NULL REFERENCES alarms (id),
        user_id  INTEGER NOT NULL REFERENCES users (id),
        PRIMARY KEY (alarm_id, user_id)
    ) STRICT, WITHOUT ROWID;",
    // 6: phones' push registrations. Each device keeps its own delivery cursor into its
    // person's alarm feed, so a restart resends exactly what no vendor accepted yet.
    "CREATE TABLE push_devices (
        id            INTEGER PRIMARY KEY,
        user_id       INTEGER NOT NULL REFERENCES users (id),
        channel       TEXT NOT NULL,
        token         TEXT NOT NULL,
        registered_at INTEGER NOT NULL,
        delivered_seq INTEGER NOT NULL,
        failures      INTEGER NOT NULL DEFAULT 0,
        next_try_at   INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT,
        disabled_at   INTEGER,
        UNIQUE (channel, token)
    ) STRICT;
    CREATE INDEX push_devices_by_user ON push_devices (user_id);",
    // 7: how far each person read each lesson, merged from all their phones.
    "CREATE TABLE lesson_progress (
        user_id      INTEGER NOT NULL REFERENCES users (id),
        pack_id      TEXT NOT NULL,
        lesson_id    TEXT NOT NULL,
        position     REAL NOT NULL,
        completed_at INTEGER,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (user_id, pack_id, lesson_id)
    ) STRICT, WITHOUT ROWID;",
];

pub static PLATFORM: Schema = Schema::new(STEPS);
