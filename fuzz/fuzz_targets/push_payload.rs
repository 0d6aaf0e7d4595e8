//! Alarm pushes: whatever bytes a push channel hands over (forged, garbage JSON, a real
//! vendor shape mutated), `channel::unwrap` and `Inbox::on_push` answer with a typed result
//! and never panic, and the two agree on what the payload carried. The same input also
//! becomes an event the trusted platform key signs (from arbitrary fields): that must be
//! accepted through every channel, once (the other channels see a duplicate), while the
//! same event for another account, re-signed or swapped, stale, or from an unknown key is
//! refused for that reason.

#![no_main]

use std::sync::{Arc, LazyLock};

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use yannong_core::alarm::channel::{self, Carried};
use yannong_core::alarm::{Inbox, MAX_PUSH_AGE_HOURS, PushChannel, PushError, Pushed, Received};
use yannong_core::barn::api::{
    Alarm, AlarmEvent, AlarmEventKind, AlarmId, BarnId, CuringId, EventError, Severity,
    SignedAlarmEvent, UserId,
};
use yannong_core::store::Store;
use yannong_core::{Text, Timestamp};
use yannong_fuzz::{NOW, alarm_key, push_shape, scratch, stranger_key};

const HOUR: i64 = 3_600_000;
const MAX_AGE: i64 = MAX_PUSH_AGE_HOURS * HOUR;

/// One inbox per process, trusting the fixed platform key, in a temp folder.
static INBOX: LazyLock<Inbox> = LazyLock::new(|| {
    let store = Store::open_in_dir(&scratch("push_payload")).expect("a store in a temp folder");
    Inbox::new(Arc::new(store), vec![alarm_key().verifying_key()])
});

fuzz_target!(|data: &[u8]| {
    any_bytes(data);
    if let Ok(event) = event(&mut Unstructured::new(data)) {
        signed_by_the_platform(event);
    }
});

/// The input as every channel's raw payload.
fn any_bytes(raw: &[u8]) {
    for ch in PushChannel::ALL {
        let carried = channel::unwrap(ch, raw);
        let pushed = INBOX.on_push(ch, raw, yannong_fuzz::ME, NOW);
        match (&carried, &pushed) {
            (Err(_), Err(PushError::Unreadable(_))) => {}
            (Ok(Carried::CatchUp { seq }), Ok(Pushed::CatchUp { seq: hint })) => {
                assert_eq!(seq, hint)
            }
            (
                Ok(Carried::Event(_)),
                Ok(Pushed::Received(_))
                | Err(PushError::Forged(_) | PushError::WrongRecipient | PushError::Stale { .. }),
            ) => {}
            _ => panic!("{ch}: unwrap gave {carried:?} but on_push {pushed:?}"),
        }
        if let Err(e) = &pushed {
            let _ = e.to_string();
        }
    }
}

/// A validly signed event is accepted by every channel, and counted once.
fn signed_by_the_platform(event: AlarmEvent) {
    let me = event.recipient;
    let signed = SignedAlarmEvent::seal(&event, &alarm_key());
    let json = serde_json::to_string(&signed).expect("signed events serialise");
    let mut stored = false;
    for ch in PushChannel::ALL {
        match INBOX.on_push(ch, &push_shape(ch, &json), me, NOW) {
            Ok(Pushed::Received(Received::New { event: got, .. })) if !stored => {
                assert_eq!(*got, event, "{ch}: the event changed on its way");
            }
            // Already stored by an earlier input with the same recipient and number.
            Ok(Pushed::Received(Received::Duplicate)) => {}
            other => panic!("{ch}: a validly signed event was not taken once: {other:?}"),
        }
        stored = true;
    }

    // One way of getting it wrong per input (signing is the slow part), picked by the input.
    let refused = |signed: &SignedAlarmEvent, me: UserId| {
        let json = serde_json::to_string(signed).expect("signed events serialise");
        INBOX.on_push(PushChannel::Stream, json.as_bytes(), me, NOW)
    };
    match event.seq % 5 {
        0 => {
            let other = UserId(me.0.wrapping_add(1));
            let got = refused(&signed, other);
            assert!(
                matches!(got, Err(PushError::WrongRecipient)),
                "an event for {me} pushed to {other}: {got:?}"
            );
        }
        1 => {
            // The signature of one event over the bytes of another.
            let mut next = event.clone();
            next.seq = next.seq.wrapping_add(1);
            let swapped = SignedAlarmEvent {
                payload: SignedAlarmEvent::seal(&next, &alarm_key()).payload,
                ..signed
            };
            let got = refused(&swapped, me);
            assert!(
                matches!(got, Err(PushError::Forged(EventError::BadSignature))),
                "a payload under another event's signature: {got:?}"
            );
        }
        2 => {
            let got = refused(&SignedAlarmEvent::seal(&event, &stranger_key()), me);
            assert!(
                matches!(got, Err(PushError::Forged(EventError::UnknownKey(_)))),
                "signed by an unknown key: {got:?}"
            );
        }
        3 => {
            // A stranger's signature under the platform key's name.
            let impostor = SignedAlarmEvent {
                key_id: signed.key_id,
                ..SignedAlarmEvent::seal(&event, &stranger_key())
            };
            let got = refused(&impostor, me);
            assert!(
                matches!(got, Err(PushError::Forged(EventError::BadSignature))),
                "a stranger's signature under the platform's key id: {got:?}"
            );
        }
        _ => {
            // Held by a vendor for a day or more (up to ten years).
            let mut late = event;
            let extra = (late.seq / 5 % (3650 * 24 * HOUR as u64)) as i64;
            late.issued_at = Timestamp(NOW.0 - MAX_AGE - extra);
            let got = refused(&SignedAlarmEvent::seal(&late, &alarm_key()), me);
            assert!(
                matches!(got, Err(PushError::Stale { .. })),
                "issued {extra} ms more than a day ago: {got:?}"
            );
        }
    }
}

/// An alarm event from arbitrary fields, issued recently enough for a push (up to an hour
/// in the future: phone clocks lag).
fn event(u: &mut Unstructured<'_>) -> Result<AlarmEvent> {
    use AlarmEventKind::*;
    use Severity::*;
    let recipient = UserId(u.arbitrary()?);
    let seq = u.arbitrary()?;
    let kind = *u.choose(&[Raised, Escalated, Cleared, Acknowledged, Reminder])?;
    let alarm = Alarm {
        id: AlarmId(u.arbitrary()?),
        barn_id: BarnId(u.arbitrary()?),
        curing_id: u.arbitrary::<Option<i64>>()?.map(CuringId),
        rule: short(u)?,
        rules_version: u.arbitrary()?,
        severity: *u.choose(&[Info, Minor, Major, Critical])?,
        title: Text::new(short(u)?, short(u)?),
        action: Text::new(short(u)?, short(u)?),
        raised_at: Timestamp(u.arbitrary()?),
        updated_at: Timestamp(u.arbitrary()?),
        cleared_at: u.arbitrary::<Option<i64>>()?.map(Timestamp),
        acked_at: u.arbitrary::<Option<i64>>()?.map(Timestamp),
        acked_by: u.arbitrary::<Option<i64>>()?.map(UserId),
    };
    let age = u.int_in_range(-HOUR..=MAX_AGE - 1)?;
    Ok(AlarmEvent {
        recipient,
        seq,
        kind,
        alarm,
        issued_at: Timestamp(NOW.0 - age),
    })
}

/// Up to 64 characters: every channel's payload then stays within its size limit.
fn short(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(u.arbitrary::<&str>()?.chars().take(64).collect())
}
