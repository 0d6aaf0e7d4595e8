//! All recipes a user can pick: the built-ins plus the technician's custom ones in the store.

use std::sync::Arc;

use rusqlite::{OptionalExtension, params};

use super::builtin::{ADJUSTMENT_SEPARATOR, builtin_recipe, builtin_recipes};
use super::error::RecipeError;
use super::recipe::Recipe;
use crate::Timestamp;
use crate::store::{Store, StoreError};

/// Where a recipe comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipeSource {
    BuiltIn,
    Custom,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecipeEntry {
    pub recipe: Recipe,
    pub source: RecipeSource,
}

/// Recipes backed by the store.
#[derive(Debug, Clone)]
pub struct RecipeBook {
    store: Arc<Store>,
}

impl RecipeBook {
    pub fn new(store: Arc<Store>) -> RecipeBook {
        RecipeBook { store }
    }

    /// Built-ins first (lower, middle, upper), then custom recipes by id.
    pub fn list(&self) -> Result<Vec<RecipeEntry>, RecipeError> {
        let mut out: Vec<RecipeEntry> = builtin_recipes()
            .iter()
            .map(|r| RecipeEntry {
                recipe: r.clone(),
                source: RecipeSource::BuiltIn,
            })
            .collect();
        let rows: Vec<(String, String)> = self.store.read(|c| {
            let mut stmt = c.prepare("SELECT id, json FROM custom_recipes ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>().map_err(StoreError::from)
        })?;
        for (id, json) in rows {
            out.push(RecipeEntry {
                recipe: parse_stored(&id, &json)?,
                source: RecipeSource::Custom,
            });
        }
        Ok(out)
    }

    /// A recipe by id: built-in (with adjustments, e.g. `upper+high-water`) or custom.
    pub fn get(&self, id: &str) -> Result<RecipeEntry, RecipeError> {
        if let Some(recipe) = builtin_recipe(id) {
            return Ok(RecipeEntry {
                recipe,
                source: RecipeSource::BuiltIn,
            });
        }
        let json: Option<String> = self.store.read(|c| {
            c.query_row("SELECT json FROM custom_recipes WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(StoreError::from)
        })?;
        match json {
            Some(json) => Ok(RecipeEntry {
                recipe: parse_stored(id, &json)?,
                source: RecipeSource::Custom,
            }),
            None => Err(RecipeError::NotFound(id.to_owned())),
        }
    }

    /// Validates a recipe in the exchange format and saves it, replacing a custom recipe with
    /// the same id. Built-in ids are refused so a shipped recipe can never be shadowed.
    pub fn import_json(&self, json: &str) -> Result<Recipe, RecipeError> {
        let recipe = Recipe::from_json(json)?;
        if recipe.id.contains(ADJUSTMENT_SEPARATOR) {
            return Err(RecipeError::field(
                "id",
                format!("配方编号不能包含 “{ADJUSTMENT_SEPARATOR}”"),
                format!("custom recipe ids cannot contain `{ADJUSTMENT_SEPARATOR}`"),
            ));
        }
        if builtin_recipes().iter().any(|b| b.id == recipe.id) {
            return Err(RecipeError::BuiltIn(recipe.id));
        }
        let now = Timestamp::now().millis();
        let stored = recipe.to_json();
        self.store.write(|tx| {
            tx.execute(
                "INSERT INTO custom_recipes (id, json, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT (id) DO UPDATE SET json = excluded.json, updated_at = excluded.updated_at",
                params![recipe.id, stored, now],
            )
            .map_err(StoreError::from)
        })?;
        tracing::info!(id = %recipe.id, steps = recipe.steps.len(), "custom recipe saved");
        Ok(recipe)
    }

    /// The recipe in the exchange format, ready to share.
    pub fn export_json(&self, id: &str) -> Result<String, RecipeError> {
        Ok(self.get(id)?.recipe.to_json())
    }

    /// Deletes a custom recipe.
    pub fn delete(&self, id: &str) -> Result<(), RecipeError> {
        if builtin_recipe(id).is_some() {
            return Err(RecipeError::BuiltIn(id.to_owned()));
        }
        let n = self.store.write(|tx| {
            tx.execute("DELETE FROM custom_recipes WHERE id = ?1", [id])
                .map_err(StoreError::from)
        })?;
        if n == 0 {
            return Err(RecipeError::NotFound(id.to_owned()));
        }
        tracing::info!(id, "custom recipe deleted");
        Ok(())
    }
}

/// Stored JSON was validated on the way in; failing now means the file was damaged.
fn parse_stored(id: &str, json: &str) -> Result<Recipe, RecipeError> {
    Recipe::from_json(json)
        .map_err(|e| StoreError::Corrupt(format!("custom recipe `{id}`: {e}")).into())
}
