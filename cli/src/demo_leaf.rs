//! The demo's leaf check (慧眼识烟): three bundled CC BY photos through the shipped model.

use std::path::Path;

use crate::Result;
use crate::leaf::{CheckArgs, check_file, describe};

/// The bundled photos (attribution: cli/demo-photos/ATTRIBUTION.md).
pub const PHOTOS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo-photos");

pub fn run() -> Result<()> {
    println!(
        "\n慧眼识烟 leaf check — bundled photos (CC BY 4.0, see demo-photos/ATTRIBUTION.md)\n"
    );
    let (checker, opts) = CheckArgs::default().checker()?;
    if let Some(m) = checker.model() {
        let m = m.manifest();
        println!(
            "model {} v{} ({} MB)\n",
            m.name,
            m.version,
            m.size / 1_000_000
        );
    }
    for name in ["alternaria.jpg", "cercospora.jpg", "healthy.jpg"] {
        let path = Path::new(PHOTOS).join(name);
        let answer = check_file(&checker, &opts, &path)?;
        print!("{}", describe(Path::new(name), &answer));
    }
    Ok(())
}
