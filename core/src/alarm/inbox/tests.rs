#![allow(clippy::unwrap_used)]

use ed25519_dalek::SigningKey;

use super::*;
use crate::Text;
use crate::barn::api::{AlarmEventKind, AlarmId, BarnId, Severity};

const ME: UserId = UserId(3);

fn signed(key: &SigningKey, seq: u64) -> SignedAlarmEvent {
    let now = Timestamp(1_780_000_000_000);
    let alarm = Alarm {
        id: AlarmId(seq as i64),
        barn_id: BarnId(1),
        curing_id: None,
        rule: "A10".into(),
        rules_version: 2,
        severity: Severity::Critical,
        title: Text::new("循环风机停转", "Fan stopped"),
        action: Text::new("立即检修", "Repair now"),
        raised_at: now,
        updated_at: now,
        cleared_at: None,
        acked_at: None,
        acked_by: None,
    };
    let event = AlarmEvent {
        recipient: ME,
        seq,
        kind: AlarmEventKind::Raised,
        alarm,
        issued_at: now,
    };
    SignedAlarmEvent::seal(&event, key)
}

#[test]
fn the_unbroken_head_follows_out_of_order_arrivals_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::from_bytes(&[9; 32]);
    let store = Arc::new(Store::open_in_dir(dir.path()).unwrap());
    let inbox = Inbox::new(store, vec![key.verifying_key()]);
    let now = Timestamp(1_780_000_060_000);
    let got = |seq| inbox.receive(&signed(&key, seq), "fcm", ME, now).unwrap();
    assert_eq!(inbox.contiguous(ME).unwrap(), 0);
    assert!(matches!(got(3), Received::New { gap: true, .. }));
    assert!(matches!(got(2), Received::New { gap: true, .. }));
    assert_eq!(inbox.contiguous(ME).unwrap(), 0, "1 is still missing");
    assert!(matches!(got(1), Received::New { gap: false, .. }));
    assert_eq!(inbox.contiguous(ME).unwrap(), 3, "1 closes the gap up to 3");
    assert_eq!(got(2), Received::Duplicate);
    assert!(matches!(got(5), Received::New { gap: true, .. }));
    assert_eq!(inbox.contiguous(ME).unwrap(), 3);
    assert!(matches!(got(4), Received::New { gap: false, .. }));
    assert_eq!(inbox.contiguous(ME).unwrap(), 5);
    assert_eq!(inbox.contiguous(UserId(99)).unwrap(), 0);
    drop(inbox);
    let store = Arc::new(Store::open_in_dir(dir.path()).unwrap());
    let inbox = Inbox::new(store, vec![key.verifying_key()]);
    assert_eq!(inbox.contiguous(ME).unwrap(), 5);
}
