//! The barn part of `yannong demo`: the embedded platform with 53 simulated barns on a
//! loopback port, a few simulated days run as fast as the CPU allows (two barns get a fault
//! near the end), then the phone's own code logs in as the technician, syncs, ranks the barns
//! by urgency and draws each barn's measured curve against its recipe.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use yannong_core::Timestamp;
use yannong_core::barn::api::{BarnId, Severity};
use yannong_core::barn::{
    Barns, ClientConfig, MemorySecrets, analysis, curve_view, local, overview,
};
use yannong_core::cancel::Cancel;
use yannong_core::store::Store;
use yannong_server::alarm::RecordingNotifier;
use yannong_server::clock::Clock;
use yannong_server::platform::Platform;
use yannong_server::sim::Fault;
use yannong_server::simulate::{Simulation, TECHNICIAN_PHONE};
use yannong_server::store::SqliteStore;

use crate::demo_alarm::Scene;
use crate::{Result, plot};

pub const BARNS: usize = 53;
const DAYS: u64 = 3;
/// Demo accounts only; printed so a reader can log in to the platform the demo leaves behind.
const DEMO_PASSWORD: &str = "yannong-demo";

/// Runs the platform and the simulation, then syncs the phone store in `data`; returns the
/// phone's store for the views.
pub fn run(out: &Path, data: &Path) -> Result<Arc<Store>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run_async(out, data))
}

async fn run_async(out: &Path, data: &Path) -> Result<Arc<Store>> {
    let platform_dir = out.join("platform");
    if platform_dir.exists() {
        std::fs::remove_dir_all(&platform_dir)?;
    }
    std::fs::create_dir_all(&platform_dir)?;
    let store = Arc::new(SqliteStore::open(&platform_dir.join("platform.db"))?);
    // The simulated days end now, so "last updated" on the phone reads as it would live.
    let clock = Clock::manual(Timestamp::now().add_hours(-(DAYS as f64) * 24.0));
    let notifier = Arc::new(RecordingNotifier::default());
    let platform = Platform::new(store, clock.clone()).with_notifier(notifier.clone());
    let mut scene = Scene::start(&platform, notifier).await?;

    let started = Instant::now();
    let p = platform.clone();
    let sim = Arc::new(
        tokio::task::spawn_blocking(move || Simulation::seed(p, BARNS, DEMO_PASSWORD)).await??,
    );
    sim.set_picture_interval(Duration::from_secs(6 * 3600));
    let (listener, addr) = yannong_server::serve::bind("127.0.0.1:0".parse()?).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(yannong_server::serve::serve(
        listener,
        platform.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    println!(
        "\n烘烤科学家 — embedded platform on http://{addr}: {BARNS} simulated heat-pump barns, \
         technician {TECHNICIAN_PHONE} / {DEMO_PASSWORD}"
    );

    let ids = sim.barn_ids();
    // (preferred barn, fault, hour): the fault goes to the first barn from the preferred one
    // on that is still mid-cure then, since which cures have ended depends on the simulated
    // weather, which follows the time of day the demo runs.
    let faults = [
        (6, Fault::FanStop, DAYS * 24 - 3),
        (18, Fault::PowerLoss, DAYS * 24 - 2),
    ];
    let mut faulty = Vec::new();
    for hour in 0..DAYS * 24 {
        for (preferred, fault, at) in faults {
            if hour == at {
                let barn = mid_cure(&platform, &ids, preferred, &faulty)?;
                if fault == Fault::FanStop {
                    let url = format!("http://{addr}");
                    let dir = out.join("farmer-phone");
                    scene
                        .farmer_phone(&platform, &url, DEMO_PASSWORD, barn, &dir)
                        .await?;
                }
                sim.inject(barn, fault);
                faulty.push(barn);
                println!("  simulated hour {hour}: {fault:?} in barn {barn}");
            }
        }
        clock.advance(Duration::from_secs(3600));
        let s = sim.clone();
        tokio::task::spawn_blocking(move || s.tick()).await??;
    }
    println!(
        "  ran {DAYS} simulated days of {BARNS} barns in {:.1?}",
        started.elapsed()
    );

    print_alarms(&platform)?;
    scene.play(&sim, &clock).await?;

    let phone_store = Arc::new(Store::open_in_dir(data)?);
    let phone = Barns::new(
        &ClientConfig {
            base_url: format!("http://{addr}"),
            extra_roots_pem: None,
        },
        phone_store.clone(),
        Arc::new(MemorySecrets::default()),
    )?;
    let user = phone.login(TECHNICIAN_PHONE, DEMO_PASSWORD).await?;
    let t = Instant::now();
    let report = phone.sync(&Cancel::new(false)).await?;
    println!(
        "  phone logged in as {} and synced {} barns, {} cures, {} readings, {} pictures in {} pages ({:.1?})",
        user.name,
        report.barns,
        report.curings,
        report.readings,
        report.images,
        report.pages,
        t.elapsed()
    );
    let _ = stop.send(());
    server.await??;
    Ok(phone_store)
}

/// The alarms the platform's rule engine raised from the simulated readings, as the
/// technician's account sees them.
fn print_alarms(platform: &Platform) -> Result<()> {
    let Some((technician, _)) = platform.store.user_by_phone(TECHNICIAN_PHONE)? else {
        return Err("the simulation has no technician account".into());
    };
    let alarms = platform.store.alarms(&technician, true, 20)?;
    println!("  platform alarms (rule engine, {} open):", alarms.len());
    for a in &alarms {
        let barn = platform
            .store
            .barn(a.barn_id)?
            .map_or_else(|| a.barn_id.to_string(), |b| b.name);
        let severity = match a.severity {
            Severity::Critical => "严重",
            Severity::Major => "重要",
            Severity::Minor => "一般",
            Severity::Info => "提示",
        };
        println!(
            "    {barn} {} {severity} {}: {}",
            a.rule, a.title.zh, a.action.zh
        );
    }
    Ok(())
}

/// The first barn from `ids[preferred]` on (wrapping) that is not in `taken` and whose cure is
/// running with at least its last two steps (stem drying) ahead.
fn mid_cure(
    platform: &Platform,
    ids: &[BarnId],
    preferred: usize,
    taken: &[BarnId],
) -> Result<BarnId> {
    for &id in ids.iter().cycle().skip(preferred).take(ids.len()) {
        let cure = platform.store.curings(id)?.into_iter().last();
        if !taken.contains(&id)
            && cure.is_some_and(|c| {
                c.finished_at.is_none() && (c.current_step as usize) + 2 < c.recipe.0.steps.len()
            })
        {
            return Ok(id);
        }
    }
    Err("no simulated barn is mid-cure to take a fault".into())
}

/// Rated electrical input of the simulated barns' heat pumps (60 kW heat at COP ~3), for the
/// energy proxy.
const HEAT_PUMP_INPUT_KW: f64 = 20.0;
/// Screen points per curve picture: what a phone chart would ask `curve_view` for.
const CHART_POINTS: usize = 600;

/// Prints the barns by urgency and writes `out/barn-<id>.png`, all from the phone's store.
pub fn report(store: &Store, out: &Path) -> Result<()> {
    let now = Timestamp::now();
    let rows = overview::overview(store, now)?;
    println!("\n  barns by urgency (from the phone's local copy):");
    println!(
        "  {:<10} {:<8} {:>7} {:>7} {:>6}  why",
        "barn", "step", "DB °C", "set °C", "score"
    );
    for row in rows.iter().take(12) {
        let r = row.latest.as_ref();
        let fmt = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.1}"));
        let why: Vec<&str> = row.reasons.iter().map(|t| t.zh.as_str()).collect();
        println!(
            "  {:<10} {:<8} {:>7} {:>7} {:>6}  {}",
            row.barn.name,
            row.step.as_ref().map_or("-", |t| t.zh.as_str()),
            fmt(r.map(|r| r.dry_bulb_c)),
            fmt(r.and_then(|r| r.dry_bulb_set_c)),
            row.urgency,
            if why.is_empty() {
                "正常".to_owned()
            } else {
                why.join("；")
            },
        );
    }
    println!("  … {} barns in all", rows.len());
    // 过程分析 of the most urgent barn's cure, as the technician's screen would show it.
    if let Some(top) = rows.first()
        && let Some((curing, readings)) = store.read(|c| local::latest_cure(c, top.barn.id, now))?
        && let Some(a) = analysis::analyse(&curing, &readings, now, HEAT_PUMP_INPUT_KW)
    {
        println!("\n  {} 过程分析: {}", top.barn.name, a.summary.zh);
        println!(
            "  heating energy proxy {:.0} kWh at {HEAT_PUMP_INPUT_KW} kW rated input",
            a.heating_kwh
        );
    }

    let mut written = 0;
    for row in &rows {
        let Some(view) = curve_view::curve_view(store, row.barn.id, CHART_POINTS, now)? else {
            continue;
        };
        let start = view.curing.started_at;
        let measured: Vec<plot::Measured> = view
            .measured
            .iter()
            .map(|p| (p.at.hours_since(start), p.dry_bulb_c, p.wet_bulb_c))
            .collect();
        let off: Vec<(f64, f64)> = view
            .excursions
            .iter()
            .map(|e| (e.from.hours_since(start), e.to.hours_since(start)))
            .collect();
        let title = format!(
            "barn {} ({}, {} readings shown as {}): measured vs recipe {}",
            row.barn.id,
            view.curing.recipe.0.id,
            view.readings,
            measured.len(),
            row.step.as_ref().map_or("", |t| t.en.as_str())
        );
        plot::draw_barn(
            &title,
            &view.expected,
            &measured,
            &off,
            &out.join(format!("barn-{}.png", row.barn.id)),
        )?;
        written += 1;
    }
    println!(
        "  wrote {written} curve pictures: {}",
        out.join("barn-<id>.png").display()
    );
    Ok(())
}
