#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use tempfile::TempDir;

use super::*;
use crate::Text;
use crate::alarm::Inbox;
use crate::barn::api::{AlarmEvent, AlarmEventKind, BarnId, Severity, SignedAlarmEvent};

const ME: UserId = UserId(7);
const ALARM: AlarmId = AlarmId(42);
const T0: Timestamp = Timestamp(1_750_000_000_000);

struct Phone {
    _dir: TempDir,
    store: Arc<Store>,
    inbox: Inbox,
    key: SigningKey,
}

fn phone() -> Phone {
    let dir = TempDir::new().unwrap();
    let store = Arc::new(Store::open_in_dir(dir.path()).unwrap());
    let key = SigningKey::from_bytes(&[9; 32]);
    let inbox = Inbox::new(store.clone(), vec![key.verifying_key()]);
    Phone {
        _dir: dir,
        store,
        inbox,
        key,
    }
}

fn alarm(acked: Option<(Timestamp, UserId)>) -> Alarm {
    Alarm {
        id: ALARM,
        barn_id: BarnId(1),
        curing_id: None,
        rule: "A10".into(),
        rules_version: 1,
        severity: Severity::Critical,
        title: Text::new("风机停转", "Fan stopped"),
        action: Text::new("检查风机", "Check the fan"),
        raised_at: T0,
        updated_at: T0,
        cleared_at: None,
        acked_at: acked.map(|a| a.0),
        acked_by: acked.map(|a| a.1),
    }
}

impl Phone {
    /// The platform's event `seq` about the alarm, pushed to this phone.
    fn push(&self, seq: u64, kind: AlarmEventKind, alarm: Alarm) {
        let event = AlarmEvent {
            recipient: ME,
            seq,
            kind,
            alarm,
            issued_at: T0,
        };
        let signed = SignedAlarmEvent::seal(&event, &self.key);
        self.inbox.receive(&signed, "fcm", ME, T0).unwrap();
    }

    fn shown(&self) -> Alarm {
        self.inbox.alarms(ME).unwrap().remove(0)
    }

    fn all(&self) -> Vec<PendingAck> {
        pending(&self.store, ME, Timestamp(i64::MAX)).unwrap()
    }
}

#[test]
fn a_press_is_queued_once_and_shown_acknowledged_at_once() {
    let p = phone();
    p.push(1, AlarmEventKind::Raised, alarm(None));
    let pressed_at = Timestamp(T0.0 + 60_000);
    let Pressed::Queued(first) = acknowledge(&p.store, ME, ALARM, pressed_at).unwrap() else {
        panic!("first press not queued");
    };
    assert_eq!((first.acked_at, first.attempts), (pressed_at, 0));
    let shown = p.shown();
    assert_eq!(shown.acked_at, Some(pressed_at));
    assert_eq!(shown.acked_by, Some(ME));

    // Pressed again (app and notification action): one row, the first time stays.
    let later = Timestamp(pressed_at.0 + 5_000);
    let again = acknowledge(&p.store, ME, ALARM, later).unwrap();
    assert_eq!(again, Pressed::AlreadyQueued(first.clone()));
    assert_eq!(p.all(), vec![first]);
    assert_eq!(p.shown().acked_at, Some(pressed_at));
}

#[test]
fn only_alarms_in_this_accounts_inbox_can_be_pressed() {
    let p = phone();
    assert!(matches!(
        acknowledge(&p.store, ME, ALARM, T0),
        Err(AckError::NotInInbox(ALARM))
    ));
    p.push(1, AlarmEventKind::Raised, alarm(None));
    assert!(matches!(
        acknowledge(&p.store, UserId(8), ALARM, T0),
        Err(AckError::NotInInbox(_))
    ));
    assert!(p.all().is_empty());
}

#[test]
fn a_newer_platform_event_wins_over_the_local_mark() {
    let p = phone();
    p.push(1, AlarmEventKind::Raised, alarm(None));
    let pressed_at = Timestamp(T0.0 + 60_000);
    acknowledge(&p.store, ME, ALARM, pressed_at).unwrap();

    // Escalated on the platform before the press reached it: its state replaces the
    // stored alarm, and the press still waiting in the outbox still shows.
    let mut escalated = alarm(None);
    escalated.updated_at = Timestamp(T0.0 + 90_000);
    p.push(2, AlarmEventKind::Escalated, escalated.clone());
    let shown = p.shown();
    assert_eq!(shown.updated_at, escalated.updated_at);
    assert_eq!(
        (shown.acked_at, shown.acked_by),
        (Some(pressed_at), Some(ME))
    );
    // Pressing again shows it acknowledged again, with the first press's time.
    assert!(matches!(
        acknowledge(&p.store, ME, ALARM, Timestamp(T0.0 + 99_000)).unwrap(),
        Pressed::AlreadyQueued(_)
    ));
    assert_eq!(p.shown().acked_at, Some(pressed_at));

    // The platform's acknowledgement (its own time) replaces the local one.
    let server = Timestamp(T0.0 + 120_000);
    p.push(3, AlarmEventKind::Acknowledged, alarm(Some((server, ME))));
    assert_eq!(p.shown().acked_at, Some(server));
}

#[test]
fn an_alarm_acknowledged_on_the_platform_needs_nothing_sent() {
    let p = phone();
    let by_technician = (Timestamp(T0.0 + 1_000), UserId(99));
    p.push(1, AlarmEventKind::Acknowledged, alarm(Some(by_technician)));
    assert_eq!(
        acknowledge(&p.store, ME, ALARM, Timestamp(T0.0 + 2_000)).unwrap(),
        Pressed::AlreadyAcknowledged {
            at: by_technician.0,
            by: Some(by_technician.1)
        }
    );
    assert!(p.all().is_empty());
}

#[test]
fn failed_sends_back_off_and_stay_until_removed() {
    let p = phone();
    p.push(1, AlarmEventKind::Raised, alarm(None));
    acknowledge(&p.store, ME, ALARM, T0).unwrap();
    assert_eq!(pending(&p.store, ME, T0).unwrap().len(), 1, "due at once");

    let mut now = T0;
    let mut waits = vec![];
    for _ in 0..12 {
        let next = retry_later(&p.store, ME, ALARM, "offline", now, Duration::ZERO)
            .unwrap()
            .unwrap();
        assert!(
            pending(&p.store, ME, now).unwrap().is_empty(),
            "not due yet"
        );
        assert_eq!(pending(&p.store, ME, next).unwrap().len(), 1, "due then");
        waits.push(next.0 - now.0);
        now = next;
    }
    assert!((1_500..=2_500).contains(&waits[0]), "{waits:?}");
    assert!(waits[3] > waits[0], "{waits:?}");
    assert!(waits.iter().all(|&w| w <= 375_000), "capped: {waits:?}");
    assert!(waits[11] >= 225_000, "{waits:?}");
    let row = &p.all()[0];
    assert_eq!(
        (row.attempts, row.last_error.as_deref()),
        (12, Some("offline"))
    );

    // Retry-After longer than the backoff is honoured.
    let next = retry_later(&p.store, ME, ALARM, "429", now, Duration::from_secs(900))
        .unwrap()
        .unwrap();
    assert_eq!(next.0 - now.0, 900_000);

    // Hours offline: still there, due, then delivered and gone.
    let hours_later = Timestamp(now.0 + 6 * 3_600_000);
    assert_eq!(pending(&p.store, ME, hours_later).unwrap().len(), 1);
    assert!(remove(&p.store, ME, ALARM).unwrap());
    assert!(!remove(&p.store, ME, ALARM).unwrap());
    assert_eq!(
        retry_later(&p.store, ME, ALARM, "x", now, Duration::ZERO).unwrap(),
        None
    );
    assert!(p.all().is_empty());
}

#[test]
fn forget_drops_every_row() {
    let p = phone();
    p.push(1, AlarmEventKind::Raised, alarm(None));
    acknowledge(&p.store, ME, ALARM, T0).unwrap();
    assert_eq!(p.store.write(forget).unwrap(), 1);
    assert!(p.all().is_empty());
}

#[test]
fn retry_delay_is_exponential_capped_and_jittered() {
    let spread: std::collections::BTreeSet<u128> =
        (0..50).map(|s| retry_delay(1, s).as_millis()).collect();
    assert!(spread.len() > 10, "jitter varies with the seed");
    assert!(spread.iter().all(|d| (1_500..=2_500).contains(d)));
    for a in 0..40 {
        assert!(retry_delay(a, 3) <= Duration::from_millis(375_000));
    }
    assert!(retry_delay(40, 3) >= Duration::from_millis(225_000));
}
