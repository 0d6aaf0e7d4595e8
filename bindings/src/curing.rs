//! Curing recipes and curves on the `Yannong` object.

use std::sync::Arc;
use std::time::Duration;

use yannong_core::Timestamp;
use yannong_core::cancel::Cancel;
use yannong_core::curing::{self as core, RecipeBook, RecipeEntry, RecipeSource as CoreSource};
use yannong_core::text::Locale;

use crate::runtime::blocking;
use crate::types::{
    CureTimeline, DEFAULT_AMBIENT_C, DeviationReport, ExpectedCurve, LeafMaturity, LeafPosition,
    Reading, Recipe, WaterContent,
};
use crate::{Yannong, YannongError};

/// Finest curve resolution a caller may ask for; a phone chart never needs more.
const MIN_RESOLUTION: Duration = Duration::from_secs(1);

impl Yannong {
    fn book(&self) -> RecipeBook {
        RecipeBook::new(Arc::clone(&self.store))
    }

    /// Runs a recipe-book operation off the caller's thread, mapping errors in the user's locale.
    async fn with_book<T, F>(&self, f: F) -> Result<T, YannongError>
    where
        T: Send + 'static,
        F: FnOnce(RecipeBook, &Cancel) -> Result<T, core::RecipeError> + Send + 'static,
    {
        let (book, locale) = (self.book(), self.locale);
        blocking(move |cancel| f(book, cancel).map_err(|e| YannongError::from_recipe(e, locale)))
            .await
    }
}

#[uniffi::export]
impl Yannong {
    /// Built-in recipes (lower, middle, upper leaves) followed by custom ones.
    pub async fn list_recipes(&self) -> Result<Vec<Recipe>, YannongError> {
        let locale = self.locale;
        self.with_book(move |book, _| {
            Ok(book
                .list()?
                .into_iter()
                .map(|e| Recipe::new(e, locale))
                .collect())
        })
        .await
    }

    /// A recipe by id; built-in ids may carry adjustments, e.g. `upper+high-water`.
    pub async fn get_recipe(&self, id: String) -> Result<Recipe, YannongError> {
        let locale = self.locale;
        self.with_book(move |book, _| Ok(Recipe::new(book.get(&id)?, locale)))
            .await
    }

    /// The recommended recipe for a load of leaves, with maturity and water adjustments.
    pub async fn recipe_for_leaf(
        &self,
        position: LeafPosition,
        maturity: LeafMaturity,
        water: WaterContent,
    ) -> Result<Recipe, YannongError> {
        let locale = self.locale;
        self.with_book(move |_, _| {
            let recipe = core::recipe_for_leaf(position.into(), maturity.into(), water.into())?;
            let entry = RecipeEntry {
                recipe,
                source: CoreSource::BuiltIn,
            };
            Ok(Recipe::new(entry, locale))
        })
        .await
    }

    /// Validates and saves a recipe in the JSON exchange format (replacing a custom recipe of the
    /// same id). Invalid recipes fail with `InvalidInput` naming the step and field.
    pub async fn import_recipe(&self, json: String) -> Result<Recipe, YannongError> {
        let locale = self.locale;
        self.with_book(move |book, _| {
            let recipe = book.import_json(&json)?;
            let entry = RecipeEntry {
                recipe,
                source: CoreSource::Custom,
            };
            Ok(Recipe::new(entry, locale))
        })
        .await
    }

    /// The recipe in the JSON exchange format, to share with another technician.
    pub async fn export_recipe(&self, id: String) -> Result<String, YannongError> {
        self.with_book(move |book, _| book.export_json(&id)).await
    }

    /// Deletes a custom recipe; built-ins cannot be deleted.
    pub async fn delete_recipe(&self, id: String) -> Result<(), YannongError> {
        self.with_book(move |book, _| book.delete(&id)).await
    }

    /// Expected set points of a cure, sampled every `resolution` (at least one second).
    pub async fn expected_curve(
        &self,
        timeline: CureTimeline,
        resolution: Duration,
    ) -> Result<ExpectedCurve, YannongError> {
        if resolution < MIN_RESOLUTION {
            return Err(YannongError::InvalidInput {
                detail: match self.locale {
                    Locale::Zh => "曲线采样间隔至少 1 秒".to_owned(),
                    Locale::En => "curve resolution must be at least one second".to_owned(),
                },
                field: Some("resolution".to_owned()),
                step: None,
            });
        }
        let every_ms = i64::try_from(resolution.as_millis()).unwrap_or(i64::MAX);
        self.with_book(move |book, cancel| {
            let curve = build_curve(&book, &timeline)?;
            let points = curve.sample(every_ms, cancel)?;
            Ok(ExpectedCurve::new(timeline.recipe_id, &curve, &points))
        })
        .await
    }

    /// Compares readings with the cure's expected curve, per reading and per step.
    pub async fn deviations(
        &self,
        timeline: CureTimeline,
        readings: Vec<Reading>,
    ) -> Result<DeviationReport, YannongError> {
        self.with_book(move |book, _| {
            let curve = build_curve(&book, &timeline)?;
            let readings: Vec<core::Reading> = readings.iter().map(Into::into).collect();
            Ok(core::deviations(&curve, &readings, core::Tolerance::default()).into())
        })
        .await
    }
}

fn build_curve(
    book: &RecipeBook,
    timeline: &CureTimeline,
) -> Result<core::ExpectedCurve, core::RecipeError> {
    let recipe = book.get(&timeline.recipe_id)?.recipe;
    let advances: Vec<Timestamp> = timeline
        .step_advances
        .iter()
        .map(|&t| Timestamp::from(t))
        .collect();
    core::ExpectedCurve::new(
        &recipe,
        Timestamp::from(timeline.start),
        timeline.ambient_c.unwrap_or(DEFAULT_AMBIENT_C),
        &advances,
    )
}
