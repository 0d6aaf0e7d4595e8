//! Push dispatch against local stand-ins for every vendor: each gets its documented request
//! with the signed event a phone can verify; failures are retried, dead tokens disabled,
//! expired access tokens renewed, and nothing is sent twice across a restart.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{World, world};
use yannong_core::Text;
use yannong_core::alarm::PushChannel;
use yannong_core::alarm::channel::{self, Carried};
use yannong_core::barn::api::{AlarmEvent, AlarmEventKind, Severity, paths};
use yannong_server::push::standin::{self, Failure, Seen, StandIn, phone_payload, send_path};
use yannong_server::push::{Dispatcher, PushConfig, Vendors, retry_delay};
use yannong_server::store::{AlarmChange, AlarmChangeKind};

use standin::{P256_PUBLIC_PEM as P256_PUB, RSA_PUBLIC_PEM as RSA_PUB};

fn config(base: &str) -> PushConfig {
    PushConfig::parse(&standin::config(base).to_string()).unwrap()
}

fn raise(w: &World, rule: &str, severity: Severity) {
    let change = AlarmChange {
        barn: w.barn_a.id,
        curing: None,
        rule: rule.into(),
        rules_version: 1,
        severity,
        title: Text::new("循环风机停转", "Circulation fan stopped"),
        action: Text::new("循环风机停转，立即检修", "Circulation fan stopped"),
        at: w.platform.clock.now(),
        kind: AlarmChangeKind::Raised,
    };
    let seal = |e: &AlarmEvent| w.platform.alarms.seal(e);
    w.platform.store.apply_alarm(&change, &seal).unwrap();
}

async fn setup() -> (
    World,
    Arc<StandIn>,
    Arc<Dispatcher>,
    Vec<(PushChannel, i64)>,
) {
    let w = world();
    let (fake, addr) = standin::start().await.unwrap();
    let base = format!("http://{addr}");
    let token = w.login(&w.farmer_a).await;
    let mut devices = Vec::new();
    for ch in PushChannel::ALL {
        if ch == PushChannel::Stream {
            continue;
        }
        let body = serde_json::json!({ "channel": ch.as_str(), "token": format!("{ch}-device-token-0001") });
        let r = w.post(paths::DEVICES, Some(&token), &body).await;
        assert_eq!(r.status, 201, "{ch}: {}", String::from_utf8_lossy(&r.body));
        let d: yannong_core::barn::api::PushDevice = r.json();
        assert_eq!(d.token_tail, "n-0001");
        devices.push((ch, d.id));
    }
    let dispatcher = Arc::new(Dispatcher::new(
        w.platform.store.clone(),
        Vendors::new(config(&base)).unwrap(),
        w.platform.alarms.public_key(),
        w.platform.clock.clone(),
    ));
    (w, fake, dispatcher, devices)
}

#[tokio::test]
async fn every_vendor_gets_its_format_and_the_phone_can_verify_what_arrives() {
    let (w, fake, dispatcher, devices) = setup().await;
    raise(&w, "A10", Severity::Critical);
    let report = dispatcher.round().await.unwrap();
    assert_eq!(report.delivered, 7, "{report:?}");
    let key = w.platform.alarms.public_key();
    for (ch, _) in &devices {
        let sent = fake.seen(send_path(*ch));
        assert_eq!(sent.len(), 1, "{ch}");
        let raw = phone_payload(*ch, &sent[0]);
        match channel::unwrap(*ch, &raw).unwrap() {
            Carried::Event(signed) => {
                let e = signed.open(&[key]).unwrap();
                assert_eq!(
                    (e.seq, e.kind, e.recipient),
                    (1, AlarmEventKind::Raised, w.farmer_a.id)
                );
                assert_eq!(e.alarm.rule, "A10");
            }
            // OPPO and vivo carry short extras: a large event becomes the hint.
            Carried::CatchUp { seq } => {
                assert!(matches!(ch, PushChannel::Oppo | PushChannel::Vivo), "{ch}");
                assert_eq!(seq, 1);
            }
        }
    }

    // Vendor specifics: auth, priority flags, notification text.
    let fcm = &fake.seen(send_path(PushChannel::Fcm))[0];
    let event_bytes = fcm.json()["message"]["data"]["yn"].as_str().unwrap().len();
    eprintln!("signed event: {event_bytes} bytes");
    assert!(
        event_bytes < 2048,
        "events must fit every 4 KB vendor limit with room"
    );
    assert_eq!(fcm.header("authorization"), "Bearer fcm-access");
    assert_eq!(fcm.json()["message"]["token"], "fcm-device-token-0001");
    assert_eq!(fcm.json()["message"]["android"]["priority"], "HIGH");
    let assertion = fake.seen("/fcm/token")[0].form()["assertion"].clone();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[format!("http://{}/fcm/token", fcm.header("host"))]);
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        &assertion,
        &jsonwebtoken::DecodingKey::from_rsa_pem(RSA_PUB.as_bytes()).unwrap(),
        &v,
    )
    .unwrap()
    .claims;
    assert_eq!(claims["iss"], "push@yannong.iam");
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/firebase.messaging"
    );

    let hms = fake.seen(send_path(PushChannel::Hms))[0].json();
    assert_eq!(hms["message"]["android"]["urgency"], "HIGH");
    assert_eq!(hms["message"]["token"][0], "hms-device-token-0001");
    assert_eq!(
        fake.seen("/hms/token")[0].form()["client_secret"],
        "hms-secret"
    );

    let honor = &fake.seen(send_path(PushChannel::Honor))[0];
    assert_eq!(honor.header("authorization"), "Bearer honor-access");
    assert!(honor.header("timestamp").parse::<i64>().unwrap() > 0);

    let mi = &fake.seen(send_path(PushChannel::MiPush))[0];
    assert_eq!(mi.header("authorization"), "key=mi-secret");
    let form = mi.form();
    assert_eq!(form["restricted_package_name"], "cn.yannong.app");
    assert_eq!(
        form["pass_through"], "0",
        "critical alarms are drawn by MIUI"
    );
    assert_eq!(form["extra.channel_id"], "alarm_critical");
    assert_eq!(form["title"], "【严重】1号烤房：循环风机停转");

    let oppo = &fake.seen(send_path(PushChannel::Oppo))[0];
    assert_eq!(oppo.header("auth_token"), "oppo-access");
    let auth = fake.seen("/server/v1/auth")[0].form();
    let expect = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        format!("oppo-key{}oppo-master", auth["timestamp"]).as_bytes(),
    ));
    assert_eq!(auth["sign"], expect);

    let vivo = &fake.seen(send_path(PushChannel::Vivo))[0];
    assert_eq!(vivo.header("authtoken"), "vivo-access");
    assert_eq!(vivo.json()["classification"], 1);
    assert_eq!(
        vivo.json()["requestId"],
        format!("yn-{}-1", w.farmer_a.id.0)
    );

    let apns = &fake.seen(send_path(PushChannel::Apns))[0];
    assert_eq!(apns.path, "/3/device/apns-device-token-0001");
    assert_eq!(apns.version, axum::http::Version::HTTP_2);
    assert_eq!(apns.header("apns-topic"), "cn.yannong.app");
    assert_eq!(apns.header("apns-priority"), "10");
    assert_eq!(apns.header("apns-push-type"), "alert");
    assert!(apns.header("apns-collapse-id").starts_with("alarm-"));
    assert_eq!(apns.json()["aps"]["interruption-level"], "critical");
    let jwt = apns
        .header("authorization")
        .strip_prefix("bearer ")
        .unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    let t = jsonwebtoken::decode::<serde_json::Value>(
        jwt,
        &jsonwebtoken::DecodingKey::from_ec_pem(P256_PUB.as_bytes()).unwrap(),
        &v,
    )
    .unwrap();
    assert_eq!(t.header.kid.as_deref(), Some("KEY1234567"));
    assert_eq!(t.claims["iss"], "TEAM123456");

    // Neither credentials nor access tokens show in debug output.
    let shown = format!("{dispatcher:?}");
    for secret in [
        "fcm-access",
        "hms-access",
        "hms-secret",
        "mi-secret",
        "oppo-master",
        "BEGIN",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }

    // Nothing more to send; access tokens are reused for the next event.
    assert_eq!(dispatcher.round().await.unwrap().delivered, 0);
    raise(&w, "A09", Severity::Critical);
    assert_eq!(dispatcher.round().await.unwrap().delivered, 7);
    for token_path in [
        "/fcm/token",
        "/hms/token",
        "/honor/token",
        "/server/v1/auth",
        "/message/auth",
    ] {
        assert_eq!(fake.seen(token_path).len(), 1, "{token_path}");
    }
}

#[tokio::test]
async fn a_failing_vendor_is_retried_later_and_delays_only_its_devices() {
    let (w, fake, dispatcher, devices) = setup().await;
    let fcm = devices.iter().find(|d| d.0 == PushChannel::Fcm).unwrap().1;
    fake.fail_next(
        send_path(PushChannel::Fcm),
        Failure {
            status: 503,
            body: r#"{"error":{"status":"UNAVAILABLE"}}"#.into(),
            retry_after: Some(30),
        },
    );
    raise(&w, "A10", Severity::Critical);
    let r = dispatcher.round().await.unwrap();
    assert_eq!((r.delivered, r.retrying), (6, 1));
    let d = w.platform.store.device(fcm).unwrap().unwrap();
    assert_eq!((d.delivered_seq, d.failures), (0, 1));
    // Not due before the vendor's Retry-After.
    assert_eq!(dispatcher.round().await.unwrap().delivered, 0);
    w.platform.clock.advance(Duration::from_secs(31));
    assert_eq!(dispatcher.round().await.unwrap().delivered, 1);
    assert_eq!(fake.seen(send_path(PushChannel::Fcm)).len(), 2);
    let d = w.platform.store.device(fcm).unwrap().unwrap();
    assert_eq!((d.delivered_seq, d.failures), (1, 0));
}

#[tokio::test]
async fn dead_tokens_are_disabled_and_expired_access_renewed() {
    let (w, fake, dispatcher, devices) = setup().await;
    fake.fail_next(
        send_path(PushChannel::Apns),
        Failure {
            status: 410,
            body: r#"{"reason":"Unregistered"}"#.into(),
            retry_after: None,
        },
    );
    fake.fail_next(
        send_path(PushChannel::Hms),
        Failure {
            status: 200,
            body: r#"{"code":"80200003","msg":"OAuth token expired"}"#.into(),
            retry_after: None,
        },
    );
    raise(&w, "A10", Severity::Critical);
    let r = dispatcher.round().await.unwrap();
    assert_eq!((r.delivered, r.disabled), (6, 1), "{r:?}");
    assert_eq!(
        fake.seen("/hms/token").len(),
        2,
        "a refused token is renewed once"
    );
    assert_eq!(fake.seen(send_path(PushChannel::Hms)).len(), 2);
    let apns = devices.iter().find(|d| d.0 == PushChannel::Apns).unwrap().1;
    let token = w.login(&w.farmer_a).await;
    let listed: Vec<yannong_core::barn::api::PushDevice> =
        w.get(paths::DEVICES, Some(&token)).await.json();
    let dead = listed.iter().find(|d| d.id == apns).unwrap();
    assert!(dead.disabled_at.is_some());
    assert!(dead.last_error.as_deref().unwrap().contains("Unregistered"));
    // A disabled device gets nothing more; registering again revives it.
    raise(&w, "A09", Severity::Critical);
    dispatcher.round().await.unwrap();
    assert_eq!(fake.seen(send_path(PushChannel::Apns)).len(), 1);
    let body = serde_json::json!({ "channel": "apns", "token": "apns-device-token-0001" });
    assert_eq!(
        w.post(paths::DEVICES, Some(&token), &body).await.status,
        201
    );
    raise(&w, "A16", Severity::Major);
    dispatcher.round().await.unwrap();
    let sent = fake.seen(send_path(PushChannel::Apns));
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1].json()["aps"]["interruption-level"],
        "time-sensitive"
    );
}

#[tokio::test]
async fn refused_and_stale_events_are_skipped_and_a_restart_resends_nothing() {
    let (w, fake, dispatcher, _devices) = setup().await;
    fake.fail_next(
        send_path(PushChannel::MiPush),
        Failure {
            status: 200,
            body: r#"{"result":"error","code":10017,"description":"bad payload"}"#.into(),
            retry_after: None,
        },
    );
    raise(&w, "A10", Severity::Critical);
    let r = dispatcher.round().await.unwrap();
    assert_eq!((r.delivered, r.skipped), (6, 1));

    // Info alarms are not pushed.
    raise(&w, "A20", Severity::Info);
    let r = dispatcher.round().await.unwrap();
    assert_eq!((r.delivered, r.skipped), (0, 7));

    // Events older than a push may take are left to catch-up.
    raise(&w, "A09", Severity::Critical);
    w.platform.clock.advance(Duration::from_secs(25 * 3600));
    fake.clear();
    let r = dispatcher.round().await.unwrap();
    assert_eq!((r.delivered, r.skipped), (0, 7));
    assert!(
        fake.seen("/")
            .iter()
            .all(|s| s.path.contains("token") || s.path.contains("auth"))
    );

    // A new dispatcher over the same store (a platform restart) has nothing outstanding.
    let again = Arc::new(Dispatcher::new(
        w.platform.store.clone(),
        Vendors::new(config(&format!("http://{}", fake_host(&fake)))).unwrap(),
        w.platform.alarms.public_key(),
        w.platform.clock.clone(),
    ));
    assert_eq!(again.round().await.unwrap(), Default::default());
}

fn fake_host(fake: &StandIn) -> String {
    let seen: Vec<Seen> = fake.seen("/");
    seen.first()
        .map(|s| s.header("host").to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn registration_is_checked_and_private() {
    let w = world();
    let a = w.login(&w.farmer_a).await;
    let b = w.login(&w.farmer_b).await;
    for (channel, token) in [
        ("gcm", "t"),
        ("stream", "t"),
        ("fcm", ""),
        ("fcm", "a b"),
        ("fcm", &"x".repeat(5000)),
    ] {
        let body = serde_json::json!({ "channel": channel, "token": token });
        assert_eq!(
            w.post(paths::DEVICES, Some(&a), &body).await.status,
            400,
            "{channel}"
        );
    }
    let body = serde_json::json!({ "channel": "mipush", "token": "shared-phone-regid" });
    let d: yannong_core::barn::api::PushDevice =
        w.post(paths::DEVICES, Some(&a), &body).await.json();
    // B cannot remove A's device; the phone changing hands moves it to B.
    let del = w
        .call_with("DELETE", &paths::device(d.id), Some(&b), None, &[])
        .await;
    assert_eq!(del.status, 404);
    let moved: yannong_core::barn::api::PushDevice =
        w.post(paths::DEVICES, Some(&b), &body).await.json();
    assert_eq!(moved.id, d.id);
    let listed: Vec<yannong_core::barn::api::PushDevice> =
        w.get(paths::DEVICES, Some(&a)).await.json();
    assert!(listed.is_empty());
    assert_eq!(w.get(paths::DEVICES, None).await.status, 401);
}

#[test]
fn backoff_grows_spreads_and_honours_the_vendor() {
    let d = |f| retry_delay(7, f, None);
    assert!(d(0) >= Duration::from_secs(4) && d(0) <= Duration::from_secs(6));
    assert!(d(3) > d(2) && d(2) > d(1));
    assert!(d(30) <= Duration::from_secs(12 * 60));
    assert_ne!(retry_delay(1, 4, None), retry_delay(2, 4, None));
    assert_eq!(
        retry_delay(1, 9, Some(Duration::from_secs(3))),
        Duration::from_secs(3)
    );
    assert_eq!(
        retry_delay(1, 0, Some(Duration::from_secs(86_400))),
        Duration::from_secs(3600)
    );
}
