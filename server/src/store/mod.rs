//! The platform's storage interface. SQLite ([`SqliteStore`]) is the embedded default; the
//! trait is what a PostgreSQL backend for thousands of barns would implement: every method is
//! one transaction, takes plain values and returns wire types, and visibility rules are applied
//! here, in the query, so no endpoint can forget them.

mod alarms;
mod changes;
mod codec;
mod curings;
mod devices;
mod escalations;
mod lessons;
mod readings;
mod schema;
mod sqlite;
mod users;

pub use alarms::{AlarmChange, AlarmChangeKind};
pub use devices::{PendingEvent, PushTarget};
pub use escalations::{BarnContacts, Contact, DueEscalation, EscalationState, EscalationStep};
pub use sqlite::SqliteStore;

use yannong_core::Timestamp;
use yannong_core::barn::api::{
    Alarm, AlarmEvent, AlarmId, Barn, BarnId, BarnKind, ChangesPage, Curing, CuringId, ImageId,
    ImageMeta, IngestReport, LessonProgress, PushDevice, Reading, Role, SignedAlarmEvent,
    StartCuringRequest, User, UserId,
};
use yannong_core::curing::Recipe;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Db(#[from] yannong_core::store::StoreError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid: {0}")]
    Invalid(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Db(e.into())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone)]
pub struct NewUser {
    pub phone: String,
    pub name: String,
    pub role: Role,
    /// PHC string from [`crate::auth::hash_password`]; the store never sees a password.
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct NewBarn {
    pub name: String,
    pub village: String,
    pub owner: UserId,
    pub technician: Option<UserId>,
    pub kind: BarnKind,
    pub capacity_kg: u32,
}

/// Where a changes-feed reader stands: the last change it has, and the last change of its
/// view (which barns it may see) it has taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub seq: i64,
    pub view: i64,
}

impl Cursor {
    /// Parses the opaque form phones send back; empty means "from the beginning".
    pub fn parse(s: &str) -> Option<Cursor> {
        if s.is_empty() {
            return Some(Cursor::default());
        }
        let rest = s.strip_prefix("v1.")?;
        let (seq, view) = rest.split_once('.')?;
        let cursor = Cursor {
            seq: seq.parse().ok()?,
            view: view.parse().ok()?,
        };
        (cursor.seq >= 0 && cursor.view >= 0).then_some(cursor)
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v1.{}.{}", self.seq, self.view)
    }
}

pub trait PlatformStore: Send + Sync + std::fmt::Debug + 'static {
    fn create_user(&self, user: NewUser, now: Timestamp) -> StoreResult<User>;
    /// The user and their password hash.
    fn user_by_phone(&self, phone: &str) -> StoreResult<Option<(User, String)>>;
    fn insert_token(&self, hash: &[u8; 32], user: UserId, expires_at: Timestamp)
    -> StoreResult<()>;
    /// The user a live (unexpired, unrevoked) token belongs to.
    fn token_user(&self, hash: &[u8; 32], now: Timestamp) -> StoreResult<Option<User>>;
    fn revoke_token(&self, hash: &[u8; 32]) -> StoreResult<()>;

    fn create_barn(&self, barn: NewBarn, now: Timestamp) -> StoreResult<Barn>;
    /// Changes who looks after a barn; both technicians' phones resync their view.
    fn assign_technician(
        &self,
        barn: BarnId,
        technician: Option<UserId>,
        now: Timestamp,
    ) -> StoreResult<Barn>;
    fn set_controller_token(&self, barn: BarnId, hash: &[u8; 32]) -> StoreResult<()>;
    fn controller_barn(&self, hash: &[u8; 32]) -> StoreResult<Option<BarnId>>;
    /// Barns `user` may see, by id.
    fn visible_barns(&self, user: &User) -> StoreResult<Vec<Barn>>;
    /// The barn if `user` may see it; `None` whether it is missing or someone else's, so a
    /// caller cannot probe for other farmers' barns.
    fn visible_barn(&self, user: &User, barn: BarnId) -> StoreResult<Option<Barn>>;
    fn barn(&self, barn: BarnId) -> StoreResult<Option<Barn>>;

    fn start_curing(
        &self,
        barn: BarnId,
        request: &StartCuringRequest,
        recipe: Recipe,
        now: Timestamp,
    ) -> StoreResult<Curing>;
    /// Moves the cure on from `from_step`; repeating an advance that already happened returns
    /// the cure unchanged.
    fn advance_curing(
        &self,
        curing: CuringId,
        from_step: u32,
        leaf_state: Option<String>,
        at: Timestamp,
    ) -> StoreResult<Curing>;
    fn curing(&self, curing: CuringId) -> StoreResult<Option<Curing>>;
    fn curings(&self, barn: BarnId) -> StoreResult<Vec<Curing>>;

    /// Stores valid readings of a batch once. `rejected` were refused by validation already
    /// and are recorded in the report kept for replays.
    fn ingest(
        &self,
        barn: BarnId,
        batch_id: &str,
        readings: &[Reading],
        rejected: Vec<yannong_core::barn::api::Rejected>,
        now: Timestamp,
    ) -> StoreResult<IngestReport>;
    fn readings(
        &self,
        barn: BarnId,
        from: Timestamp,
        to: Timestamp,
        limit: usize,
    ) -> StoreResult<Vec<Reading>>;

    fn put_image(
        &self,
        barn: BarnId,
        at: Timestamp,
        jpeg: &[u8],
        simulated: bool,
    ) -> StoreResult<ImageMeta>;
    fn image(&self, image: ImageId) -> StoreResult<Option<(ImageMeta, Vec<u8>)>>;
    fn images(&self, barn: BarnId, limit: usize) -> StoreResult<Vec<ImageMeta>>;
    /// The newest reading's time over all barns (a restarted simulation continues from it).
    fn last_reading_at(&self) -> StoreResult<Option<Timestamp>>;

    /// Everything `user` may see that changed after `cursor`, at most about `limit` readings.
    fn changes(&self, user: &User, cursor: Cursor, limit: usize) -> StoreResult<ChangesPage>;

    /// Records what the rule engine decided; see [`AlarmChange`]. Idempotent for replays.
    /// A real change appends an event, sealed by `seal`, to each recipient's alarm feed in the
    /// same transaction.
    fn apply_alarm(&self, change: &AlarmChange, seal: Sealer<'_>) -> StoreResult<Option<Alarm>>;
    /// Active alarms of a barn (to restore the rule engine after a restart).
    fn active_alarms(&self, barn: BarnId) -> StoreResult<Vec<Alarm>>;
    /// Alarms on barns `user` may see, newest first; `open_only`: active or unacknowledged.
    fn alarms(&self, user: &User, open_only: bool, limit: usize) -> StoreResult<Vec<Alarm>>;
    /// `None` when the alarm is missing or not `user`'s to see.
    fn acknowledge_alarm(
        &self,
        user: &User,
        alarm: AlarmId,
        at: Timestamp,
        seal: Sealer<'_>,
    ) -> StoreResult<Option<Alarm>>;
    /// `user`'s alarm feed after sequence number `after`, oldest first.
    fn alarm_events(
        &self,
        user: &User,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<SignedAlarmEvent>>;

    /// The newest alarm of `rule` on `barn`, active or cleared (event rules pick up from it).
    fn last_alarm(&self, barn: BarnId, rule: &str) -> StoreResult<Option<Alarm>>;
    /// Stops the escalation of acknowledged alarms, starts it for critical alarms that lack
    /// one, and returns the escalations due at `now`.
    fn due_escalations(&self, now: Timestamp) -> StoreResult<Vec<DueEscalation>>;
    /// Moves an escalation on, with its reminders, unless it moved or was acknowledged since
    /// it was read (then `false`: nothing is told twice or after an acknowledgement).
    fn advance_escalation(&self, step: &EscalationStep, seal: Sealer<'_>) -> StoreResult<bool>;
    /// Who to text or call about `barn`'s alarms.
    fn barn_contacts(&self, barn: BarnId) -> StoreResult<Option<BarnContacts>>;

    /// Registers a push token for `user` (moving it from whoever had it); see `devices.rs`.
    fn register_device(
        &self,
        user: UserId,
        channel: &str,
        token: &str,
        now: Timestamp,
    ) -> StoreResult<PushDevice>;
    /// `false` when the device is not `user`'s.
    fn unregister_device(&self, user: UserId, id: i64) -> StoreResult<bool>;
    fn devices(&self, user: UserId) -> StoreResult<Vec<PushDevice>>;
    fn device(&self, id: i64) -> StoreResult<Option<PushTarget>>;
    /// Enabled devices with undelivered events whose retry time has come.
    fn due_devices(&self, now: Timestamp, limit: usize) -> StoreResult<Vec<PushTarget>>;
    fn pending_events(&self, device: &PushTarget, limit: usize) -> StoreResult<Vec<PendingEvent>>;
    fn device_delivered(&self, id: i64, seq: u64) -> StoreResult<()>;
    fn device_failed(&self, id: i64, retry_at: Timestamp, error: &str) -> StoreResult<()>;
    fn device_disabled(&self, id: i64, reason: &str, now: Timestamp) -> StoreResult<()>;
    /// Newest sequence number of `user`'s alarm feed.
    fn feed_head(&self, user: UserId) -> StoreResult<u64>;

    /// Merges reading progress into `user`'s (see `lessons.rs` for the rules) and returns all
    /// of `user`'s progress, by pack and lesson. Entries must be validated already.
    fn merge_lesson_progress(
        &self,
        user: UserId,
        entries: &[LessonProgress],
    ) -> StoreResult<Vec<LessonProgress>>;
    /// All of `user`'s reading progress, by pack and lesson.
    fn lesson_progress(&self, user: UserId) -> StoreResult<Vec<LessonProgress>>;
}

/// Signs an alarm event; the store calls it inside the transaction that numbers the event.
pub type Sealer<'a> = &'a (dyn Fn(&AlarmEvent) -> SignedAlarmEvent + Sync);
