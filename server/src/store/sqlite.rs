//! The embedded SQLite backend.

use std::path::Path;

use rusqlite::params;
use sha2::{Digest, Sha256};
use yannong_core::Timestamp;
use yannong_core::barn::api::{
    Alarm, AlarmId, Barn, BarnId, ChangesPage, Curing, CuringId, ImageId, ImageMeta, IngestReport,
    LessonProgress, PushDevice, Reading, Rejected, SignedAlarmEvent, StartCuringRequest, User,
    UserId,
};
use yannong_core::curing::Recipe;
use yannong_core::store::Store;

use super::codec::{IMAGE_COLUMNS, collect, image_from_row, next_seq};
use super::{
    AlarmChange, BarnContacts, Cursor, DueEscalation, EscalationStep, NewBarn, NewUser,
    PendingEvent, PlatformStore, PushTarget, Sealer, StoreError, StoreResult, alarms, changes,
    curings, devices, escalations, lessons, readings, schema, users,
};

/// Read connections: API handlers read concurrently with the single writer (WAL).
const READERS: usize = 4;

#[derive(Debug)]
pub struct SqliteStore {
    db: Store,
}

impl SqliteStore {
    /// Opens (creating and migrating) the platform database at `path`.
    pub fn open(path: &Path) -> StoreResult<SqliteStore> {
        Ok(SqliteStore {
            db: Store::open_with_schema(path, &schema::PLATFORM, READERS)?,
        })
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        self.db.write(f)
    }

    fn read<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> StoreResult<T>) -> StoreResult<T> {
        self.db.read(f)
    }
}

impl PlatformStore for SqliteStore {
    fn create_user(&self, user: NewUser, now: Timestamp) -> StoreResult<User> {
        self.write(|tx| users::create_user(tx, user, now))
    }

    fn user_by_phone(&self, phone: &str) -> StoreResult<Option<(User, String)>> {
        self.read(|c| users::user_by_phone(c, phone))
    }

    fn insert_token(
        &self,
        hash: &[u8; 32],
        user: UserId,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO tokens (hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
                params![hash.as_slice(), user.0, expires_at.0],
            )?;
            Ok(())
        })
    }

    fn token_user(&self, hash: &[u8; 32], now: Timestamp) -> StoreResult<Option<User>> {
        self.read(|c| users::token_user(c, hash, now))
    }

    fn revoke_token(&self, hash: &[u8; 32]) -> StoreResult<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE tokens SET revoked = 1 WHERE hash = ?1",
                [hash.as_slice()],
            )?;
            Ok(())
        })
    }

    fn create_barn(&self, barn: NewBarn, now: Timestamp) -> StoreResult<Barn> {
        self.write(|tx| users::create_barn(tx, barn, now))
    }

    fn assign_technician(
        &self,
        barn: BarnId,
        technician: Option<UserId>,
        now: Timestamp,
    ) -> StoreResult<Barn> {
        self.write(|tx| users::assign_technician(tx, barn, technician, now))
    }

    fn set_controller_token(&self, barn: BarnId, hash: &[u8; 32]) -> StoreResult<()> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE barns SET controller_token = ?1 WHERE id = ?2",
                params![hash.as_slice(), barn.0],
            )?;
            if n == 0 {
                return Err(StoreError::NotFound(format!("barn {barn}")));
            }
            Ok(())
        })
    }

    fn controller_barn(&self, hash: &[u8; 32]) -> StoreResult<Option<BarnId>> {
        self.read(|c| users::controller_barn(c, hash))
    }

    fn visible_barns(&self, user: &User) -> StoreResult<Vec<Barn>> {
        self.read(|c| users::visible_barns(c, user, None))
    }

    fn visible_barn(&self, user: &User, barn: BarnId) -> StoreResult<Option<Barn>> {
        self.read(|c| Ok(users::visible_barns(c, user, Some(barn))?.pop()))
    }

    fn barn(&self, barn: BarnId) -> StoreResult<Option<Barn>> {
        self.read(|c| users::barn(c, barn))
    }

    fn start_curing(
        &self,
        barn: BarnId,
        request: &StartCuringRequest,
        recipe: Recipe,
        now: Timestamp,
    ) -> StoreResult<Curing> {
        self.write(|tx| curings::start(tx, barn, request, recipe, now))
    }

    fn advance_curing(
        &self,
        curing: CuringId,
        from_step: u32,
        leaf_state: Option<String>,
        at: Timestamp,
    ) -> StoreResult<Curing> {
        self.write(|tx| curings::advance(tx, curing, from_step, leaf_state, at))
    }

    fn curing(&self, curing: CuringId) -> StoreResult<Option<Curing>> {
        self.read(|c| curings::get(c, curing))
    }

    fn curings(&self, barn: BarnId) -> StoreResult<Vec<Curing>> {
        self.read(|c| curings::of_barn(c, barn))
    }

    fn ingest(
        &self,
        barn: BarnId,
        batch_id: &str,
        readings: &[Reading],
        rejected: Vec<Rejected>,
        now: Timestamp,
    ) -> StoreResult<IngestReport> {
        self.write(|tx| readings::ingest(tx, barn, batch_id, readings, rejected, now))
    }

    fn readings(
        &self,
        barn: BarnId,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Reading>> {
        self.read(|c| readings::range(c, barn, from, to, limit))
    }

    fn put_image(
        &self,
        barn: BarnId,
        at: Timestamp,
        jpeg: &[u8],
        simulated: bool,
    ) -> StoreResult<ImageMeta> {
        let sha256 = hex::encode(Sha256::digest(jpeg));
        let bytes =
            u32::try_from(jpeg.len()).map_err(|_| StoreError::Invalid("image too large".into()))?;
        self.write(|tx| {
            let seq = next_seq(tx, 1)?;
            tx.execute(
                "INSERT INTO images (barn_id, at, bytes, sha256, simulated, jpeg, seq) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![barn.0, at.0, bytes, sha256, simulated, jpeg, seq],
            )?;
            Ok(ImageMeta {
                id: ImageId(tx.last_insert_rowid()),
                barn_id: barn,
                at,
                bytes,
                sha256,
                simulated,
            })
        })
    }

    fn image(&self, image: ImageId) -> StoreResult<Option<(ImageMeta, Vec<u8>)>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {IMAGE_COLUMNS}, jpeg FROM images WHERE id = ?1"
            ))?;
            let mut rows = stmt.query([image.0])?;
            match rows.next()? {
                Some(row) => Ok(Some((image_from_row(row)?, row.get(6)?))),
                None => Ok(None),
            }
        })
    }

    fn images(&self, barn: BarnId, limit: usize) -> StoreResult<Vec<ImageMeta>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {IMAGE_COLUMNS} FROM images WHERE barn_id = ?1 ORDER BY at DESC LIMIT ?2"
            ))?;
            collect(stmt.query(params![barn.0, limit as i64])?, image_from_row)
        })
    }

    fn last_reading_at(&self) -> StoreResult<Option<Timestamp>> {
        self.read(|c| {
            let at: Option<i64> = c.query_row("SELECT max(at) FROM readings", [], |r| r.get(0))?;
            Ok(at.map(Timestamp))
        })
    }

    fn changes(&self, user: &User, cursor: Cursor, limit: usize) -> StoreResult<ChangesPage> {
        self.read(|c| changes::page(c, user, cursor, limit))
    }

    fn apply_alarm(&self, change: &AlarmChange, seal: Sealer<'_>) -> StoreResult<Option<Alarm>> {
        self.write(|tx| alarms::apply(tx, change, seal))
    }

    fn active_alarms(&self, barn: BarnId) -> StoreResult<Vec<Alarm>> {
        self.read(|c| alarms::active(c, barn))
    }

    fn alarms(&self, user: &User, open_only: bool, limit: usize) -> StoreResult<Vec<Alarm>> {
        self.read(|c| alarms::visible(c, user, open_only, limit))
    }

    fn acknowledge_alarm(
        &self,
        user: &User,
        alarm: AlarmId,
        at: Timestamp,
        seal: Sealer<'_>,
    ) -> StoreResult<Option<Alarm>> {
        self.write(|tx| alarms::acknowledge(tx, user, alarm, at, seal))
    }

    fn alarm_events(
        &self,
        user: &User,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<SignedAlarmEvent>> {
        self.read(|c| alarms::events(c, user, after, limit))
    }

    fn last_alarm(&self, barn: BarnId, rule: &str) -> StoreResult<Option<Alarm>> {
        self.read(|c| alarms::last(c, barn, rule))
    }

    fn due_escalations(&self, now: Timestamp) -> StoreResult<Vec<DueEscalation>> {
        self.write(|tx| escalations::due(tx, now))
    }

    fn advance_escalation(&self, step: &EscalationStep, seal: Sealer<'_>) -> StoreResult<bool> {
        self.write(|tx| escalations::advance(tx, step, seal))
    }

    fn barn_contacts(&self, barn: BarnId) -> StoreResult<Option<BarnContacts>> {
        self.read(|c| escalations::contacts(c, barn))
    }

    fn register_device(
        &self,
        user: UserId,
        channel: &str,
        token: &str,
        now: Timestamp,
    ) -> StoreResult<PushDevice> {
        self.write(|tx| devices::register(tx, user, channel, token, now))
    }

    fn unregister_device(&self, user: UserId, id: i64) -> StoreResult<bool> {
        self.write(|tx| devices::unregister(tx, user, id))
    }

    fn devices(&self, user: UserId) -> StoreResult<Vec<PushDevice>> {
        self.read(|c| devices::list(c, user))
    }

    fn device(&self, id: i64) -> StoreResult<Option<PushTarget>> {
        self.read(|c| devices::target(c, id))
    }

    fn due_devices(&self, now: Timestamp, limit: usize) -> StoreResult<Vec<PushTarget>> {
        self.read(|c| devices::due(c, now, limit))
    }

    fn pending_events(&self, device: &PushTarget, limit: usize) -> StoreResult<Vec<PendingEvent>> {
        self.read(|c| devices::pending(c, device, limit))
    }

    fn device_delivered(&self, id: i64, seq: u64) -> StoreResult<()> {
        self.write(|tx| devices::delivered(tx, id, seq))
    }

    fn device_failed(&self, id: i64, retry_at: Timestamp, error: &str) -> StoreResult<()> {
        self.write(|tx| devices::failed(tx, id, retry_at, error))
    }

    fn device_disabled(&self, id: i64, reason: &str, now: Timestamp) -> StoreResult<()> {
        self.write(|tx| devices::disable(tx, id, reason, now))
    }

    fn feed_head(&self, user: UserId) -> StoreResult<u64> {
        self.read(|c| devices::feed_head(c, user))
    }

    fn merge_lesson_progress(
        &self,
        user: UserId,
        entries: &[LessonProgress],
    ) -> StoreResult<Vec<LessonProgress>> {
        self.write(|tx| lessons::merge(tx, user, entries))
    }

    fn lesson_progress(&self, user: UserId) -> StoreResult<Vec<LessonProgress>> {
        self.read(|c| lessons::all(c, user))
    }
}
