//! The NNEF reader for leaf models: exactly the operators that models/train produces, listed in
//! `operators.txt` (which `models/train/to_nnef.py` reads too, to refuse a model needing another).
//!
//! Built here rather than with `tract_nnef::nnef()`, which registers every NNEF and `tract_core`
//! operator (FFT, LSTM, scan, pooling, deconvolution, …) and so links them all into the app;
//! with the patched tract-nnef in `third_party/` this keeps 2.8 MB out of the arm64 library
//! (docs/size.md). A model using any other operator is refused when it is read, with tract's
//! message naming the operator; adding one is a line in the table and in `operators.txt`.

use tract_nnef::internal::*;
use tract_nnef::ops::nnef::deser;
use tract_nnef::resource::{DatLoader, GraphNnefLoader, GraphQuantLoader, ResourceLoader};
use tract_nnef::tract_core::ops::binary::BinMiniOp;
use tract_nnef::tract_core::ops::cast::Cast;
use tract_nnef::tract_core::ops::math;

/// How one NNEF operator becomes tract's.
#[derive(Clone, Copy)]
enum Read {
    /// Declared in NNEF's standard library; read by tract-nnef's own loader.
    Standard(ToTract),
    Binary(&'static dyn BinMiniOp),
    Unary(&'static dyn ElementWiseMiniOp),
}

/// The `tract_nnef` registry's share: every operator of the EfficientNet-Lite graph that
/// `to_nnef.py` writes (convolutions, ReLU6 as min/max, pooling as reductions, the heads'
/// matmuls and the similarity head's normalisation).
const STANDARD: [(&str, Read); 16] = [
    ("external", Read::Standard(deser::external)),
    ("variable", Read::Standard(deser::variable)),
    ("reshape", Read::Standard(deser::reshape)),
    ("squeeze", Read::Standard(deser::squeeze)),
    ("unsqueeze", Read::Standard(deser::unsqueeze)),
    ("conv", Read::Standard(deser::conv)),
    ("matmul", Read::Standard(deser::matmul)),
    ("sum_reduce", Read::Standard(deser::reduce)),
    ("max_reduce", Read::Standard(deser::reduce)),
    ("add", Read::Binary(&math::Add {})),
    ("mul", Read::Binary(&math::Mul {})),
    ("min", Read::Binary(&math::Min {})),
    ("max", Read::Binary(&math::Max {})),
    ("recip", Read::Unary(&math::Recip {})),
    ("sqrt", Read::Unary(&math::Sqrt {})),
    ("square", Read::Unary(&math::Square {})),
];

/// A reader for leaf model archives: `graph.nnef`, its `.dat` weights and an optional
/// `graph.quant`; no sub-models.
pub(super) fn reader() -> Nnef {
    // Parsed once: the registry takes declarations and fragments from it too.
    let stdlib = tract_nnef::framework::stdlib();
    Nnef {
        registries: vec![standard(&stdlib), tract_core()],
        stdlib,
        resource_loaders: vec![
            GraphNnefLoader.into_boxed(),
            DatLoader.into_boxed(),
            GraphQuantLoader.into_boxed(),
        ],
        allow_extended_identifier_syntax: false,
        extern_all_constants: false,
    }
}

fn standard(stdlib: &[FragmentDef]) -> Registry {
    let mut registry = Registry::new("tract_nnef");
    for (id, read) in STANDARD {
        match read {
            Read::Standard(load) => {
                // Declared in the stdlib text tract-nnef ships (a test checks none is missing).
                let Some(frag) = stdlib.iter().find(|f| f.decl.id.0 == id) else {
                    continue;
                };
                registry.register_primitive(id, &frag.decl.parameters, &frag.decl.results, load);
            }
            Read::Binary(op) => registry.register_binary(id, op),
            Read::Unary(op) => registry.register_unit_element_wise(id, op),
        }
    }
    // Fragments with a body (relu, mean_reduce, …) expand into primitives when read; one
    // expanding into an operator missing above fails like that operator.
    for frag in stdlib.iter().filter(|f| f.body.is_some()) {
        registry.register_fragment(frag.clone());
    }
    registry
}

/// Tract's own extension, with the one operator its properties fragment uses.
fn tract_core() -> Registry {
    let mut registry = Registry::new("tract_core");
    registry.register_primitive(
        "tract_core_cast",
        &[
            TypeName::Scalar.tensor().named("input"),
            TypeName::String.named("to"),
        ],
        &[("output", TypeName::Scalar.tensor())],
        load_cast,
    );
    registry
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The list shared with the training pipeline: one name per line, `#` comments.
    fn listed() -> Vec<String> {
        let mut names: Vec<String> = include_str!("operators.txt")
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_reader_has_exactly_the_listed_operators() {
        let mut registered = Vec::new();
        for registry in reader().registries {
            registered.extend(registry.primitives.keys().map(|id| id.0.clone()));
            registered.extend(registry.binary_ops.iter().map(|(id, _)| id.0.clone()));
            registered.extend(
                registry
                    .unit_element_wise_ops
                    .iter()
                    .map(|(id, _)| id.0.clone()),
            );
        }
        registered.sort();
        assert_eq!(registered, listed());
    }
}
