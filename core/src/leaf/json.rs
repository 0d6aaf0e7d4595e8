//! One JSON form of an answer, used by `yannong leaf check --json` and by the check history.
//! Field names are part of the CLI's contract (issue #4): `verdict`, `maturity`,
//! `maturity_source`, `disease`, `confidence`, `probabilities`, `hints`.

use serde_json::{Map, Value, json};

use crate::Text;

use super::answer::{LessonTopic, MaturitySource};
use super::checker::LeafAnswer;
use super::gate::Check;

/// The check's key in JSON, e.g. `too_dark`.
pub fn check_key(c: Check) -> &'static str {
    match c {
        Check::TooDark => "too_dark",
        Check::TooBright => "too_bright",
        Check::Blurry => "blurry",
        Check::NoLeaf => "no_leaf",
        Check::Glare => "glare",
    }
}

fn text(t: &Text) -> Value {
    json!({ "zh": t.zh, "en": t.en })
}

/// Rounds for output: four decimals say everything a probability or a colour can.
fn r4(x: f32) -> f64 {
    (f64::from(x) * 1e4).round() / 1e4
}

/// The answer as a JSON object.
pub fn answer_json(a: &LeafAnswer) -> Value {
    let maturity = a.maturity.as_ref();
    let first_head = a.disease.as_ref();
    let probabilities: Map<String, Value> = first_head
        .map(|h| {
            h.probabilities
                .iter()
                .map(|p| (p.id.clone(), json!(r4(p.probability))))
                .collect()
        })
        .unwrap_or_default();
    let q = &a.quality.metrics;
    json!({
        "verdict": a.verdict.key(),
        "maturity": maturity.map(|m| crate::leaf::maturity_topic(m.class)),
        "maturity_name": maturity.map(|m| text(&m.name)),
        "maturity_source": maturity.map(|m| match m.source {
            MaturitySource::Model => "model",
            MaturitySource::Colour => "colour",
        }),
        "maturity_sure": maturity.map(|m| m.sure),
        "maturity_probability": maturity.and_then(|m| m.probability).map(r4),
        "maturity_explanation": maturity.map(|m| text(&m.explanation)),
        "disease": first_head.map(|h| h.top_label().id.clone()),
        "disease_name": first_head.map(|h| text(&h.top_label().name)),
        "disease_sure": first_head.map(|h| h.confident),
        "confidence": first_head.map(|h| r4(h.top_label().probability)),
        "probabilities": probabilities,
        "problems": a.problems.iter().map(|p| json!({
            "id": p.id, "name": text(&p.name), "probability": r4(p.probability),
        })).collect::<Vec<_>>(),
        "hints": a.hints.iter().map(text).collect::<Vec<_>>(),
        "advice": a.advice.as_ref().map(|ad| json!({
            "harvest": text(&ad.harvest),
            "recipe_id": ad.recipe_id,
            "recipe_name": ad.recipe_name.as_ref().map(text),
            "notes": ad.notes.iter().map(text).collect::<Vec<_>>(),
            "lessons": ad.topics.iter().map(|t| match t {
                LessonTopic::LeafClass(k) => json!({"kind": "leaf_class", "key": k}),
                LessonTopic::Disease(k) => json!({"kind": "disease", "key": k}),
            }).collect::<Vec<_>>(),
        })),
        "quality": {
            "passed": a.quality.passed(),
            "failures": a.quality.failures.iter().map(|f| json!({
                "check": check_key(f.check), "metric": f.metric,
                "measured": r4(f.measured), "threshold": r4(f.threshold),
            })).collect::<Vec<_>>(),
            "leaf_coverage": r4(q.leaf_coverage),
            "mean_luma": r4(q.mean_luma),
            "blur": r4(q.blur_laplacian_var),
        },
        "colour": a.colour.as_ref().map(|c| json!({
            "lab": c.lab.map(r4),
            "hue_deg": r4(c.hue_deg),
            "yellowing": r4(c.yellowing()),
        })),
        "model": a.model.as_ref().map(|m| json!({"name": m.name, "version": m.version})),
        "similarity": a.similarity.map(r4),
    })
}
