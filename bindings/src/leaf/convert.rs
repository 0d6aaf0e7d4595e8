//! Errors and the conversions between core answers and FFI records.

use super::*;

pub(super) fn check_error(e: CheckError, locale: Locale) -> YannongError {
    match e {
        CheckError::Frame(f) => frame_error(f, locale),
        CheckError::Model(m) => model_error(m, false, locale),
        CheckError::Cancelled => YannongError::Cancelled,
        e => YannongError::Internal {
            detail: e.to_string(),
        },
    }
}

pub(super) fn frame_error(e: LeafError, locale: Locale) -> YannongError {
    let en = e.to_string();
    let input = |field: &str, zh: &str| YannongError::InvalidInput {
        detail: match locale {
            Locale::Zh => format!("{zh}（{en}）"),
            Locale::En => en.clone(),
        },
        field: Some(field.to_owned()),
        step: None,
    };
    const PHOTO: &str = "照片无法读取，只支持完整的 JPEG 或 PNG 照片";
    const FRAME: &str = "相机画面数据不对";
    match &e {
        // The thumbnail of an already checked square failed: not the caller's input.
        LeafError::Decode(m) if m.starts_with("thumbnail") => YannongError::Internal { detail: en },
        LeafError::UnsupportedFormat | LeafError::Decode(_) => input("photo", PHOTO),
        LeafError::ZeroSize { .. } | LeafError::TooLarge { .. } | LeafError::OddSize { .. } => {
            input("size", FRAME)
        }
        LeafError::StrideTooSmall { .. } => input("row_stride", FRAME),
        LeafError::PixelStride { .. } => input("pixel_stride", FRAME),
        LeafError::PlaneTooShort { plane, .. } => input(plane, FRAME),
        LeafError::InvalidOption { name, .. } => input(name, "检查选项不对"),
        _ => YannongError::Internal { detail: en },
    }
}

/// `loading`: a model that cannot be read is a damaged download; at check time, any model
/// failure is a bug.
pub(super) fn model_error(e: ModelError, loading: bool, locale: Locale) -> YannongError {
    let en = e.to_string();
    let detail = match locale {
        Locale::Zh => format!("烟叶识别模型不可用（{en}）"),
        Locale::En => en,
    };
    match e {
        ModelError::Io(_) => YannongError::Storage {
            detail,
            disk_full: false,
        },
        ModelError::Manifest(_) | ModelError::Integrity(_) | ModelError::Model(_) if loading => {
            YannongError::Integrity { detail }
        }
        _ => YannongError::Internal { detail },
    }
}

// Core answer <-> record

pub(super) fn leaf_maturity(m: Maturity) -> LeafMaturity {
    match m {
        Maturity::Unripe => LeafMaturity::Unripe,
        Maturity::UnderRipe => LeafMaturity::UnderRipe,
        Maturity::Ripe => LeafMaturity::Ripe,
        Maturity::OverRipe => LeafMaturity::OverRipe,
    }
}

pub(super) fn text(t: &LocalizedText) -> Text {
    Text::new(t.zh.clone(), t.en.clone())
}

pub(super) const CHECKS: [(Check, LeafQualityCheck); 5] = [
    (Check::TooDark, LeafQualityCheck::TooDark),
    (Check::TooBright, LeafQualityCheck::TooBright),
    (Check::Blurry, LeafQualityCheck::Blurry),
    (Check::NoLeaf, LeafQualityCheck::NoLeaf),
    (Check::Glare, LeafQualityCheck::Glare),
];

/// The gate's metric names (`Failure::metric`), which the core keeps as `&'static str`.
pub(super) const METRICS: [&str; 7] = [
    "blur_laplacian_var",
    "blur_directional_min",
    "mean_luma",
    "dark_fraction",
    "bright_fraction",
    "glare_fraction",
    "leaf_coverage",
];

pub(super) const VERDICTS: [(Verdict, LeafVerdict); 4] = [
    (Verdict::Ok, LeafVerdict::Ok),
    (Verdict::Retake, LeafVerdict::Retake),
    (Verdict::NotSure, LeafVerdict::NotSure),
    (Verdict::NoLeaf, LeafVerdict::NoLeaf),
];

pub(super) fn result(a: &LeafAnswer, locale: Locale) -> LeafResult {
    let lt = |t: &Text| LocalizedText::new(t, locale);
    let label = |p: &LabelProbability| LeafLabelProbability {
        id: p.id.clone(),
        name: lt(&p.name),
        probability: f64::from(p.probability),
    };
    let m = &a.quality.metrics;
    LeafResult {
        verdict: VERDICTS
            .iter()
            .find(|(v, _)| *v == a.verdict)
            .map_or(LeafVerdict::NotSure, |(_, l)| *l),
        hints: a.hints.iter().map(lt).collect(),
        maturity: a.maturity.as_ref().map(|m| LeafMaturityAnswer {
            class: leaf_maturity(m.class),
            name: lt(&m.name),
            source: match m.source {
                MaturitySource::Model => LeafMaturitySource::Model,
                MaturitySource::Colour => LeafMaturitySource::Colour,
            },
            probability: m.probability.map(f64::from),
            sure: m.sure,
            explanation: lt(&m.explanation),
        }),
        disease: a.disease.as_ref().map(|h| {
            let top = h.top_label();
            LeafDisease {
                id: top.id.clone(),
                name: lt(&top.name),
                probability: f64::from(top.probability),
                confident: h.confident,
                probabilities: h.probabilities.iter().map(label).collect(),
            }
        }),
        problems: a
            .problems
            .iter()
            .map(|p| LeafProblem {
                id: p.id.clone(),
                name: lt(&p.name),
                probability: f64::from(p.probability),
            })
            .collect(),
        advice: a.advice.as_ref().map(|ad| LeafAdvice {
            harvest: lt(&ad.harvest),
            recipe_id: ad.recipe_id.clone(),
            recipe_name: ad.recipe_name.as_ref().map(lt),
            notes: ad.notes.iter().map(lt).collect(),
            lessons: ad
                .topics
                .iter()
                .map(|t| match t {
                    LessonTopic::LeafClass(k) => LeafLessonTopic {
                        kind: LessonLinkKind::LeafClass,
                        key: k.clone(),
                    },
                    LessonTopic::Disease(k) => LeafLessonTopic {
                        kind: LessonLinkKind::Disease,
                        key: k.clone(),
                    },
                })
                .collect(),
        }),
        quality: LeafQuality {
            passed: a.quality.passed(),
            failures: a
                .quality
                .failures
                .iter()
                .map(|f| LeafQualityFailure {
                    check: CHECKS
                        .iter()
                        .find(|(c, _)| *c == f.check)
                        .map_or(LeafQualityCheck::NoLeaf, |(_, l)| *l),
                    metric: f.metric.to_owned(),
                    measured: f64::from(f.measured),
                    threshold: f64::from(f.threshold),
                    hint: lt(&f.hint),
                })
                .collect(),
            metrics: LeafQualityMetrics {
                blur_laplacian_var: f64::from(m.blur_laplacian_var),
                blur_directional_min: f64::from(m.blur_directional_min),
                mean_luma: f64::from(m.mean_luma),
                dark_fraction: f64::from(m.dark_fraction),
                bright_fraction: f64::from(m.bright_fraction),
                glare_fraction: f64::from(m.glare_fraction),
                leaf_coverage: f64::from(m.leaf_coverage),
            },
        },
        colour: a.colour.as_ref().map(|c| LeafColour {
            leaf_pixels: c.leaf_pixels,
            lab_l: f64::from(c.lab[0]),
            lab_a: f64::from(c.lab[1]),
            lab_b: f64::from(c.lab[2]),
            chroma: f64::from(c.chroma),
            hue_deg: f64::from(c.hue_deg),
            yellow_fraction: f64::from(c.yellow_fraction),
            yellow_green_fraction: f64::from(c.yellow_green_fraction),
            green_fraction: f64::from(c.green_fraction),
            yellowing: f64::from(c.yellowing()),
            vein: c.vein.map(|v| LeafVeinContrast {
                share: f64::from(v.share),
                delta_l: f64::from(v.delta_l),
                chroma_ratio: f64::from(v.chroma_ratio),
            }),
        }),
        model: a.model.as_ref().map(|m| LeafModelInfo {
            name: m.name.clone(),
            version: m.version,
        }),
        similarity: a.similarity.map(f64::from),
        thumbnail: a.thumbnail.clone(),
        json: answer_json(a).to_string(),
    }
}

/// The core answer a record came from, for the history (which stores the core's JSON). Every
/// number went f32 → f64, which is exact, so this is the answer the check gave.
pub(super) fn answer(r: &LeafResult, locale: Locale) -> Result<LeafAnswer, YannongError> {
    let bad = |field: &str, what: String| YannongError::InvalidInput {
        detail: match locale {
            Locale::Zh => format!("检查结果不完整或被改动：{what}"),
            Locale::En => format!("not a leaf check result: {what}"),
        },
        field: Some(field.to_owned()),
        step: None,
    };
    let f = |x: f64| x as f32;
    let label = |p: &LeafLabelProbability| LabelProbability {
        id: p.id.clone(),
        name: text(&p.name),
        probability: f(p.probability),
    };
    let q = &r.quality.metrics;
    let failures = r
        .quality
        .failures
        .iter()
        .map(|fl| {
            let check = CHECKS
                .iter()
                .find(|(_, l)| *l == fl.check)
                .map(|(c, _)| *c)
                .unwrap_or(Check::NoLeaf);
            let metric = METRICS
                .iter()
                .find(|m| **m == fl.metric)
                .ok_or_else(|| bad("quality", format!("unknown metric {:?}", fl.metric)))?;
            Ok(Failure {
                check,
                metric,
                measured: f(fl.measured),
                threshold: f(fl.threshold),
                hint: text(&fl.hint),
            })
        })
        .collect::<Result<Vec<_>, YannongError>>()?;
    let disease = match &r.disease {
        None => None,
        Some(d) => Some(HeadAnswer {
            kind: HeadKind::Disease,
            top: d
                .probabilities
                .iter()
                .position(|p| p.id == d.id)
                .ok_or_else(|| bad("disease", format!("{:?} is not among the labels", d.id)))?,
            probabilities: d.probabilities.iter().map(label).collect(),
            confident: d.confident,
        }),
    };
    let advice = match &r.advice {
        None => None,
        Some(ad) => Some(Advice {
            harvest: text(&ad.harvest),
            recipe_id: ad.recipe_id.clone(),
            recipe_name: ad.recipe_name.as_ref().map(text),
            notes: ad.notes.iter().map(text).collect(),
            topics: ad
                .lessons
                .iter()
                .map(|t| match t.kind {
                    LessonLinkKind::LeafClass => Ok(LessonTopic::LeafClass(t.key.clone())),
                    LessonLinkKind::Disease => Ok(LessonTopic::Disease(t.key.clone())),
                    LessonLinkKind::Alarm => Err(bad("advice", "an alarm lesson".to_owned())),
                })
                .collect::<Result<_, _>>()?,
        }),
    };
    Ok(LeafAnswer {
        verdict: VERDICTS
            .iter()
            .find(|(_, l)| *l == r.verdict)
            .map_or(Verdict::NotSure, |(v, _)| *v),
        hints: r.hints.iter().map(text).collect(),
        quality: QualityReport {
            metrics: QualityMetrics {
                blur_laplacian_var: f(q.blur_laplacian_var),
                blur_directional_min: f(q.blur_directional_min),
                mean_luma: f(q.mean_luma),
                dark_fraction: f(q.dark_fraction),
                bright_fraction: f(q.bright_fraction),
                glare_fraction: f(q.glare_fraction),
                leaf_coverage: f(q.leaf_coverage),
            },
            failures,
        },
        colour: r.colour.map(|c| ColourFeatures {
            leaf_pixels: c.leaf_pixels,
            lab: [f(c.lab_l), f(c.lab_a), f(c.lab_b)],
            chroma: f(c.chroma),
            hue_deg: f(c.hue_deg),
            yellow_fraction: f(c.yellow_fraction),
            yellow_green_fraction: f(c.yellow_green_fraction),
            green_fraction: f(c.green_fraction),
            vein: c.vein.map(|v| VeinContrast {
                share: f(v.share),
                delta_l: f(v.delta_l),
                chroma_ratio: f(v.chroma_ratio),
            }),
        }),
        maturity: r.maturity.as_ref().map(|m| MaturityAnswer {
            class: m.class.into(),
            name: text(&m.name),
            source: match m.source {
                LeafMaturitySource::Model => MaturitySource::Model,
                LeafMaturitySource::Colour => MaturitySource::Colour,
            },
            probability: m.probability.map(f),
            sure: m.sure,
            explanation: text(&m.explanation),
        }),
        disease,
        problems: r
            .problems
            .iter()
            .map(|p| Problem {
                id: p.id.clone(),
                name: text(&p.name),
                probability: f(p.probability),
            })
            .collect(),
        advice,
        model: r.model.as_ref().map(|m| ModelId {
            name: m.name.clone(),
            version: m.version,
        }),
        similarity: r.similarity.map(f),
        thumbnail: r.thumbnail.clone(),
    })
}
