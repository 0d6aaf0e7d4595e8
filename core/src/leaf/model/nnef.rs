//! The NNEF reader for leaf models: the standard NNEF operators, plus the one `tract_core`
//! operator the converted models use (`tract_core_cast`, in tract's properties fragment).
//!
//! Built here rather than with `tract_nnef::nnef()`, which registers every `tract_core`
//! operator (FFT, LSTM, scan, …) and so links them all into the app; with the patched
//! tract-nnef in `third_party/` this keeps 1.8 MB out of the mobile library (docs/size.md).
//! A model using any other tract operator is refused when it is read, with tract's message
//! naming the operator; `models/train/to_nnef.py` refuses to write one.

use tract_nnef::internal::*;
use tract_nnef::resource::{DatLoader, GraphNnefLoader, GraphQuantLoader, ResourceLoader};
use tract_nnef::tract_core::ops::cast::Cast;

/// A reader for leaf model archives: `graph.nnef`, its `.dat` weights and an optional
/// `graph.quant`; no sub-models.
pub(super) fn reader() -> Nnef {
    let mut tract_core = Registry::new("tract_core");
    tract_core.register_primitive(
        "tract_core_cast",
        &[
            TypeName::Scalar.tensor().named("input"),
            TypeName::String.named("to"),
        ],
        &[("output", TypeName::Scalar.tensor())],
        load_cast,
    );
    Nnef {
        stdlib: tract_nnef::framework::stdlib(),
        registries: vec![tract_nnef::ops::tract_nnef(), tract_core],
        resource_loaders: vec![
            GraphNnefLoader.into_boxed(),
            DatLoader.into_boxed(),
            GraphQuantLoader.into_boxed(),
        ],
        allow_extended_identifier_syntax: false,
        extern_all_constants: false,
    }
}

/// `tract_core_cast(input, to = "i64")`, as tract-nnef reads it for unquantised types.
fn load_cast(
    builder: &mut ModelBuilder<'_>,
    invocation: &ResolvedInvocation<'_>,
) -> TractResult<Value> {
    let input = invocation.named_arg_as(builder, "input")?;
    let to: String = invocation.named_arg_as(builder, "to")?;
    builder.wire(Cast { to: to.parse()? }, &[input])
}
