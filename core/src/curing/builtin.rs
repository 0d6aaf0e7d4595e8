//! The shipped recipes, from `data/*.json`, and the recipe for a given load.

use std::sync::LazyLock;

use super::adjust::adjustments;
use super::error::RecipeError;
use super::recipe::{LeafPosition, Maturity, Recipe, WaterContent};
use crate::Text;

static BUILTIN: LazyLock<Vec<Recipe>> = LazyLock::new(|| {
    [
        include_str!("data/lower.json"),
        include_str!("data/middle.json"),
        include_str!("data/upper.json"),
    ]
    .into_iter()
    .map(|json| {
        Recipe::from_json(json).unwrap_or_else(|e| panic!("a built-in recipe is invalid: {e}"))
    })
    .collect()
});

/// Separates a base recipe id from the adjustments applied to it: `middle+under-ripe`.
pub const ADJUSTMENT_SEPARATOR: char = '+';

/// The shipped base recipes: lower, middle and upper leaves.
pub fn builtin_recipes() -> &'static [Recipe] {
    &BUILTIN
}

/// A built-in recipe by id, including derived ids such as `upper+high-water`.
pub fn builtin_recipe(id: &str) -> Option<Recipe> {
    let mut parts = id.split(ADJUSTMENT_SEPARATOR);
    let base_id = parts.next()?;
    let base = BUILTIN.iter().find(|r| r.id == base_id)?;
    let mut recipe = base.clone();
    let mut applied = Vec::new();
    for adj_id in parts {
        let adj = adjustments().iter().find(|a| a.id == adj_id)?;
        if applied.contains(&adj_id) {
            return None;
        }
        applied.push(adj_id);
        adj.apply(&mut recipe);
        recipe.name = Text::new(
            format!("{}（{}）", recipe.name.zh, adj.name.zh),
            format!("{} ({})", recipe.name.en, adj.name.en),
        );
        recipe.description = Text::new(
            format!("{} {}", recipe.description.zh, adj.notes.zh),
            format!("{} {}", recipe.description.en, adj.notes.en),
        );
    }
    recipe.id = id.to_owned();
    recipe.validate().ok()?;
    Some(recipe)
}

/// The recommended recipe for a load: the base recipe for its leaf position with the maturity
/// and water adjustments applied.
pub fn recipe_for_leaf(
    position: LeafPosition,
    maturity: Maturity,
    water: WaterContent,
) -> Result<Recipe, RecipeError> {
    let mut id = position.key().to_owned();
    let wanted = adjustments()
        .iter()
        .filter(|a| a.applies_to_maturity(maturity) || a.applies_to_water(water));
    for adj in wanted {
        id.push(ADJUSTMENT_SEPARATOR);
        id.push_str(&adj.id);
    }
    builtin_recipe(&id).ok_or(RecipeError::NotFound(id))
}
