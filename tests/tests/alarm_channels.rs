//! The whole delivery path with every kind of channel at once: the platform pushes through
//! stand-ins for FCM and MiPush, the phone also holds the self-hosted stream, and pushes get
//! lost. Whatever arrives where, each event counts once and the inbox ends up exactly the
//! platform's list.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use yannong_core::alarm::{Inbox, PushChannel, Pushed, Received};
use yannong_core::barn::AlarmWatchEvent;
use yannong_core::barn::api::Alarm;
use yannong_core::cancel::Cancel;
use yannong_e2e::{PASSWORD, TestPlatform, raise_fan_alarms, stop_fan};
use yannong_server::push::standin::{self, Seen};
use yannong_server::push::{Dispatcher, PushConfig, Vendors};

fn dispatcher(p: &TestPlatform, vendors_at: &str) -> Arc<Dispatcher> {
    let config = serde_json::json!({
        "mipush": { "endpoint": vendors_at, "app_secret": "mi-secret", "package_name": "cn.yannong.app" },
        "hms": { "endpoint": vendors_at, "token_uri": format!("{vendors_at}/hms/token"),
                 "app_id": "10086", "client_secret": "hms-secret" },
    });
    Arc::new(Dispatcher::new(
        p.platform.store.clone(),
        Vendors::new(PushConfig::parse(&config.to_string()).unwrap()).unwrap(),
        p.platform.alarms.public_key(),
        p.platform.clock.clone(),
    ))
}

fn mipush_payload(s: &Seen) -> Vec<u8> {
    standin::phone_payload(PushChannel::MiPush, s)
}

fn hms_payload(s: &Seen) -> Vec<u8> {
    standin::phone_payload(PushChannel::Hms, s)
}

/// The platform's list as the phone should end up with it: each alarm's newest state.
fn platform_list(p: &TestPlatform) -> Vec<Alarm> {
    let mut list = p.platform.store.alarms(&p.farmer, false, 500).unwrap();
    list.sort_by_key(|a| a.id);
    list
}

fn inbox_list(inbox: &Inbox, p: &TestPlatform) -> Vec<Alarm> {
    let mut list = inbox.alarms(p.farmer.id).unwrap();
    list.sort_by_key(|a| a.id);
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_mix_of_channels_delivers_each_event_once() {
    let p = TestPlatform::start().await;
    let (vendors, addr) = standin::start().await.unwrap();
    let push = dispatcher(&p, &format!("http://{addr}"));
    let phone = Arc::new(p.phone());
    phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    let me = p.farmer.id;
    phone
        .barns
        .register_push(PushChannel::MiPush, "mi-regid-0001")
        .await
        .unwrap();
    phone
        .barns
        .register_push(PushChannel::Hms, "hms-token-0001")
        .await
        .unwrap();
    // The platform refuses to "register" its own stream.
    assert!(
        phone
            .barns
            .register_push(PushChannel::Stream, "x")
            .await
            .is_err()
    );
    let inbox = Inbox::new(phone.store.clone(), vec![p.platform.alarms.public_key()]);

    // The app is open: it holds the stream.
    let cancel = Arc::new(Cancel::default());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watch = {
        let (phone, inbox, cancel) = (phone.clone(), inbox.clone(), cancel.clone());
        tokio::spawn(async move {
            phone
                .barns
                .watch_alarms(&inbox, &cancel, move |e| drop(tx.send(e)))
                .await
        })
    };
    assert_eq!(rx.recv().await, Some(AlarmWatchEvent::Live));

    // A fan stops in barn 1: the stream brings event 1 first…
    raise_fan_alarms(&p, 1);
    let got = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let AlarmWatchEvent::Received(Received::New { event, gap }) = got else {
        panic!("{got:?}");
    };
    assert_eq!((event.seq, gap), (1, false));
    // …and the vendors' copies of it count for nothing more.
    assert_eq!(push.round().await.unwrap().delivered, 2);
    let mi = vendors.seen("/v3/message/regid");
    let hms = vendors.seen("/v1/10086/messages:send");
    let now = yannong_core::Timestamp::now();
    for (ch, raw) in [
        (PushChannel::MiPush, mipush_payload(&mi[0])),
        (PushChannel::Hms, hms_payload(&hms[0])),
    ] {
        assert_eq!(
            inbox.on_push(ch, &raw, me, now).unwrap(),
            Pushed::Received(Received::Duplicate),
            "{ch}"
        );
    }
    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    watch.await.unwrap().unwrap();

    // The app is closed. The farmer acknowledges on another phone (event 2), then barn 2's
    // fan stops (event 3). MIUI holds back both pushes; Huawei delivers only the newest.
    let first = p.platform.store.alarms(&p.farmer, true, 10).unwrap()[0].id;
    let seal = |e: &yannong_core::barn::api::AlarmEvent| p.platform.alarms.seal(e);
    p.platform
        .store
        .acknowledge_alarm(&p.farmer, first, p.platform.clock.now(), &seal)
        .unwrap();
    stop_fan(&p, &p.barns[1]);
    vendors.clear();
    assert_eq!(push.round().await.unwrap().delivered, 4);
    let hms = vendors.seen("/v1/10086/messages:send");
    let newest = hms_payload(hms.last().unwrap());
    let Pushed::Received(Received::New { event, gap }) =
        inbox.on_push(PushChannel::Hms, &newest, me, now).unwrap()
    else {
        panic!("event 3 is new");
    };
    assert_eq!((event.seq, gap), (3, true), "event 2 is missing: catch up");
    assert_eq!(phone.barns.catch_up_alarms(&inbox).await.unwrap(), 1);
    assert_eq!(inbox.contiguous(me).unwrap(), 3);

    // MIUI lets its pushes through late: nothing new.
    for s in vendors.seen("/v3/message/regid") {
        assert_eq!(
            inbox
                .on_push(PushChannel::MiPush, &mipush_payload(&s), me, now)
                .unwrap(),
            Pushed::Received(Received::Duplicate)
        );
    }
    assert_eq!(inbox_list(&inbox, &p), platform_list(&p));
}
