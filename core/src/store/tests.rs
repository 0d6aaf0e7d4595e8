use std::sync::Arc;

use rusqlite::OptionalExtension;
use rusqlite_migration::{M, Migrations};
use tempfile::TempDir;

use super::connection::open_writer;
use super::migrations::{STEPS, latest_version, migrate, schema_version};
use super::*;

fn table_names(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn migrations_up_to(steps: &[&'static str]) -> Migrations<'static> {
    Migrations::new(steps.iter().map(|s| M::up(s)).collect())
}

/// Rows a user could have created at each schema version; each must survive every upgrade.
fn insert_fixture(conn: &Connection, version: u32) {
    if version >= 2 {
        conn.execute(
            "INSERT INTO custom_recipes (id, json, created_at, updated_at) VALUES ('kept', '{}', 1, 2)",
            [],
        )
        .unwrap();
    }
}

#[test]
fn the_feed_head_is_computed_for_feeds_received_before_it_existed() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    {
        let mut conn = open_writer(&path).unwrap();
        migrate(
            &migrations_up_to(&STEPS[..8]),
            &mut conn,
            None,
            latest_version(),
        )
        .unwrap();
        // Recipient 3 holds 1, 2, 4 (head 2); recipient 4 holds 2, 3 only (head 0).
        for (who, seq) in [(3, 1), (3, 2), (3, 4), (4, 2), (4, 3)] {
            conn.execute(
                "INSERT INTO alarm_feed (recipient, seq, kind, alarm_id, channel, received_at) \
                 VALUES (?1, ?2, 'Raised', 1, 'fcm', 0)",
                [who, seq],
            )
            .unwrap();
        }
    }
    let store = Store::open(&path).unwrap();
    let heads: Vec<(i64, i64)> = store
        .read(|c| {
            let mut stmt =
                c.prepare("SELECT recipient, contiguous FROM alarm_feed_head ORDER BY recipient")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<Vec<_>, _>>()
        })
        .unwrap();
    assert_eq!(heads, vec![(3, 2)]);
}

/// The SQLite the tests run is the one the app ships: built with `LIBSQLITE3_FLAGS` from
/// `.cargo/config.toml` (docs/size.md), FTS5 and JSON in, extension loading and FTS3 out.
#[test]
fn sqlite_is_built_as_configured_for_the_app() {
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn.prepare("PRAGMA compile_options").unwrap();
    let options: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for wanted in ["ENABLE_FTS5", "OMIT_LOAD_EXTENSION", "OMIT_DEPRECATED"] {
        assert!(
            options.iter().any(|o| o == wanted),
            "{wanted} in {options:?}"
        );
    }
    for unwanted in [
        "ENABLE_FTS3",
        "ENABLE_RTREE",
        "ENABLE_STAT4",
        "ENABLE_DBSTAT_VTAB",
    ] {
        assert!(
            !options.iter().any(|o| o == unwanted),
            "{unwanted} in {options:?}"
        );
    }
    let a: i64 = conn
        .query_row("SELECT json_extract('{\"a\": 7}', '$.a')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(a, 7);
    assert!(
        conn.execute_batch("CREATE VIRTUAL TABLE t3 USING fts3(body)")
            .is_err()
    );
    conn.execute_batch("CREATE VIRTUAL TABLE t5 USING fts5(body)")
        .unwrap();
}

#[test]
fn migration_list_is_valid() {
    migrations_up_to(STEPS).validate().unwrap();
}

#[test]
fn new_database_is_at_latest_version_with_wal_and_foreign_keys() {
    let dir = TempDir::new().unwrap();
    let store = Store::open_in_dir(&dir.path().join("nested")).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_version());
    store
        .read(|c| {
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            assert_eq!(mode, "wal");
            let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
            assert_eq!(fk, 1);
            Ok::<_, rusqlite::Error>(())
        })
        .unwrap();
}

#[test]
fn upgrades_from_every_earlier_version() {
    for from in 0..latest_version() {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join(DB_FILE_NAME);
        {
            let mut conn = open_writer(&path).unwrap();
            if from > 0 {
                migrate(
                    &migrations_up_to(&STEPS[..from as usize]),
                    &mut conn,
                    None,
                    latest_version(),
                )
                .unwrap();
            }
            assert_eq!(schema_version(&conn).unwrap(), from);
            insert_fixture(&conn, from);
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            latest_version(),
            "from {from}"
        );
        let kept: Option<String> = store
            .read(|c| {
                c.query_row(
                    "SELECT json FROM custom_recipes WHERE id = 'kept'",
                    [],
                    |r| r.get(0),
                )
                .optional()
            })
            .unwrap();
        assert_eq!(
            kept.is_some(),
            from >= 2,
            "fixture rows survive the upgrade from {from}"
        );
    }
}

#[test]
fn failed_migration_leaves_the_database_as_it_was() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    let mut conn = open_writer(&path).unwrap();
    migrate(
        &migrations_up_to(&STEPS[..1]),
        &mut conn,
        None,
        latest_version(),
    )
    .unwrap();
    let before = table_names(&conn);

    // The real later steps followed by a broken one: none of them may stick.
    let mut broken: Vec<&'static str> = STEPS.to_vec();
    broken.push("CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);");
    let err = migrate(
        &migrations_up_to(&broken),
        &mut conn,
        None,
        latest_version(),
    )
    .unwrap_err();
    assert!(
        matches!(err, StoreError::Sqlite(_) | StoreError::Migration(_)),
        "{err:?}"
    );
    assert_eq!(schema_version(&conn).unwrap(), 1);
    assert_eq!(table_names(&conn), before);
}

#[test]
fn database_from_a_newer_app_is_refused_untouched() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    {
        let mut conn = open_writer(&path).unwrap();
        let mut future: Vec<&'static str> = STEPS.to_vec();
        future.push("CREATE TABLE from_the_future (x INTEGER);");
        migrate(
            &migrations_up_to(&future),
            &mut conn,
            None,
            latest_version(),
        )
        .unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    match err {
        StoreError::TooNew { found, supported } => {
            assert_eq!(found, latest_version() + 1);
            assert_eq!(supported, latest_version());
        }
        other => panic!("expected TooNew, got {other:?}"),
    }
    let conn = open_writer(&path).unwrap();
    assert_eq!(schema_version(&conn).unwrap(), latest_version() + 1);
    assert!(table_names(&conn).contains(&"from_the_future".to_owned()));
}

#[test]
fn garbage_file_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join(DB_FILE_NAME);
    std::fs::write(
        &path,
        b"this is not a database, just some bytes the disk kept",
    )
    .unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::Sqlite(_)), "{err:?}");
    assert!(err.to_string().contains("not a database"), "{err}");
}

#[test]
fn failed_write_transaction_rolls_back() {
    let dir = TempDir::new().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    let res: Result<(), StoreError> = store.write(|tx| {
        tx.execute(
            "INSERT INTO custom_recipes (id, json, created_at, updated_at) VALUES ('a', '{}', 1, 1)",
            [],
        )?;
        Err(StoreError::Corrupt("caller changed its mind".into()))
    });
    assert!(res.is_err());
    let n: i64 = store
        .read(|c| c.query_row("SELECT COUNT(*) FROM custom_recipes", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn readers_see_committed_writes_and_cannot_write() {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(Store::open_in_dir(dir.path()).unwrap());
    let writers: Vec<_> = (0..4)
        .map(|i| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                store
                    .write(|tx| {
                        tx.execute(
                            "INSERT INTO custom_recipes (id, json, created_at, updated_at) VALUES (?1, '{}', 1, 1)",
                            [format!("r{i}")],
                        )
                        .map_err(StoreError::from)
                    })
                    .unwrap();
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let n: i64 = store
        .read(|c| c.query_row("SELECT COUNT(*) FROM custom_recipes", [], |r| r.get(0)))
        .unwrap();
    assert_eq!(n, 4);
    let err = store
        .read(|c| c.execute("DELETE FROM custom_recipes", []))
        .unwrap_err();
    assert!(err.to_string().contains("readonly"), "{err}");
}

#[test]
fn a_full_disk_is_reported_as_such_and_loses_nothing() {
    let dir = TempDir::new().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    store
        .write(|tx| {
            tx.execute(
                "INSERT INTO custom_recipes (id, json, created_at, updated_at) VALUES ('kept', '{}', 1, 1)",
                [],
            )
            .map_err(StoreError::from)
        })
        .unwrap();
    // Cap the file at its current size: the next page SQLite needs is "the disk is full".
    store
        .write(|tx| {
            let pages: i64 = tx.query_row("PRAGMA page_count", [], |r| r.get(0))?;
            tx.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
                .map_err(StoreError::from)
        })
        .unwrap();
    let big = "x".repeat(256 * 1024);
    let err = store
        .write(|tx| {
            tx.execute(
                "INSERT INTO custom_recipes (id, json, created_at, updated_at) VALUES ('big', ?1, 1, 1)",
                [&big],
            )
            .map_err(StoreError::from)
        })
        .unwrap_err();
    assert!(err.is_disk_full(), "{err:?}");
    let ids: Vec<String> = store
        .read(|c| {
            let mut stmt = c.prepare("SELECT id FROM custom_recipes ORDER BY id")?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()
        })
        .unwrap();
    assert_eq!(ids, ["kept"]);
}

/// Whether a connection of another process could lock the whole file right now: in exclusive
/// locking mode a WAL database needs an exclusive lock on the file, which every open
/// connection's shared lock prevents. No waiting: busy means someone holds a lock.
fn exclusive_lock_free(path: &Path) -> bool {
    let other = Connection::open(path).unwrap();
    other.busy_timeout(std::time::Duration::ZERO).unwrap();
    other
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;")
        .is_ok()
}

/// A custom recipe row with this id.
fn insert_recipe(conn: &Connection, id: &str) -> Result<usize, StoreError> {
    Ok(conn.execute(
        "INSERT INTO custom_recipes (id, json, created_at, updated_at) VALUES (?1, '{}', 1, 1)",
        [id],
    )?)
}

fn recipe_count(store: &Store) -> i64 {
    store
        .read(|c| c.query_row("SELECT count(*) FROM custom_recipes", [], |r| r.get(0)))
        .unwrap()
}

#[test]
fn close_releases_the_files_and_the_next_use_reopens() {
    let dir = TempDir::new().unwrap();
    let store = Store::open_in_dir(dir.path()).unwrap();
    let path = store.path().to_path_buf();
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    let insert = |store: &Store, id: &str| store.write(|tx| insert_recipe(tx, id)).unwrap();
    insert(&store, "a");
    assert_eq!(recipe_count(&store), 1);
    assert!(wal.exists() && !exclusive_lock_free(&path));

    store.close().unwrap();
    // The writer closed last: its checkpoint moved the WAL into the file and removed it.
    assert!(!wal.exists());
    assert!(exclusive_lock_free(&path));
    store.close().unwrap(); // closing a closed store changes nothing

    // Reads and writes open what they need again, and see everything written before.
    assert_eq!(recipe_count(&store), 1);
    insert(&store, "b");
    assert_eq!(recipe_count(&store), 2);
    assert!(!exclusive_lock_free(&path));
}

#[test]
fn close_waits_for_a_write_in_progress() {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(Store::open_in_dir(dir.path()).unwrap());
    let (started, wait) = std::sync::mpsc::channel();
    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            store
                .write(|tx| {
                    started.send(()).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    insert_recipe(tx, "late")
                })
                .unwrap()
        })
    };
    wait.recv().unwrap();
    store.close().unwrap();
    // Had close skipped the busy writer, its connection would still hold the file.
    assert!(exclusive_lock_free(store.path()));
    writer.join().unwrap();
    // The write committed before the close took its connection (the table was empty).
    assert_eq!(recipe_count(&store), 1);
}
