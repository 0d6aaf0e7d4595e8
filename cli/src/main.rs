//! `yannong`: the command-line face of the core — demo, recipes, curves.

#![allow(clippy::print_stdout)] // a CLI prints

mod demo_alarm;
mod demo_barns;
mod demo_leaf;
mod demo_lessons;
mod leaf;
mod leaf_eval;
mod lessons;
mod pack_media;
mod plot;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use yannong_core::Timestamp;
use yannong_core::curing::{ExpectedCurve, Recipe, builtin_recipe, builtin_recipes};

#[derive(Parser)]
#[command(
    name = "yannong",
    version,
    about = "烟农助手 Yannong: flue-cured tobacco curing assistant"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the default recipes, draw each one's expected curve as a PNG, and build, install
    /// and search the default lesson pack.
    Demo {
        /// Where to write the pictures.
        #[arg(long, default_value = "yannong-demo")]
        out: PathBuf,
    },
    /// List the built-in recipes and the maturity/water adjustments.
    Recipes {
        /// Print the recipes in the JSON exchange format instead.
        #[arg(long)]
        json: bool,
    },
    /// Check leaf photos (慧眼识烟) and evaluate the check on labelled photos.
    #[command(subcommand)]
    Leaf(leaf::LeafCommand),
    /// Build, sign and verify offline lesson packs.
    #[command(subcommand)]
    Lessons(lessons::LessonsCommand),
    /// Print a recipe's expected curve, step by step, and optionally draw it.
    Curve {
        /// Built-in recipe id, with adjustments if wanted: `middle`, `upper+under-ripe+high-water`.
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        recipe: Option<String>,
        /// A recipe in the JSON exchange format instead of a built-in.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Outside temperature at the start, °C.
        #[arg(long, default_value_t = 25.0)]
        ambient: f64,
        /// Write the curve as a PNG picture here.
        #[arg(long)]
        png: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("yannong: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Demo { out } => demo(&out),
        Command::Lessons(cmd) => lessons::run(cmd),
        Command::Leaf(cmd) => leaf::run(cmd),
        Command::Recipes { json } => {
            if json {
                let all: Vec<String> = builtin_recipes().iter().map(Recipe::to_json).collect();
                println!("[\n{}\n]", all.join(",\n"));
            } else {
                print!("{}", report::recipes_table());
            }
            Ok(())
        }
        Command::Curve {
            recipe,
            file,
            ambient,
            png,
        } => {
            let recipe = match (recipe, file) {
                (_, Some(path)) => Recipe::from_json(
                    &std::fs::read_to_string(&path)
                        .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
                )?,
                (Some(id), None) => builtin_recipe(&id)
                    .ok_or_else(|| format!("no built-in recipe `{id}` (see `yannong recipes`)"))?,
                (None, None) => unreachable!("clap requires --recipe or --file"),
            };
            let curve = ExpectedCurve::new(&recipe, Timestamp(0), ambient, &[])?;
            print!("{}", report::curve_table(&recipe, &curve));
            if let Some(path) = png {
                plot::draw_curve(&recipe, &curve, &path)?;
                println!("picture: {}", path.display());
            }
            Ok(())
        }
    }
}

fn demo(out: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    println!("烟农助手 Yannong — default curing recipes (三段式烘烤)\n");
    print!("{}", report::recipes_table());
    for recipe in builtin_recipes() {
        let curve = ExpectedCurve::new(recipe, Timestamp(0), 25.0, &[])?;
        println!();
        print!("{}", report::curve_table(recipe, &curve));
        let path = out.join(format!("curve-{}.png", recipe.id));
        plot::draw_curve(recipe, &curve, &path)?;
        println!("picture: {}", path.display());
    }
    demo_lessons::run(out)?;
    demo_leaf::run()?;
    let phone = demo_barns::run(out, &out.join("data"))?;
    demo_barns::report(&phone, out)
}
