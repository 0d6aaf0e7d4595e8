//! The lessons part of `yannong demo`: build and sign the default pack, publish it on an
//! embedded platform, download it to a phone library over HTTP (file by file, verified),
//! search it and write one lesson as the web page the app would show.

use std::path::Path;
use std::sync::Arc;

use yannong_core::barn::ClientConfig;
use yannong_core::cancel::Cancel;
use yannong_core::lessons::download::{DownloadOptions, DownloadPhase, PackDownloader};
use yannong_core::lessons::{LessonLibrary, LinkKind, PackSigner, TrustedKeys, build_pack};
use yannong_core::store::Store;
use yannong_server::clock::Clock;
use yannong_server::lessons::Shelf;
use yannong_server::platform::Platform;
use yannong_server::store::SqliteStore;

use crate::Result;

/// The content folder of the default pack, found from the working directory or the binary.
fn default_content() -> Option<std::path::PathBuf> {
    let candidates = [
        Path::new("content/default").to_path_buf(),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../content/default"),
    ];
    candidates
        .into_iter()
        .find(|p| p.join("pack.toml").is_file())
}

pub fn run(out: &Path) -> Result<()> {
    let Some(content) = default_content() else {
        println!("\nlessons: content/default not found; run the demo from the repository root");
        return Ok(());
    };
    // A throw-away key: the demo plays both the platform that signs and the app that trusts.
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("no randomness: {e}"))?;
    let signer = PackSigner::from_seed(seed);
    let (manifest, archive) = build_pack(&content, &signer)?;
    let pack_file = out.join(format!("{}-v{}.ynpack", manifest.id, manifest.version));
    std::fs::write(&pack_file, &archive)?;
    let keys = || TrustedKeys::from_hex([signer.public_key_hex().as_str()]);

    // The platform's side: a shelf that verified the pack before serving it.
    let platform_dir = out.join("lesson-platform");
    if platform_dir.exists() {
        std::fs::remove_dir_all(&platform_dir)?;
    }
    let shelf = Arc::new(Shelf::open(&platform_dir.join("shelf"), keys()?)?);
    shelf.publish(archive.as_slice())?;
    let store = Arc::new(SqliteStore::open(&platform_dir.join("platform.db"))?);
    let platform = Platform::new(store, Clock::real()).with_lessons(shelf);

    // The phone's side: an empty library that trusts the signing key.
    let data = out.join("data");
    let library = Arc::new(LessonLibrary::open(
        Arc::new(Store::open_in_dir(&data)?),
        data.join("lessons"),
        keys()?,
    )?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(download(platform, &library, &manifest.id))?;
    println!(
        "\n烟叶生产技术小课堂 — {} lessons, pack {} ({} bytes, signed, verified, installed)",
        manifest.lessons.len(),
        pack_file.display(),
        archive.len()
    );
    for query in ["烘烤变黄", "hongkao", "赤星病"] {
        let hits = library.search(query, 3)?;
        let titles: Vec<&str> = hits.iter().map(|h| h.title.as_str()).collect();
        println!("  search {query:<8} → {}", titles.join(" · "));
    }
    let for_power_cut = library.lessons_for(LinkKind::Alarm, "A09")?;
    let titles: Vec<&str> = for_power_cut.iter().map(|l| l.title.zh.as_str()).collect();
    println!("  alarm A09 (停电) → 学一学: {}", titles.join(" · "));
    if let Some(lesson) = manifest.lessons.iter().find(|l| l.id == "yellowing-stage") {
        let page = out.join(format!("lesson-{}.html", lesson.id));
        std::fs::write(&page, library.lesson_page(&manifest.id, &lesson.id)?)?;
        println!("  lesson page: {}", page.display());
    }
    Ok(())
}

/// Serves `platform` on loopback while the phone downloads `pack_id` from it.
async fn download(platform: Platform, library: &Arc<LessonLibrary>, pack_id: &str) -> Result<()> {
    let (listener, addr) = yannong_server::serve::bind("127.0.0.1:0".parse()?).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(yannong_server::serve::serve(
        listener,
        platform,
        async move {
            let _ = stopped.await;
        },
    ));
    let config = ClientConfig {
        base_url: format!("http://{addr}"),
        extra_roots_pem: None,
    };
    let downloader = PackDownloader::new(&config, DownloadOptions::default())?;
    let offered = downloader.updates(library).await?;
    let names: Vec<String> = offered
        .iter()
        .map(|p| format!("{} v{}", p.id, p.version))
        .collect();
    println!(
        "\nlesson packs offered by http://{addr}: {}",
        names.join(", ")
    );
    let mut total = 0;
    let report = downloader
        .download(
            library,
            pack_id,
            &mut |p| {
                if p.phase == DownloadPhase::Done {
                    total = p.bytes_total;
                }
            },
            &Cancel::new(false),
        )
        .await?;
    println!(
        "  downloaded {} files ({} of {total} bytes over the network, byte ranges, resumable), \
         checked every SHA-256 and the signature, installed atomically",
        report.fetched_files, report.fetched_bytes
    );
    let _ = stop.send(());
    server.await??;
    Ok(())
}
