//! Curing recipes (三段式烘烤) and the curves they imply.
//!
//! A [`Recipe`] is data: the built-in ones and the maturity/water adjustments live in `data/`
//! as JSON, in the same format technicians import and export. [`ExpectedCurve`] turns a recipe
//! and a start time into set points over time; [`deviations`] compares readings with it.

mod adjust;
mod book;
mod builtin;
mod curve;
mod deviation;
mod error;
mod json;
mod recipe;

pub use adjust::{Adjustment, adjustments};
pub use book::{RecipeBook, RecipeEntry, RecipeSource};
pub use builtin::{builtin_recipe, builtin_recipes, recipe_for_leaf};
pub use curve::{CurvePoint, ExpectedCurve, Knot, StepWindow};
pub use deviation::{
    DeviationReport, Reading, ReadingDeviation, StepDeviation, Tolerance, deviations,
};
pub use error::RecipeError;
pub use recipe::{LeafPosition, Maturity, Recipe, Stage, Step, WaterContent};

#[cfg(test)]
mod tests;
