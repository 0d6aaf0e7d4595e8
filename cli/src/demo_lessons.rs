//! The lessons part of `yannong demo`: build the default pack, install it into a library in
//! the demo folder, search it and write one lesson as the web page the app would show.

use std::path::Path;
use std::sync::Arc;

use yannong_core::cancel::Cancel;
use yannong_core::lessons::{LessonLibrary, LinkKind, PackSigner, TrustedKeys, build_pack};
use yannong_core::store::Store;

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

    let data = out.join("data");
    let store = Arc::new(Store::open_in_dir(&data)?);
    let keys = TrustedKeys::from_hex([signer.public_key_hex().as_str()])?;
    let library = LessonLibrary::open(store, data.join("lessons"), keys)?;
    library.install(archive.as_slice(), &Cancel::new(false))?;
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
