//! The alarm scene of `yannong demo`: the farmer whose barn gets the fan stop has the app on
//! a phone registered for FCM and MiPush. The platform raises the alarm, escalates it by text
//! and call, pushes the signed event to stand-ins for both vendors; the phone's inbox takes
//! it once, the farmer acknowledges (escalation stops), the fan runs again and the alarm
//! clears on the phone too.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use yannong_core::Timestamp;
use yannong_core::alarm::notify::{PlanContext, plan};
use yannong_core::alarm::{AckOutcome, Inbox, PushChannel, Pushed, Received};
use yannong_core::barn::api::{AlarmEventKind, BarnId, UserId};
use yannong_core::barn::{Barns, ClientConfig, MemorySecrets, local};
use yannong_core::store::Store;
use yannong_core::text::Locale;
use yannong_server::alarm::RecordingNotifier;
use yannong_server::clock::Clock;
use yannong_server::platform::Platform;
use yannong_server::push::standin::{self, StandIn};
use yannong_server::push::{Dispatcher, PushConfig, Vendors};
use yannong_server::sim::Fault;
use yannong_server::simulate::{Simulation, farmer_phone};

use crate::Result;

const CHANNELS: [PushChannel; 2] = [PushChannel::Fcm, PushChannel::MiPush];

pub struct Scene {
    stand_in: Arc<StandIn>,
    push: Arc<Dispatcher>,
    notifier: Arc<RecordingNotifier>,
    phone: Option<FarmerPhone>,
}

struct FarmerPhone {
    barns: Barns,
    inbox: Inbox,
    store: Arc<Store>,
    barn: BarnId,
    name: String,
    me: UserId,
}

impl Scene {
    /// Vendor stand-ins and the dispatcher that pushes to them.
    pub async fn start(platform: &Platform, notifier: Arc<RecordingNotifier>) -> Result<Scene> {
        let (stand_in, addr) = standin::start().await?;
        let all = standin::config(&format!("http://{addr}"));
        let config = serde_json_pick(&all, &["fcm", "mipush"]);
        let push = Arc::new(Dispatcher::new(
            platform.store.clone(),
            Vendors::new(PushConfig::parse(&config)?)?,
            platform.alarms.public_key(),
            platform.clock.clone(),
        ));
        Ok(Scene {
            stand_in,
            push,
            notifier,
            phone: None,
        })
    }

    /// The owner of `barn` logs in on a phone (data in `dir`) that registers both channels.
    pub async fn farmer_phone(
        &mut self,
        platform: &Platform,
        base_url: &str,
        password: &str,
        barn: BarnId,
        dir: &Path,
    ) -> Result<()> {
        let b = platform.store.barn(barn)?.ok_or("no such barn")?;
        let (owner, name) = (b.owner, b.name);
        let number = (1..=crate::demo_barns::BARNS)
            .map(farmer_phone)
            .find(|n| {
                platform
                    .store
                    .user_by_phone(n)
                    .ok()
                    .flatten()
                    .is_some_and(|(u, _)| u.id == owner)
            })
            .ok_or("the barn's farmer has no account")?;
        // A fresh phone each run: the platform behind it is new too.
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        let store = Arc::new(Store::open_in_dir(dir)?);
        let barns = Barns::new(
            &ClientConfig {
                base_url: base_url.to_owned(),
                extra_roots_pem: None,
            },
            store.clone(),
            Arc::new(MemorySecrets::default()),
        )?;
        let user = barns.login(&number, password).await?;
        // Barn names for the notifications.
        barns
            .sync(&yannong_core::cancel::Cancel::new(false))
            .await?;
        for ch in CHANNELS {
            barns
                .register_push(ch, &format!("{ch}-token-of-{number}"))
                .await?;
        }
        println!(
            "  {} (farmer of barn {barn}) has the app, registered for FCM and MiPush",
            user.name
        );
        let inbox = Inbox::new(store.clone(), vec![platform.alarms.public_key()]);
        self.phone = Some(FarmerPhone {
            barns,
            inbox,
            store,
            barn,
            name,
            me: user.id,
        });
        Ok(())
    }

    /// Plays the scene once the simulated days have run.
    pub async fn play(&self, sim: &Arc<Simulation>, clock: &Clock) -> Result<()> {
        let Some(phone) = &self.phone else {
            return Ok(());
        };
        println!("  alarm scene, {}:", phone.name);
        for s in self.about(phone) {
            println!(
                "    platform escalation {:?} to {}: {}",
                s.via, s.phone, s.text
            );
        }
        self.deliver(phone).await?;
        let me = phone.me;
        let alarm = phone
            .inbox
            .alarms(me)?
            .into_iter()
            .find(|a| a.rule == "A10" && a.barn_id == phone.barn)
            .ok_or("the fan-stop alarm did not reach the phone")?;
        match phone.barns.acknowledge_alarm(alarm.id).await? {
            AckOutcome::Delivered => {
                println!("    farmer acknowledged on the phone: platform has it")
            }
            other => println!("    farmer acknowledged on the phone: {other:?}"),
        }
        run_for(sim, clock, Duration::from_secs(45 * 60)).await?;
        let after = self.about(phone);
        println!(
            "    45 min after the acknowledgement: {} more texts or calls (escalation stopped)",
            after.len()
        );
        sim.clear(phone.barn, Fault::FanStop);
        run_for(sim, clock, Duration::from_secs(30 * 60)).await?;
        self.deliver(phone).await?;
        let now = phone.inbox.alarms(me)?;
        let a10 = now
            .iter()
            .find(|a| a.id == alarm.id)
            .ok_or("alarm left the inbox")?;
        println!(
            "    fan running again: the phone shows A10 {} and acknowledged ({} alarm(s) in its inbox)",
            if a10.cleared_at.is_some() {
                "cleared"
            } else {
                "still active"
            },
            now.len()
        );
        Ok(())
    }

    /// The texts and calls sent about the scene's barn since the last look.
    fn about(&self, phone: &FarmerPhone) -> Vec<yannong_server::alarm::hook::Sent> {
        self.notifier
            .take()
            .into_iter()
            .filter(|s| s.text.contains(&phone.name))
            .collect()
    }

    /// One dispatcher round, then what each stand-in got handed to the phone as its receiver
    /// would: the first copy of an event is new, the other channel's is a duplicate.
    async fn deliver(&self, phone: &FarmerPhone) -> Result<()> {
        self.stand_in.clear();
        let round = self.push.round().await?;
        let me = phone.me;
        let ctx = PlanContext::load(&phone.store, Timestamp::now(), 480, Locale::Zh)?;
        let (mut new, mut dup) = (0, 0);
        for ch in CHANNELS {
            for seen in self.stand_in.seen(standin::send_path(ch)) {
                let raw = standin::phone_payload(ch, &seen);
                match phone.inbox.on_push(ch, &raw, me, Timestamp::now())? {
                    Pushed::Received(Received::New { event, .. }) => {
                        new += 1;
                        if matches!(event.kind, AlarmEventKind::Raised | AlarmEventKind::Cleared) {
                            let name = phone
                                .store
                                .read(|c| local::barn(c, event.alarm.barn_id))?
                                .map(|b| b.name);
                            let p = plan(&event, name.as_deref(), &ctx);
                            println!(
                                "    {ch} delivered event {} ({} bytes signed): {:?} \"{}\" on channel {}{}",
                                event.seq,
                                raw.len(),
                                p.action,
                                p.title,
                                p.channel_id,
                                if p.breaks_quiet_hours {
                                    ", may break quiet hours"
                                } else {
                                    ""
                                }
                            );
                        }
                    }
                    Pushed::Received(Received::Duplicate) => dup += 1,
                    Pushed::CatchUp { .. } => {}
                }
            }
        }
        println!(
            "    push round: {} sent to the FCM and MiPush stand-ins; phone inbox: {new} new, {dup} duplicates ignored",
            round.delivered
        );
        Ok(())
    }
}

/// Advances the simulation by `d` in 5-minute ticks (the alarm clock runs after each).
async fn run_for(sim: &Arc<Simulation>, clock: &Clock, d: Duration) -> Result<()> {
    let step = Duration::from_secs(300);
    for _ in 0..(d.as_secs() / step.as_secs()) {
        clock.advance(step);
        let s = sim.clone();
        tokio::task::spawn_blocking(move || s.tick()).await??;
    }
    Ok(())
}

/// The entries `keys` of a JSON object, as JSON text.
fn serde_json_pick(all: &serde_json::Value, keys: &[&str]) -> String {
    let picked: serde_json::Map<String, serde_json::Value> = keys
        .iter()
        .filter_map(|k| all.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    serde_json::Value::Object(picked).to_string()
}
