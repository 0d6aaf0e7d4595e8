//! Acknowledging from the phone through its outbox: pressed offline it shows at once and
//! reaches the platform once online; a refused token keeps the press for the next login of
//! the same account, logout drops it; a phone killed after the press delivers it after the
//! restart, and the platform sees one acknowledgement even when a send is repeated.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use yannong_core::Timestamp;
use yannong_core::alarm::outbox::pending;
use yannong_core::alarm::{AckOutcome, FlushReport, Inbox, PendingAck};
use yannong_core::barn::api::{Alarm, AlarmId, UserId};
use yannong_core::barn::client::PlatformClient;
use yannong_core::barn::{BarnError, Barns, ClientConfig, SecretStore};
use yannong_core::store::Store;
use yannong_e2e::{Keychain, PASSWORD, TestPlatform, acknowledged_events, raise_fan_alarms};

const TOKEN_KEY: &str = "barn-platform-token";
const KEYCHAIN: &str = "keychain.tsv";
/// Set by the kill test in the phone process it starts.
const CHILD_DIR: &str = "YANNONG_ALARM_ACK_DIR";
const CHILD_URL: &str = "YANNONG_ALARM_ACK_URL";
const CHILD_ALARMS: &str = "YANNONG_ALARM_ACK_ALARMS";
const EVERYTHING: Timestamp = Timestamp(i64::MAX);

fn on_platform(p: &TestPlatform, id: AlarmId) -> Alarm {
    let all = p.platform.store.alarms(&p.farmer, false, 100).unwrap();
    all.into_iter().find(|a| a.id == id).unwrap()
}

fn inbox_of(p: &TestPlatform, store: &Arc<Store>) -> Inbox {
    Inbox::new(store.clone(), vec![p.platform.alarms.public_key()])
}

/// Flushes until the outbox of `me` is empty, waiting for each row's next try.
async fn flush_all(barns: &Barns) -> u32 {
    let mut sent = 0;
    for _ in 0..5 {
        let r = barns.flush_acks().await.unwrap();
        sent += r.sent;
        let Some(next) = r.next_try_at else {
            return sent;
        };
        let wait = (next.0 - Timestamp::now().0).max(0) as u64;
        tokio::time::sleep(std::time::Duration::from_millis(wait + 20)).await;
    }
    panic!("the outbox did not empty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_press_offline_shows_at_once_and_reaches_the_platform_once_online() {
    let mut p = TestPlatform::start().await;
    let id = raise_fan_alarms(&p, 1)[0];
    let phone = p.phone();
    phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    let inbox = inbox_of(&p, &phone.store);
    assert_eq!(phone.barns.catch_up_alarms(&inbox).await.unwrap(), 1);
    let me = p.farmer.id;

    p.stop().await; // Out in the field: no network.
    let before = Timestamp::now();
    let outcome = phone.barns.acknowledge_alarm(id).await.unwrap();
    assert!(matches!(outcome, AckOutcome::Queued { .. }), "{outcome:?}");
    let rows = pending(&phone.store, me, EVERYTHING).unwrap();
    assert_eq!(rows.len(), 1);
    let pressed = rows[0].acked_at;
    assert!(pressed >= before && rows[0].attempts == 1, "{rows:?}");
    let shown = &inbox.alarms(me).unwrap()[0];
    assert_eq!((shown.acked_at, shown.acked_by), (Some(pressed), Some(me)));

    // Pressed again from the notification: still one row with the first time.
    let again = phone.barns.acknowledge_alarm(id).await.unwrap();
    assert!(matches!(again, AckOutcome::Queued { .. }), "{again:?}");
    let rows = pending(&phone.store, me, EVERYTHING).unwrap();
    assert_eq!((rows.len(), rows[0].acked_at), (1, pressed));
    assert!(on_platform(&p, id).acked_at.is_none());

    p.restart().await;
    assert_eq!(flush_all(&phone.barns).await, 1);
    let acked = on_platform(&p, id);
    // The ack endpoint takes no body: the platform stamps the delivery time.
    assert!(acked.acked_at.unwrap() >= pressed, "{acked:?}");
    assert_eq!(acked.acked_by, Some(me));
    assert_eq!(acknowledged_events(&p, &p.farmer, id), 1);
    assert_eq!(
        phone.barns.flush_acks().await.unwrap(),
        FlushReport::default(),
        "nothing left to send"
    );

    // The platform's event replaces the local mark; pressing now sends nothing.
    phone.barns.catch_up_alarms(&inbox).await.unwrap();
    assert_eq!(inbox.alarms(me).unwrap()[0].acked_at, acked.acked_at);
    let late = phone.barns.acknowledge_alarm(id).await.unwrap();
    assert_eq!(
        late,
        AckOutcome::AlreadyAcknowledged {
            at: acked.acked_at.unwrap(),
            by: Some(me)
        }
    );
    assert_eq!(acknowledged_events(&p, &p.farmer, id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_keeps_the_press_for_the_next_login_and_logout_drops_it() {
    let mut p = TestPlatform::start().await;
    let ids = raise_fan_alarms(&p, 2);
    let phone = p.phone();
    phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    let inbox = inbox_of(&p, &phone.store);
    phone.barns.catch_up_alarms(&inbox).await.unwrap();
    let me = p.farmer.id;

    // The platform no longer takes this token: the press stays, the token goes.
    phone.secrets.set(TOKEN_KEY, "revoked").unwrap();
    let refused = phone.barns.acknowledge_alarm(ids[0]).await;
    assert!(
        matches!(refused, Err(BarnError::Unauthorized(_))),
        "{refused:?}"
    );
    assert!(phone.secrets.entries().is_empty());
    assert!(matches!(
        phone.barns.flush_acks().await,
        Err(BarnError::NotLoggedIn)
    ));
    assert_eq!(pending(&phone.store, me, EVERYTHING).unwrap().len(), 1);

    // The same account logs in again: the press is still there and goes.
    phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    assert_eq!(flush_all(&phone.barns).await, 1);
    assert_eq!(acknowledged_events(&p, &p.farmer, ids[0]), 1);

    // Pressed offline, then logged out: the press goes with the account's inbox.
    p.stop().await;
    let queued = phone.barns.acknowledge_alarm(ids[1]).await.unwrap();
    assert!(matches!(queued, AckOutcome::Queued { .. }), "{queued:?}");
    phone.barns.logout().await.unwrap();
    assert!(pending(&phone.store, me, EVERYTHING).unwrap().is_empty());
    assert!(inbox.alarms(me).unwrap().is_empty());
    p.restart().await;
    assert!(on_platform(&p, ids[1]).acked_at.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_press_the_platform_answers_404_to_is_dropped() {
    let p = TestPlatform::start().await;
    let id = raise_fan_alarms(&p, 1)[0];
    // The other farmer's phone holds a press for an alarm not on their barns (the barn
    // changed hands after the press, say).
    let phone = p.phone();
    phone
        .barns
        .login(&p.other_farmer.phone, PASSWORD)
        .await
        .unwrap();
    let them = p.other_farmer.id;
    let db = rusqlite::Connection::open(phone.store.path()).unwrap();
    let sql = "INSERT INTO alarm_ack_outbox (recipient, alarm_id, acked_at, next_try_at) \
               VALUES (?1, ?2, 1, 1)";
    db.execute(sql, [them.0, id.0]).unwrap();
    let r = phone.barns.flush_acks().await.unwrap();
    assert_eq!((r.dropped, r.sent, r.failed, r.left), (1, 0, 0, 0), "{r:?}");
    assert!(pending(&phone.store, them, EVERYTHING).unwrap().is_empty());
    assert!(on_platform(&p, id).acked_at.is_none());
}

fn open_phone(dir: &Path, url: &str) -> (Arc<Store>, Arc<Keychain>, Barns) {
    let store = Arc::new(Store::open_in_dir(dir).unwrap());
    let keychain = Arc::new(Keychain::at(dir.join(KEYCHAIN)));
    let config = ClientConfig {
        base_url: url.to_owned(),
        extra_roots_pem: None,
    };
    let barns = Barns::new(&config, store.clone(), keychain.clone()).unwrap();
    (store, keychain, barns)
}

/// Not a test by itself: the phone process the kill test starts. It presses "acknowledge"
/// on each alarm (the platform is down, so they stay queued), says so, and waits to be
/// killed. Without the parent's variables it returns at once.
#[test]
#[allow(clippy::print_stdout)]
fn phone_process() {
    let (Ok(dir), Ok(url), Ok(alarms)) = (
        std::env::var(CHILD_DIR),
        std::env::var(CHILD_URL),
        std::env::var(CHILD_ALARMS),
    ) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (_store, _keychain, barns) = open_phone(Path::new(&dir), &url);
        for id in alarms.split(',') {
            let id = AlarmId(id.parse().unwrap());
            let outcome = barns.acknowledge_alarm(id).await.unwrap();
            assert!(matches!(outcome, AckOutcome::Queued { .. }), "{outcome:?}");
        }
        println!("pressed");
        tokio::time::sleep(std::time::Duration::from_secs(120)).await;
    });
}

/// Kills the child when dropped, so a failing test leaves none behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the phone process, waits until it has pressed, then SIGKILLs it.
fn press_and_kill(dir: &Path, url: &str, alarms: &[AlarmId]) {
    let list: Vec<String> = alarms.iter().map(ToString::to_string).collect();
    let mut child = Killed(
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "phone_process", "--nocapture"])
            .env(CHILD_DIR, dir)
            .env(CHILD_URL, url)
            .env(CHILD_ALARMS, list.join(","))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut said = String::new();
    while !said.ends_with("pressed\n") {
        assert!(
            out.read_line(&mut said).unwrap() > 0,
            "the phone process ended before pressing:\n{said}"
        );
    }
    child.0.kill().unwrap(); // SIGKILL: nothing in the phone process runs after this.
    child.0.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_press_survives_a_kill_and_the_platform_sees_it_once() {
    let mut p = TestPlatform::start().await;
    let ids = raise_fan_alarms(&p, 2);
    let dir = tempfile::tempdir().unwrap();
    let me: UserId = p.farmer.id;
    {
        let (store, _keychain, barns) = open_phone(dir.path(), &p.url());
        barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
        assert_eq!(
            barns.catch_up_alarms(&inbox_of(&p, &store)).await.unwrap(),
            2
        );
    }

    p.stop().await;
    let (path, url, alarms) = (dir.path().to_owned(), p.url(), ids.clone());
    tokio::task::spawn_blocking(move || press_and_kill(&path, &url, &alarms))
        .await
        .unwrap();
    p.restart().await;

    // The restarted app finds both presses.
    let (store, keychain, barns) = open_phone(dir.path(), &p.url());
    let rows: Vec<PendingAck> = pending(&store, me, EVERYTHING).unwrap();
    let found: BTreeSet<AlarmId> = rows.iter().map(|r| r.alarm_id).collect();
    assert_eq!(found, ids.iter().copied().collect());
    assert!(ids.iter().all(|&id| on_platform(&p, id).acked_at.is_none()));

    // As if a send of the second had reached the platform just before a kill, its row
    // not yet removed: it will be sent again.
    let token = keychain.get(TOKEN_KEY).unwrap().unwrap();
    let client = PlatformClient::new(&p.client_config()).unwrap();
    client.acknowledge_alarm(&token, ids[1]).await.unwrap();

    assert_eq!(flush_all(&barns).await, 2);
    for &id in &ids {
        assert_eq!(on_platform(&p, id).acked_by, Some(me), "alarm {id}");
        assert_eq!(
            acknowledged_events(&p, &p.farmer, id),
            1,
            "alarm {id} acknowledged once"
        );
    }
    assert_eq!(barns.flush_acks().await.unwrap(), FlushReport::default());
}
