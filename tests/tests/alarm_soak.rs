//! The alarm soak: a simulated 8-day curing of 53 barns with injected faults, on a hand-driven
//! clock, while the push vendors drop, delay (out of order, some past the 24 h a push may
//! take) and duplicate messages and refuse some sends, and the phones' network flaps (the
//! platform's HTTP server is down for hours at a time). The technician's phone and two
//! farmers' phones do what the app does: take each push, catch up on a gap or a hint and on
//! periodic wake-ups, hold the alarm stream while the app is open, and acknowledge every
//! critical and major alarm they see, some while offline. At the end every inbox is exactly
//! the platform's list, every event was taken once, and every press is on the platform once.
//!
//! One seed drives every random choice: `YANNONG_SOAK_SEED=n` replays another (the outbox and
//! stream back off in wall time, so a replay is close, not identical).
#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::task::JoinHandle;
use yannong_core::Timestamp;
use yannong_core::alarm::outbox::pending;
use yannong_core::alarm::{AckOutcome, Inbox, PushChannel, PushError, Pushed, Received};
use yannong_core::barn::api::{Alarm, AlarmEventKind, AlarmId, BarnId, Severity, User};
use yannong_core::barn::{AlarmWatchEvent, BarnError};
use yannong_core::cancel::Cancel;
use yannong_e2e::{PASSWORD, Phone, TestPlatform};
use yannong_server::clock::Clock;
use yannong_server::push::standin::{self, Failure, StandIn, send_path};
use yannong_server::push::{Dispatcher, PushConfig, Vendors};
use yannong_server::sim::Fault;
use yannong_server::simulate::Simulation;

const SEED: u64 = 0x5941_4E4E_4F4E_4701;
const BARNS: usize = 53;
const DAYS: u64 = 8;
const HOUR: Duration = Duration::from_secs(3600);

/// Of the vendors' messages: lost, held back (then let through later, out of order), and
/// let through twice.
const DROP: f64 = 0.30;
const DELAY: f64 = 0.25;
const DUPLICATE: f64 = 0.15;
/// Of the held-back messages: held longer than a push may take (the phone refuses it).
const HELD_PAST_A_DAY: f64 = 0.05;
/// Each hour: the network goes down (for 1–6 h), a vendor answers one send with 503 (the
/// dispatcher retries it; the message may still reach the phone, as a vendor that timed out
/// may have delivered), the technician opens or closes the app (the alarm stream).
const FLAP: f64 = 0.06;
const VENDOR_503: f64 = 0.10;
const APP_TOGGLE: f64 = 0.08;
/// Of the hours the app is open: the technician looks at it, so the stream (which polls the
/// feed every wall-clock second) brings the hour's events before the vendors do.
const LOOKING: f64 = 0.2;
/// Barns besides the two farmers' that get faults.
const OTHER_FAULTY_BARNS: usize = 12;
/// Faults go in while cures run (the first cures end around day 5).
const LAST_FAULT_HOUR: u64 = 110;

/// Vendors that need no key files. vivo would send only a catch-up hint (`yn_seq`) for an
/// event over its 1000 bytes; the events here all fit, so hints stay at zero.
const CHANNELS: [PushChannel; 3] = [PushChannel::MiPush, PushChannel::Hms, PushChannel::Vivo];

const FAULTS: [Fault; 8] = [
    Fault::PowerLoss,
    Fault::FanStop,
    Fault::HeatPumpFault,
    Fault::DryWick,
    Fault::DoorOpen,
    Fault::VentStuck { at_pct: 100 },
    Fault::ControllerSilent,
    Fault::SensorOpen,
];

#[derive(Debug, Default)]
struct Counters {
    faults_injected: u64,
    faults_skipped: u64,
    vendor_messages: u64,
    dropped: u64,
    delayed: u64,
    delayed_past_a_day: u64,
    duplicated: u64,
    handed_to_phones: u64,
    push_new: u64,
    push_duplicate: u64,
    push_hint: u64,
    push_stale: u64,
    vendor_503: u64,
    flaps: u64,
    offline_hours: u64,
    catch_ups: u64,
    catch_ups_offline: u64,
    catch_up_new: u64,
    flushes_failed: u64,
    presses: u64,
    presses_queued: u64,
    presses_already_acknowledged: u64,
    app_opened: u64,
    stream_waits: u64,
    stream_new: u64,
    stream_duplicate: u64,
    stream_offline: u64,
}

/// A phone as the app drives it.
struct Person {
    who: &'static str,
    user: User,
    phone: Arc<Phone>,
    inbox: Inbox,
    /// Registered vendor channels and their tokens (none a substring of another).
    tokens: Vec<(PushChannel, &'static str)>,
    /// Alarms seen unacknowledged (critical/major), and the hour the person presses.
    to_press: BTreeMap<AlarmId, u64>,
    /// Presses that went into the outbox (delivered at once or queued).
    pressed: BTreeSet<AlarmId>,
    /// Events this phone took as new through vendor pushes and its own catch-ups.
    new_events: u64,
    wants_catch_up: bool,
    next_wake: u64,
    /// The app is open and holds the alarm stream.
    stream: Option<Stream>,
}

struct Stream {
    cancel: Arc<Cancel>,
    task: JoinHandle<Result<(), BarnError>>,
    events: UnboundedReceiver<AlarmWatchEvent>,
}

/// A vendor's message on its way to a phone.
struct Held {
    due: u64,
    person: usize,
    channel: PushChannel,
    raw: Vec<u8>,
}

struct Scheduled {
    barn: BarnId,
    fault: Fault,
    at: u64,
    until: u64,
    /// Platform times it went in and out.
    injected: Option<(Timestamp, Timestamp)>,
}

/// The rule each simulated fault raises (`server/tests/alarm_sim.rs`).
fn rule_of(fault: Fault) -> &'static str {
    match fault {
        Fault::PowerLoss => "A09",
        Fault::FanStop => "A10",
        Fault::HeatPumpFault => "A17",
        Fault::DryWick => "A12",
        Fault::DoorOpen => "A16",
        Fault::VentStuck { .. } => "A18",
        Fault::ControllerSilent => "A13",
        Fault::SensorOpen | Fault::SensorShort | Fault::SensorStuck { .. } => "A11",
    }
}

fn dispatcher(p: &TestPlatform, vendors_at: &str) -> Arc<Dispatcher> {
    let config = serde_json::json!({
        "mipush": { "endpoint": vendors_at, "app_secret": "mi-secret", "package_name": "cn.yannong.app" },
        "hms": { "endpoint": vendors_at, "token_uri": format!("{vendors_at}/hms/token"),
                 "app_id": "10086", "client_secret": "hms-secret" },
        "vivo": { "endpoint": vendors_at, "app_id": "30086", "app_key": "vivo-key",
                  "app_secret": "vivo-secret" },
    });
    Arc::new(Dispatcher::new(
        p.platform.store.clone(),
        Vendors::new(PushConfig::parse(&config.to_string()).unwrap()).unwrap(),
        p.platform.alarms.public_key(),
        p.platform.clock.clone(),
    ))
}

async fn person(
    p: &TestPlatform,
    who: &'static str,
    user: &User,
    tokens: Vec<(PushChannel, &'static str)>,
) -> Person {
    let phone = Arc::new(p.phone());
    phone.barns.login(&user.phone, PASSWORD).await.unwrap();
    for &(channel, token) in &tokens {
        phone.barns.register_push(channel, token).await.unwrap();
    }
    Person {
        who,
        user: user.clone(),
        inbox: Inbox::new(phone.store.clone(), vec![p.platform.alarms.public_key()]),
        phone,
        tokens,
        to_press: BTreeMap::new(),
        pressed: BTreeSet::new(),
        new_events: 0,
        wants_catch_up: false,
        next_wake: 0,
        stream: None,
    }
}

/// Dispatcher rounds until nothing more goes out now.
async fn dispatch(push: &Arc<Dispatcher>) {
    for _ in 0..100 {
        let r = push.round().await.unwrap();
        if r.delivered + r.skipped == 0 {
            return;
        }
    }
    panic!("the dispatcher never ran dry");
}

/// The vendors' flakiness: each message the stand-ins took since the last call is lost,
/// held back or let through now, and maybe let through a second time.
fn vendors_pass_on(
    vendors: &StandIn,
    people: &[Person],
    held: &mut Vec<Held>,
    rng: &mut SmallRng,
    hour: u64,
    c: &mut Counters,
) {
    for channel in CHANNELS {
        for seen in vendors.seen(send_path(channel)) {
            let person = people
                .iter()
                .position(|p| {
                    p.tokens
                        .iter()
                        .any(|&(ch, token)| ch == channel && seen.body.contains(token))
                })
                .unwrap_or_else(|| panic!("a {channel} push to no one: {}", seen.body));
            c.vendor_messages += 1;
            let raw = standin::phone_payload(channel, &seen);
            let r: f64 = rng.random();
            let due = if r < DROP {
                c.dropped += 1;
                None
            } else if r < DROP + DELAY {
                c.delayed += 1;
                if rng.random_bool(HELD_PAST_A_DAY) {
                    c.delayed_past_a_day += 1;
                    Some(hour + rng.random_range(25..=30))
                } else {
                    Some(hour + rng.random_range(1..=8))
                }
            } else {
                Some(hour)
            };
            if rng.random_bool(DUPLICATE) {
                c.duplicated += 1;
                let again = hour + rng.random_range(0..=4);
                held.push(Held {
                    due: again,
                    person,
                    channel,
                    raw: raw.clone(),
                });
            }
            if let Some(due) = due {
                held.push(Held {
                    due,
                    person,
                    channel,
                    raw,
                });
            }
        }
    }
    vendors.clear();
}

/// Hands every message due by `hour` to its phone's receiver, in random order.
fn receive_pushes(
    people: &mut [Person],
    held: &mut Vec<Held>,
    rng: &mut SmallRng,
    hour: u64,
    now: Timestamp,
    c: &mut Counters,
) {
    let (mut due, later): (Vec<Held>, Vec<Held>) = held.drain(..).partition(|h| h.due <= hour);
    *held = later;
    due.shuffle(rng);
    for h in due {
        let person = &mut people[h.person];
        let me = person.user.id;
        c.handed_to_phones += 1;
        match person.inbox.on_push(h.channel, &h.raw, me, now) {
            Ok(Pushed::Received(Received::New { gap, .. })) => {
                c.push_new += 1;
                person.new_events += 1;
                person.wants_catch_up |= gap;
            }
            Ok(Pushed::Received(Received::Duplicate)) => c.push_duplicate += 1,
            Ok(Pushed::CatchUp { seq }) => {
                c.push_hint += 1;
                person.wants_catch_up |= seq > person.inbox.contiguous(me).unwrap();
            }
            Err(PushError::Stale { .. }) => c.push_stale += 1,
            Err(e) => panic!("{}: {} push refused: {e}", person.who, h.channel),
        }
    }
}

/// Catches up as the app does; offline is the only acceptable failure.
async fn catch_up(person: &mut Person, c: &mut Counters) -> bool {
    match person.phone.barns.catch_up_alarms(&person.inbox).await {
        Ok(n) => {
            c.catch_ups += 1;
            c.catch_up_new += u64::from(n);
            person.new_events += u64::from(n);
            person.wants_catch_up = false;
            true
        }
        Err(BarnError::Network(_)) => {
            c.catch_ups_offline += 1;
            false
        }
        Err(e) => panic!("{}: catch-up failed: {e}", person.who),
    }
}

/// Picks up alarms the person has not acknowledged yet and presses those due by `hour`.
async fn press(person: &mut Person, rng: &mut SmallRng, hour: u64, c: &mut Counters) {
    let me = person.user.id;
    for a in person.inbox.alarms(me).unwrap() {
        if a.severity >= Severity::Major
            && a.acked_at.is_none()
            && !person.pressed.contains(&a.id)
            && !person.to_press.contains_key(&a.id)
        {
            person
                .to_press
                .insert(a.id, hour.saturating_add(rng.random_range(0..=3)));
        }
    }
    let due: Vec<AlarmId> = (person.to_press.iter())
        .filter(|&(_, &at)| at <= hour)
        .map(|(&id, _)| id)
        .collect();
    for id in due {
        person.to_press.remove(&id);
        let outcome = person.phone.barns.acknowledge_alarm(id).await;
        match outcome.unwrap_or_else(|e| panic!("{}: press on {id}: {e}", person.who)) {
            AckOutcome::Delivered => {
                c.presses += 1;
                person.pressed.insert(id);
            }
            AckOutcome::Queued { .. } => {
                c.presses += 1;
                c.presses_queued += 1;
                person.pressed.insert(id);
            }
            AckOutcome::AlreadyAcknowledged { .. } => c.presses_already_acknowledged += 1,
        }
    }
}

fn open_app(person: &mut Person) {
    let cancel = Arc::new(Cancel::new(false));
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let task = {
        let (phone, inbox, cancel) = (person.phone.clone(), person.inbox.clone(), cancel.clone());
        tokio::spawn(async move {
            phone
                .barns
                .watch_alarms(&inbox, &cancel, move |e| drop(tx.send(e)))
                .await
        })
    };
    person.stream = Some(Stream {
        cancel,
        task,
        events,
    });
}

fn stream_news(stream: &mut Stream, c: &mut Counters) {
    while let Ok(e) = stream.events.try_recv() {
        match e {
            AlarmWatchEvent::Live => {}
            AlarmWatchEvent::Received(Received::New { .. }) => c.stream_new += 1,
            AlarmWatchEvent::Received(Received::Duplicate) => c.stream_duplicate += 1,
            AlarmWatchEvent::Offline { reason, .. } => {
                // Only the network may take the stream down: a refused event would be a bug.
                assert!(
                    reason.starts_with("network"),
                    "the alarm stream stopped for {reason}"
                );
                c.stream_offline += 1;
            }
        }
    }
}

async fn close_app(person: &mut Person, c: &mut Counters) {
    if let Some(mut stream) = person.stream.take() {
        stream.cancel.store(true, Ordering::Relaxed);
        let ended = tokio::time::timeout(Duration::from_secs(10), &mut stream.task).await;
        ended.unwrap().unwrap().unwrap();
        stream_news(&mut stream, c);
    }
}

/// Waits (a few wall-clock seconds at most) for the open stream to bring the person's feed
/// up to the platform's head; false when there was nothing new.
async fn stream_catches_up(p: &TestPlatform, person: &Person) -> bool {
    let me = person.user.id;
    let head = p.platform.store.feed_head(me).unwrap();
    if person.inbox.contiguous(me).unwrap() >= head {
        return false;
    }
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if person.inbox.contiguous(me).unwrap() >= head {
            break;
        }
    }
    true
}

/// Flushes the outbox until it is empty, waiting (wall time: the outbox backs off in real
/// time) for each row's next try.
async fn flush_all(person: &Person) {
    for _ in 0..30 {
        let r = person.phone.barns.flush_acks().await.unwrap();
        let Some(next) = r.next_try_at else {
            return;
        };
        let wait = (next.0 - Timestamp::now().0).clamp(0, 10_000) as u64;
        tokio::time::sleep(Duration::from_millis(wait + 20)).await;
    }
    panic!("{}: the outbox did not empty", person.who);
}

/// Faults for the farmers' barns and for a few others, one after another per barn, each for
/// some hours.
fn fault_plan(p: &TestPlatform, rng: &mut SmallRng) -> Vec<Scheduled> {
    let mut barns: Vec<BarnId> = p.barns.iter().map(|b| b.id).collect();
    let farmers: Vec<BarnId> = (p.barns.iter())
        .filter(|b| b.owner == p.farmer.id || b.owner == p.other_farmer.id)
        .map(|b| b.id)
        .collect();
    barns.retain(|b| !farmers.contains(b));
    barns.shuffle(rng);
    let mut plan = Vec::new();
    for barn in farmers
        .into_iter()
        .chain(barns.into_iter().take(OTHER_FAULTY_BARNS))
    {
        let mut at = rng.random_range(2..=20);
        while at <= LAST_FAULT_HOUR {
            let until = at + rng.random_range(3..=8);
            plan.push(Scheduled {
                barn,
                fault: FAULTS[rng.random_range(0..FAULTS.len())],
                at,
                until,
                injected: None,
            });
            at = until + rng.random_range(6..=40);
        }
    }
    plan
}

/// A fault goes in only while the barn's cure runs with its last steps still ahead.
fn mid_cure(p: &TestPlatform, barn: BarnId) -> bool {
    let cure = p.platform.store.curings(barn).unwrap().into_iter().last();
    cure.is_some_and(|c| {
        c.finished_at.is_none() && (c.current_step as usize) + 2 < c.recipe.0.steps.len()
    })
}

fn sorted(mut list: Vec<Alarm>) -> Vec<Alarm> {
    list.sort_by_key(|a| a.id);
    list
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_alarm_reaches_each_inbox_once_through_flaky_pushes_and_a_flapping_network() {
    let started = Instant::now();
    let seed = std::env::var("YANNONG_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED);
    println!("alarm soak: seed {seed}, {BARNS} barns, {DAYS} simulated days");
    // The world (faults, network, vendor outages, the app opened) draws from one stream,
    // so a seed always makes the same soak; the fate of each message and the people's
    // habits from another, since how many messages there are depends on wall-clock backoff.
    let mut world = SmallRng::seed_from_u64(seed);
    let mut rng = SmallRng::seed_from_u64(seed.rotate_left(32) ^ 0x6661_6b65);
    let mut c = Counters::default();

    // The simulated days start now (pushes older than a day are refused by the wall clock
    // of the phone's stream receiver, so the simulated time must not lie behind it).
    let clock = Clock::manual(Timestamp::now());
    let (mut p, sim): (TestPlatform, Arc<Simulation>) =
        TestPlatform::simulated(BARNS, clock.clone()).await;
    // Pictures are most of a tick's cost and play no part here: about one per cure.
    sim.set_picture_interval(HOUR * 24 * DAYS as u32);
    let (vendors, vendors_at) = standin::start().await.unwrap();
    let push = dispatcher(&p, &format!("http://{vendors_at}"));
    let mut people = vec![
        person(
            &p,
            "technician",
            &p.technician,
            vec![
                (PushChannel::Hms, "hms-token-tech"),
                (PushChannel::MiPush, "mi-regid-tech"),
                (PushChannel::Vivo, "vivo-regid-tech"),
            ],
        )
        .await,
        person(
            &p,
            "farmer 1",
            &p.farmer,
            vec![
                (PushChannel::MiPush, "mi-regid-farmer1"),
                (PushChannel::Vivo, "vivo-regid-farmer1"),
            ],
        )
        .await,
        person(
            &p,
            "farmer 2",
            &p.other_farmer,
            vec![
                (PushChannel::Hms, "hms-token-farmer2"),
                (PushChannel::MiPush, "mi-regid-farmer2"),
            ],
        )
        .await,
    ];
    let mut plan = fault_plan(&p, &mut world);
    let mut held: Vec<Held> = Vec::new();
    let mut offline_until = 0;
    let hours = DAYS * 24;
    let mut tick_time = Duration::ZERO;

    for hour in 0..hours {
        for f in &mut plan {
            if f.at == hour {
                if mid_cure(&p, f.barn) {
                    assert!(sim.inject(f.barn, f.fault));
                    f.injected = Some((clock.now(), clock.now()));
                    c.faults_injected += 1;
                } else {
                    c.faults_skipped += 1;
                }
            }
            if f.until == hour
                && let Some((_, cleared)) = &mut f.injected
            {
                assert!(sim.clear(f.barn, f.fault));
                *cleared = clock.now();
            }
        }
        // The network: down for a few hours now and then (never in the last hours, so the
        // end is not all catch-up).
        if p.serving() {
            if hour > 0 && hour + 12 < hours && world.random_bool(FLAP) {
                p.stop().await;
                offline_until = hour + world.random_range(1..=6);
                c.flaps += 1;
            }
        } else if hour >= offline_until {
            p.restart().await;
        }
        if !p.serving() {
            c.offline_hours += 1;
        }
        // The technician opens or closes the app.
        if world.random_bool(APP_TOGGLE) {
            let tech = &mut people[0];
            if tech.stream.is_some() {
                close_app(tech, &mut c).await;
            } else {
                open_app(tech);
                c.app_opened += 1;
            }
        }

        // One simulated hour of every barn, then the platform pushes what it raised.
        clock.advance(HOUR);
        let t = Instant::now();
        let s = sim.clone();
        tokio::task::spawn_blocking(move || s.tick())
            .await
            .unwrap()
            .unwrap();
        tick_time += t.elapsed();
        if world.random_bool(VENDOR_503) {
            let channel = CHANNELS[world.random_range(0..CHANNELS.len())];
            let busy = Failure {
                status: 503,
                body: "busy".into(),
                retry_after: None,
            };
            vendors.fail_next(send_path(channel), busy);
            c.vendor_503 += 1;
        }
        let looking = world.random_bool(LOOKING);
        if looking && people[0].stream.is_some() && p.serving() {
            c.stream_waits += u64::from(stream_catches_up(&p, &people[0]).await);
        }
        dispatch(&push).await;
        vendors_pass_on(&vendors, &people, &mut held, &mut rng, hour, &mut c);
        receive_pushes(&mut people, &mut held, &mut rng, hour, clock.now(), &mut c);

        // Each phone: catch up on a gap or on its wake-up, flush on its wake-up, press.
        for person in &mut people {
            if let Some(stream) = &mut person.stream {
                stream_news(stream, &mut c);
            }
            let wake = hour >= person.next_wake;
            if person.wants_catch_up || wake {
                catch_up(person, &mut c).await;
            }
            if wake {
                match person.phone.barns.flush_acks().await {
                    Ok(r) => c.flushes_failed += u64::from(r.failed),
                    Err(e) => panic!("{}: flush failed: {e}", person.who),
                }
                person.next_wake = hour + rng.random_range(2..=6);
            }
            press(person, &mut rng, hour, &mut c).await;
        }
    }
    let run = started.elapsed();

    // The end: the network is back, the technician closes the app, the vendors let through
    // what they still hold, every phone catches up, presses what it has not and flushes.
    if !p.serving() {
        p.restart().await;
    }
    close_app(&mut people[0], &mut c).await;
    for round in 0..2 {
        let end = hours + round;
        dispatch(&push).await;
        vendors_pass_on(&vendors, &people, &mut held, &mut rng, end, &mut c);
        receive_pushes(
            &mut people,
            &mut held,
            &mut rng,
            u64::MAX,
            clock.now(),
            &mut c,
        );
        for person in &mut people {
            assert!(catch_up(person, &mut c).await, "{}: offline", person.who);
            press(person, &mut rng, u64::MAX, &mut c).await;
        }
        for person in &people {
            flush_all(person).await;
        }
    }
    for person in &mut people {
        assert!(catch_up(person, &mut c).await, "{}: offline", person.who);
    }

    // What the platform holds.
    let keys = [p.platform.alarms.public_key()];
    let tech_alarms = sorted(
        p.platform
            .store
            .alarms(&p.technician, false, 100_000)
            .unwrap(),
    );
    let urgent = tech_alarms
        .iter()
        .filter(|a| a.severity >= Severity::Major)
        .count();
    let mut rules: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &tech_alarms {
        *rules.entry(a.rule.as_str()).or_default() += 1;
    }
    println!(
        "  ran {hours} simulated hours in {run:.1?} (barn simulation and rule engine {tick_time:.1?}), \
         {:.1?} in all",
        started.elapsed()
    );
    println!(
        "  platform: {} alarms ({urgent} critical or major), by rule {rules:?}",
        tech_alarms.len()
    );
    println!("  {c:#?}");

    for person in &people {
        let me = person.user.id;
        let head = p.platform.store.feed_head(me).unwrap();
        let inbox = sorted(person.inbox.alarms(me).unwrap());
        let platform = sorted(
            p.platform
                .store
                .alarms(&person.user, false, 100_000)
                .unwrap(),
        );
        let ids: BTreeSet<AlarmId> = inbox.iter().map(|a| a.id).collect();
        assert_eq!(ids.len(), inbox.len(), "{}: an alarm twice", person.who);
        assert_eq!(
            inbox.len(),
            platform.len(),
            "{}: inbox and platform hold different alarms",
            person.who
        );
        for (mine, theirs) in inbox.iter().zip(&platform) {
            assert_eq!(mine, theirs, "{}: alarm {} differs", person.who, theirs.id);
        }

        // Each event of the feed taken once: sequence numbers 1..=head, nothing else.
        assert_eq!(person.inbox.contiguous(me).unwrap(), head, "{}", person.who);
        let db = rusqlite::Connection::open(person.phone.store.path()).unwrap();
        let (rows, low, high): (i64, i64, i64) = db
            .query_row(
                "SELECT COUNT(*), MIN(seq), MAX(seq) FROM alarm_feed WHERE recipient = ?1",
                [me.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        let head_i = i64::try_from(head).unwrap();
        assert_eq!((rows, low, high), (head_i, 1, head_i), "{}", person.who);
        let mut stmt = db
            .prepare("SELECT channel, COUNT(*) FROM alarm_feed WHERE recipient = ?1 GROUP BY 1")
            .unwrap();
        let by_channel: BTreeMap<String, i64> = stmt
            .query_map([me.0], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        println!(
            "  {}: {} alarms, feed of {head} events, first brought by {by_channel:?}; \
             {} pressed",
            person.who,
            inbox.len(),
            person.pressed.len()
        );
        if person.who != "technician" {
            // Without the stream (whose own catch-ups are not counted here) every event the
            // phone took as new is one of the feed, each once.
            assert_eq!(person.new_events, head, "{}", person.who);
        }
        assert!(
            pending(&person.phone.store, me, Timestamp(i64::MAX))
                .unwrap()
                .is_empty(),
            "{}: outbox not empty",
            person.who
        );

        // One Acknowledged event per acknowledged alarm in this person's feed, none for the
        // others; every press is on the platform.
        let feed = p
            .platform
            .store
            .alarm_events(&person.user, 0, 1_000_000)
            .unwrap();
        assert_eq!(feed.len() as u64, head, "{}", person.who);
        let mut acks: BTreeMap<AlarmId, usize> = BTreeMap::new();
        for e in &feed {
            let e = e.open(&keys).unwrap();
            if e.kind == AlarmEventKind::Acknowledged {
                *acks.entry(e.alarm.id).or_default() += 1;
            }
        }
        for a in &platform {
            let want = usize::from(a.acked_at.is_some());
            let got = acks.get(&a.id).copied().unwrap_or(0);
            assert_eq!(got, want, "{}: acknowledged events of {a:?}", person.who);
            if a.severity >= Severity::Major {
                assert!(
                    a.acked_at.is_some(),
                    "{}: {a:?} never acknowledged",
                    person.who
                );
            }
        }
        for id in &person.pressed {
            let a = platform.iter().find(|a| a.id == *id).unwrap();
            assert!(a.acked_at.is_some(), "{}: press on {id} lost", person.who);
        }
    }

    // The soak was a soak: the faults raised alarms (each its own rule where that rule
    // applies at the cure's stage: a dry wick below 40 °C reads as "too humid"), and the
    // vendors and the network misbehaved.
    assert!(c.faults_injected >= 20, "{c:?}");
    assert!(
        urgent as u64 >= c.faults_injected / 2,
        "{urgent} urgent alarms: {c:?}"
    );
    let (mut own_rule, mut silent) = (0, Vec::new());
    for f in &plan {
        let Some((from, to)) = f.injected else {
            continue;
        };
        let during: Vec<&Alarm> = (tech_alarms.iter())
            .filter(|a| a.barn_id == f.barn && a.raised_at >= from)
            .filter(|a| a.raised_at.0 <= to.0 + 3_600_000)
            .collect();
        own_rule += usize::from(during.iter().any(|a| a.rule == rule_of(f.fault)));
        if during.is_empty() {
            silent.push(format!(
                "{:?} in barn {} (simulated hours {}..{})",
                f.fault, f.barn, f.at, f.until
            ));
        }
    }
    println!(
        "  {} faults injected: {own_rule} raised their own rule, {} raised nothing {silent:?}",
        c.faults_injected,
        silent.len()
    );
    // Known gap in the rule engine (reported with the soak): a dry wick at 40 °C and above
    // can go unalarmed for hours, its wet-bulb depression wavering around A12's 0.5 °C
    // while A06 is muted for any depression under 1 °C. Every other fault raises an alarm.
    assert!(
        silent.iter().all(|s| s.starts_with("DryWick")),
        "faults that raised nothing: {silent:?}"
    );
    for (what, n) in [
        ("dropped", c.dropped),
        ("delayed", c.delayed),
        ("delayed past a day", c.delayed_past_a_day),
        ("duplicated", c.duplicated),
        ("new by push", c.push_new),
        ("duplicate pushes", c.push_duplicate),
        ("stale pushes", c.push_stale),
        ("vendor 503s", c.vendor_503),
        ("network flaps", c.flaps),
        ("catch-ups offline", c.catch_ups_offline),
        ("catch-ups that found news", c.catch_up_new),
        ("presses queued offline", c.presses_queued),
        ("app opened", c.app_opened),
        ("events first by stream", c.stream_new),
        ("events again by stream", c.stream_duplicate),
    ] {
        assert!(n > 0, "no {what}: {c:?}");
    }
    p.stop().await;
}
