use super::*;

fn event_json() -> String {
    r#"{"key_id":"0011223344556677","payload":"eyJ9","ed25519":"AAAA"}"#.to_owned()
}

fn expected() -> Carried {
    Carried::Event(SignedAlarmEvent {
        key_id: "0011223344556677".to_owned(),
        payload: "eyJ9".to_owned(),
        ed25519: "AAAA".to_owned(),
    })
}

#[test]
fn every_channel_finds_the_event_as_its_shell_hands_it_over() {
    let as_string = serde_json::json!({ EVENT_KEY: event_json(), "other": "x" }).to_string();
    for ch in [
        PushChannel::Fcm,
        PushChannel::Hms,
        PushChannel::Honor,
        PushChannel::MiPush,
        PushChannel::Oppo,
        PushChannel::Vivo,
    ] {
        assert_eq!(unwrap(ch, as_string.as_bytes()), Ok(expected()), "{ch}");
    }
    let apns = format!(
        r#"{{"aps":{{"alert":{{"title":"t","body":"b"}}}},"{EVENT_KEY}":{}}}"#,
        event_json()
    );
    assert_eq!(unwrap(PushChannel::Apns, apns.as_bytes()), Ok(expected()));
    assert_eq!(
        unwrap(PushChannel::Stream, event_json().as_bytes()),
        Ok(expected())
    );
}

#[test]
fn a_hint_asks_for_catch_up() {
    for raw in [r#"{"yn_seq":"42"}"#, r#"{"yn_seq":42}"#] {
        assert_eq!(
            unwrap(PushChannel::Oppo, raw.as_bytes()),
            Ok(Carried::CatchUp { seq: 42 })
        );
    }
    assert!(unwrap(PushChannel::Vivo, br#"{"yn_seq":"-1"}"#).is_err());
}

#[test]
fn garbage_is_refused_with_the_channel_and_reason() {
    let cases: [(&[u8], &str); 6] = [
        (b"", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1,2]", "not a JSON object"),
        (br#"{"title":"x"}"#, "no \"yn\""),
        (br#"{"yn":"{\"key_id\":1}"}"#, "not a signed alarm event"),
        (br#"{"yn":"not json"}"#, "\"yn\""),
    ];
    for (raw, why) in cases {
        let e = unwrap(PushChannel::MiPush, raw).expect_err("refused");
        assert_eq!(e.channel, "mipush");
        assert!(e.reason.contains(why), "{:?}: {}", raw, e.reason);
    }
    let e = unwrap(
        PushChannel::Apns,
        format!(r#"{{"yn":{}}}"#, event_json()).as_bytes(),
    )
    .expect_err("no aps");
    assert!(e.reason.contains("aps"));
    let huge = vec![b' '; MAX_RAW + 1];
    assert!(unwrap(PushChannel::Stream, &huge).is_err());
}

#[test]
fn channel_names_round_trip() {
    for ch in PushChannel::ALL {
        assert_eq!(PushChannel::parse(ch.as_str()), Some(ch));
    }
    assert_eq!(PushChannel::parse(" MiPush "), Some(PushChannel::MiPush));
    assert_eq!(PushChannel::parse("gcm"), None);
}
