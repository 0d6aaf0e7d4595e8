//! `yannong leaf …`: check leaf photos and evaluate the leaf check on a labelled manifest.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Subcommand, ValueEnum};
use yannong_core::cancel::Cancel;
use yannong_core::curing::LeafPosition;
use yannong_core::leaf::model::{LeafModel, MANIFEST_FILE, SIGNATURE_FILE};
use yannong_core::leaf::{
    CheckOptions, Frame, LeafAnswer, LeafChecker, Pixels, PrepareOptions, answer_json,
};
use yannong_core::lessons::PackSigner;

use crate::Result;
use crate::leaf_eval;

/// The model shipped in this repository (`models/leaf`), found at build time.
pub const DEFAULT_MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../models/leaf");

#[derive(Subcommand)]
pub enum LeafCommand {
    /// Check photos (JPEG/PNG): photo quality, maturity, disease, advice.
    Check {
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// Print one JSON object per image (one per line).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        opts: CheckArgs,
    },
    /// Evaluate the check on a labelled manifest (`file,label,…,source_group,…` as in
    /// shared/data/leaf/manifest.csv): per-class table, confusion, "not sure" rate.
    Eval {
        manifest: PathBuf,
        /// Folder the manifest's `file` column is relative to (default: the manifest's folder).
        #[arg(long)]
        root: Option<PathBuf>,
        /// Print the result as JSON instead of tables.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        opts: CheckArgs,
    },
    /// Sign a model folder for delivery to phones (writes `manifest.sig` beside
    /// `manifest.json`; the platform publishes it with `--leaf-model DIR`).
    Sign {
        dir: PathBuf,
        /// File holding the 32-byte Ed25519 signing seed as 64 hex digits.
        #[arg(long)]
        key: PathBuf,
    },
}

#[derive(clap::Args, Clone)]
pub struct CheckArgs {
    /// Model folder (manifest.json + the model file it names).
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: PathBuf,
    /// Check with the colour rule only, without a model.
    #[arg(long, conflicts_with = "model")]
    no_model: bool,
    /// Where on the stalk the leaf grows (harvest advice and recipe depend on it).
    #[arg(long, value_enum, default_value_t = Position::Middle)]
    position: Position,
    /// Side of the centre square to check, as a share of the shorter side; photos from the
    /// gallery are framed already.
    #[arg(long, default_value_t = 1.0)]
    roi: f32,
}

#[derive(Clone, Copy, ValueEnum)]
enum Position {
    Lower,
    Middle,
    Upper,
}

impl Default for CheckArgs {
    /// The shipped model, middle leaves, gallery photos.
    fn default() -> CheckArgs {
        CheckArgs {
            model: PathBuf::from(DEFAULT_MODEL),
            no_model: false,
            position: Position::Middle,
            roi: 1.0,
        }
    }
}

impl CheckArgs {
    pub fn checker(&self) -> Result<(LeafChecker, CheckOptions)> {
        let model = if self.no_model {
            None
        } else {
            Some(Arc::new(LeafModel::load(&self.model).map_err(|e| {
                format!("cannot load the model in {}: {e}", self.model.display())
            })?))
        };
        let opts = CheckOptions {
            prepare: PrepareOptions {
                roi_fraction: self.roi,
                ..PrepareOptions::default()
            },
            position: match self.position {
                Position::Lower => LeafPosition::Lower,
                Position::Middle => LeafPosition::Middle,
                Position::Upper => LeafPosition::Upper,
            },
            ..CheckOptions::default()
        };
        Ok((LeafChecker::new(model), opts))
    }
}

/// Checks one photo file.
pub fn check_file(checker: &LeafChecker, opts: &CheckOptions, path: &Path) -> Result<LeafAnswer> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let frame = Frame::new(Pixels::Encoded(&bytes));
    Ok(checker.check(&frame, opts, &Cancel::new(false))?)
}

pub fn run(cmd: LeafCommand) -> Result<()> {
    match cmd {
        LeafCommand::Check { images, json, opts } => {
            let (checker, opts) = opts.checker()?;
            let mut failed = 0;
            for path in &images {
                match check_file(&checker, &opts, path) {
                    Ok(answer) if json => {
                        let mut v = answer_json(&answer);
                        v["file"] = path.display().to_string().into();
                        println!("{v}");
                    }
                    Ok(answer) => print!("{}", describe(path, &answer)),
                    Err(e) if json => {
                        failed += 1;
                        let v = serde_json::json!({
                            "file": path.display().to_string(), "verdict": "error",
                            "error": e.to_string(),
                        });
                        println!("{v}");
                    }
                    Err(e) => {
                        failed += 1;
                        println!("{}: {e}\n", path.display());
                    }
                }
            }
            if failed > 0 {
                return Err(
                    format!("{failed} of {} photos could not be checked", images.len()).into(),
                );
            }
            Ok(())
        }
        LeafCommand::Eval {
            manifest,
            root,
            json,
            opts,
        } => leaf_eval::run(&manifest, root.as_deref(), json, &opts),
        LeafCommand::Sign { dir, key } => sign(&dir, &key),
    }
}

/// Signs `dir/manifest.json` after checking that the model loads and matches it.
fn sign(dir: &Path, key: &Path) -> Result<()> {
    let seed = std::fs::read_to_string(key)
        .map_err(|e| format!("cannot read the key {}: {e}", key.display()))?;
    let signer = PackSigner::from_seed_hex(&seed)?;
    let model = LeafModel::load(dir)?;
    let manifest_path = dir.join(MANIFEST_FILE);
    let manifest = std::fs::read(&manifest_path)
        .map_err(|e| format!("cannot read {}: {e}", manifest_path.display()))?;
    let sig_path = dir.join(SIGNATURE_FILE);
    std::fs::write(&sig_path, signer.sign(&manifest))
        .map_err(|e| format!("cannot write {}: {e}", sig_path.display()))?;
    let m = model.manifest();
    println!(
        "{} v{} signed with key {} → {}",
        m.name,
        m.version,
        signer.public_key_hex(),
        sig_path.display()
    );
    Ok(())
}

/// The answer in a few readable lines, Chinese first.
pub fn describe(path: &Path, a: &LeafAnswer) -> String {
    let mut out = format!("{}: {}\n", path.display(), a.verdict.key());
    for h in &a.hints {
        out += &format!("  提示 {} / {}\n", h.zh, h.en);
    }
    if let Some(m) = &a.maturity {
        let source = match m.source {
            yannong_core::leaf::MaturitySource::Model => "模型",
            yannong_core::leaf::MaturitySource::Colour => "叶色估计",
        };
        out += &format!(
            "  成熟度 {}（{source}{}）— {}\n",
            m.name.zh,
            if m.sure { "" } else { "，不确定" },
            m.explanation.zh
        );
    }
    if let Some(d) = &a.disease {
        let probs: Vec<String> = d
            .probabilities
            .iter()
            .map(|p| format!("{} {:.0}%", p.name.zh, p.probability * 100.0))
            .collect();
        out += &format!(
            "  病害 {}{} [{}]\n",
            d.top_label().name.zh,
            if d.confident { "" } else { "（看不准）" },
            probs.join(", ")
        );
    }
    if let Some(ad) = &a.advice {
        out += &format!("  建议 {}\n", ad.harvest.zh);
        if let Some(r) = &ad.recipe_name {
            out += &format!("  烘烤工艺 {r}\n", r = r.zh);
        }
        for n in &ad.notes {
            out += &format!("  注意 {}\n", n.zh);
        }
    }
    out.push('\n');
    out
}
