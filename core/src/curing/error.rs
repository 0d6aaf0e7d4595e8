use crate::Text;
use crate::store::StoreError;

/// Why a recipe could not be read, stored or used. Validation errors name the step and field so
/// an editor can point at the exact box to fix.
#[derive(Debug, thiserror::Error)]
pub enum RecipeError {
    #[error("recipe JSON is malformed at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("recipe JSON is {bytes} bytes; the limit is {limit}")]
    TooLarge { bytes: usize, limit: usize },
    #[error("recipe field `{field}`: {}", reason.en)]
    Field { field: &'static str, reason: Text },
    #[error("step {} ({code}), field `{field}`: {}", index + 1, reason.en)]
    Step {
        /// Zero-based index of the offending step.
        index: usize,
        code: String,
        field: &'static str,
        reason: Text,
    },
    #[error("no recipe with id `{0}`")]
    NotFound(String),
    #[error("recipe `{0}` is built in and cannot be replaced or deleted; import it under a new id")]
    BuiltIn(String),
    #[error("operator step advances: {}", .0.en)]
    Advances(Text),
    #[error("cancelled")]
    Cancelled,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RecipeError {
    pub(crate) fn field(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        RecipeError::Field {
            field,
            reason: Text::new(zh, en),
        }
    }

    /// The explanation in both languages, for user-facing messages.
    pub fn reason(&self) -> Option<&Text> {
        match self {
            RecipeError::Field { reason, .. }
            | RecipeError::Step { reason, .. }
            | RecipeError::Advances(reason) => Some(reason),
            _ => None,
        }
    }
}
