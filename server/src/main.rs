//! `yannong-server`: the reference barn platform, optionally full of simulated barns.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use yannong_core::Timestamp;
use yannong_core::lessons::TrustedKeys;
use yannong_server::clock::Clock;
use yannong_server::lessons::{PublishedModels, Shelf, ShelfError};
use yannong_server::platform::Platform;
use yannong_server::push::{Dispatcher, PushConfig, Vendors};
use yannong_server::serve::{bind, serve};
use yannong_server::simulate::{ADMIN_PHONE, Simulation, TECHNICIAN_PHONE, farmer_phone};
use yannong_server::store::{PlatformStore, SqliteStore};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Yannong reference barn platform (烘烤科学家 back end)"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed on the first line).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Folder of the platform database.
    #[arg(long, default_value = "yannong-platform")]
    data: PathBuf,
    /// Run N simulated barns, each with its farmer, all assigned to one technician.
    #[arg(long, value_name = "N")]
    simulate: Option<usize>,
    /// Simulated seconds per wall-clock second (600: an 8-day cure in about 20 minutes).
    #[arg(long, default_value_t = 600.0)]
    speed: f64,
    /// Password of the simulated accounts. Demo accounts only: never use for real people.
    #[arg(long, default_value = "yannong-demo")]
    demo_password: String,
    /// JSON file with the push vendors' endpoints and credentials (docs/push.md). Without
    /// it, phones get alarms through the event stream and catch-up only.
    #[arg(long, value_name = "FILE")]
    push_config: Option<PathBuf>,
    /// Folder of the published lesson packs (default: `<data>/lessons`).
    #[arg(long, value_name = "DIR")]
    lessons: Option<PathBuf>,
    /// Publish a lesson pack at start (repeatable); publishing a version again is a no-op.
    /// Its optional files (media, not in the archive) are added from `FILE.ynpack.media/`
    /// when that folder exists (`yannong lessons build` writes it); a file there that does
    /// not match the manifest stops the start.
    #[arg(long, value_name = "FILE.ynpack")]
    publish: Vec<PathBuf>,
    /// Ed25519 public key (64 hex digits) whose lesson packs the platform accepts
    /// (repeatable); needed to publish and to serve the packs already published.
    #[arg(long, value_name = "HEX")]
    lesson_key: Vec<String>,
    /// Publish a signed leaf-check model folder at start (manifest.json, manifest.sig and
    /// the model file; `yannong leaf sign` writes the signature), verified with the
    /// `--lesson-key` keys and kept in `<data>/leaf-models`.
    #[arg(long, value_name = "DIR")]
    leaf_model: Vec<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("yannong-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&args.data)?;
    let store = Arc::new(SqliteStore::open(&args.data.join("platform.db"))?);
    let clock = match args.simulate {
        // A restarted simulation goes on from its last reading, not from the wall clock.
        Some(_) => Clock::accelerated(
            store.last_reading_at()?.unwrap_or_else(Timestamp::now),
            args.speed,
        ),
        None => Clock::real(),
    };
    let key = alarm_key(&args.data.join("alarm-signing.key"))?;
    let shelf = lesson_shelf(&args).await?;
    let models = published_models(&args).await?;
    let platform = Platform::with_alarm_key(store, clock, key)
        .with_lessons(Arc::new(shelf))
        .with_models(Arc::new(models));
    if let Some(path) = &args.push_config {
        let vendors = Vendors::new(PushConfig::load(path)?)?;
        let dispatcher = Dispatcher::new(
            platform.store.clone(),
            vendors,
            platform.alarms.public_key(),
            platform.clock.clone(),
        );
        tokio::spawn(Arc::new(dispatcher).run(Duration::from_secs(1)));
    }
    let (listener, addr) = bind(args.listen).await?;
    if args.simulate.is_none() {
        // Simulated barns check the alarm clock after every tick.
        tokio::spawn(platform.clone().run_alarm_clock(Duration::from_secs(30)));
    }
    if let Some(n) = args.simulate {
        let p = platform.clone();
        let password = args.demo_password.clone();
        let sim = tokio::task::spawn_blocking(move || Simulation::seed(p, n, &password)).await??;
        tokio::spawn(Arc::new(sim).run(Duration::from_millis(250)));
        eprintln!(
            "simulating {n} barns at {}x; accounts: technician {TECHNICIAN_PHONE}, admin {ADMIN_PHONE}, \
             farmers {}..{} (demo password from --demo-password)",
            args.speed,
            farmer_phone(1),
            farmer_phone(n)
        );
    }
    // The first line of stdout is the address: scripts and tests read it.
    #[allow(clippy::print_stdout)]
    {
        println!("listening on http://{addr}");
    }
    serve(listener, platform, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// Opens the lesson shelf and publishes the `--publish` packs into it.
async fn lesson_shelf(args: &Args) -> Result<Shelf, Box<dyn std::error::Error>> {
    let dir = args
        .lessons
        .clone()
        .unwrap_or_else(|| args.data.join("lessons"));
    if args.lesson_key.is_empty() && !args.publish.is_empty() {
        return Err("--publish needs the packs' public key: --lesson-key HEX".into());
    }
    let keys = TrustedKeys::from_hex(args.lesson_key.iter().map(String::as_str))?;
    let no_keys = args.lesson_key.is_empty();
    let publish = args.publish.clone();
    // Opening re-verifies every stored version and publishing hashes whole archives.
    let shelf = tokio::task::spawn_blocking(move || -> Result<Shelf, String> {
        let shelf = Shelf::open(&dir, keys).map_err(|e| match e {
            ShelfError::Damaged { .. } if no_keys => format!(
                "{} holds lesson packs: give their public key with --lesson-key HEX ({e})",
                dir.display()
            ),
            e => e.to_string(),
        })?;
        for path in &publish {
            let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let (id, version) = shelf
                .publish(std::io::BufReader::new(file))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!(
                "lesson pack {id} version {version} published from {}",
                path.display()
            );
            add_media(&shelf, &id, version, path)?;
        }
        Ok(shelf)
    })
    .await??;
    Ok(shelf)
}

/// Opens the published leaf models and publishes the `--leaf-model` folders.
async fn published_models(args: &Args) -> Result<PublishedModels, Box<dyn std::error::Error>> {
    let dir = args.data.join("leaf-models");
    if args.lesson_key.is_empty() && !args.leaf_model.is_empty() {
        return Err("--leaf-model needs the signer's public key: --lesson-key HEX".into());
    }
    let keys = TrustedKeys::from_hex(args.lesson_key.iter().map(String::as_str))?;
    let publish = args.leaf_model.clone();
    let models = tokio::task::spawn_blocking(move || -> Result<PublishedModels, String> {
        let models = PublishedModels::open(&dir, keys).map_err(|e| e.to_string())?;
        for path in &publish {
            let version = models
                .publish(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!(
                "leaf model version {version} published from {}",
                path.display()
            );
        }
        Ok(models)
    })
    .await??;
    Ok(models)
}

/// Adds the optional files of a just-published pack found in `<archive>.media/`, laid out
/// by manifest path. Files there that the manifest does not list as optional are ignored.
fn add_media(shelf: &Shelf, id: &str, version: u32, archive: &Path) -> Result<(), String> {
    let mut media = archive.as_os_str().to_owned();
    media.push(".media");
    let media = PathBuf::from(media);
    if !media.is_dir() {
        return Ok(());
    }
    let stored = shelf
        .version(id, version)
        .ok_or_else(|| format!("{id} version {version} vanished from the shelf"))?;
    let optional: Vec<&str> = stored
        .manifest
        .files
        .iter()
        .filter(|f| f.optional)
        .map(|f| f.path.as_str())
        .collect();
    let mut added = 0;
    for rel in &optional {
        let path = media.join(rel);
        if !path.is_file() {
            continue;
        }
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        shelf
            .add_optional(id, version, rel, std::io::BufReader::new(file))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        added += 1;
    }
    eprintln!(
        "lesson pack {id} version {version}: {added} of {} optional files from {}",
        optional.len(),
        media.display()
    );
    Ok(())
}

/// The platform's alarm-signing key, kept beside its database (created on first start,
/// readable by this user only): phones pin its public half, so it must survive restarts.
fn alarm_key(path: &Path) -> Result<ed25519_dalek::SigningKey, Box<dyn std::error::Error>> {
    let mut seed = [0u8; 32];
    match std::fs::read_to_string(path) {
        Ok(text) => hex::decode_to_slice(text.trim(), &mut seed)
            .map_err(|_| format!("{} is not 64 hex digits", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            getrandom::fill(&mut seed).map_err(|e| format!("no OS randomness: {e}"))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            std::io::Write::write_all(&mut options.open(path)?, hex::encode(seed).as_bytes())?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed))
}
