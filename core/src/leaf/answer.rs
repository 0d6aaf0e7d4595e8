//! What the farmer is told after a check: a verdict, the maturity (model or colour rule),
//! the problems seen, what to do and which lessons to read (curing-domain §4 decision table).

use serde::{Deserialize, Serialize};

use crate::Text;
use crate::curing::{LeafPosition, Maturity, WaterContent, recipe_for_leaf};

use super::gate::{Check, QualityReport};
use super::maturity::{MaturityEstimate, maturity_name};
use super::model::{HeadAnswer, HeadKind, ModelOutput, maturity_of_label};

/// The headline of a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Judged: maturity and problems below are answers.
    Ok,
    /// The photo is not good enough; `hints` say how to retake it.
    Retake,
    /// A leaf was seen but the model does not know; nothing below is an answer.
    NotSure,
    /// No (or too little) leaf in the picture.
    NoLeaf,
}

impl Verdict {
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Retake => "retake",
            Verdict::NotSure => "not_sure",
            Verdict::NoLeaf => "no_leaf",
        }
    }
}

/// Where a maturity class came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaturitySource {
    /// A maturity head of the model, calibrated.
    Model,
    /// The transparent colour rule (an estimate: no labelled maturity photos trained it).
    Colour,
}

/// The maturity part of an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct MaturityAnswer {
    pub class: Maturity,
    pub name: Text,
    pub source: MaturitySource,
    /// Calibrated probability for a model answer; `None` for the colour rule.
    pub probability: Option<f32>,
    /// False when the source itself is unsure (near a class boundary, low probability).
    pub sure: bool,
    /// What was seen, e.g. the colour rule's "约6成黄，叶色黄绿，主脉发白".
    pub explanation: Text,
}

/// What a lesson link points at (curing-domain lesson links: leaf classes and diseases).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LessonTopic {
    LeafClass(String),
    Disease(String),
}

/// What to do now.
#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    /// Harvest decision for the maturity seen.
    pub harvest: Text,
    /// The built-in recipe (with adjustments) that suits such a load, e.g. `middle+under-ripe`.
    pub recipe_id: Option<String>,
    pub recipe_name: Option<Text>,
    /// Extra notes, e.g. on a disease seen.
    pub notes: Vec<Text>,
    /// Lessons worth reading, most relevant first.
    pub topics: Vec<LessonTopic>,
}

/// Lesson-link key of a disease label: the model's label ids name pathogens, the lesson pack
/// names diseases.
pub fn disease_topic(label: &str) -> Option<&str> {
    match label {
        "healthy" => None,
        "alternaria" | "brown_spot" => Some("brown_spot"),
        "cercospora" | "frogeye" => Some("frogeye"),
        other => Some(other),
    }
}

/// The lesson-link key of a maturity class (as in the lesson pack's `leaf_classes`).
pub fn maturity_topic(m: Maturity) -> &'static str {
    match m {
        Maturity::Unripe => "unripe",
        Maturity::UnderRipe => "under_ripe",
        Maturity::Ripe => "ripe",
        Maturity::OverRipe => "over_ripe",
    }
}

/// Picks the verdict from the gate and the model. Bad exposure asks for a retake first (leaf
/// colour cannot be found in a black or white picture, so "no leaf" would be a guess); then a
/// picture short of leaf is "no leaf", whether or not it is also blurred (a sharper wall is
/// still a wall); then blur and glare ask for a retake; a model that finds the picture unlike
/// its training pictures, or is unsure on its first head, makes it "not sure".
pub fn verdict(quality: &QualityReport, model: Option<&ModelOutput>) -> Verdict {
    if quality.failed(Check::TooDark) || quality.failed(Check::TooBright) {
        return Verdict::Retake;
    }
    if quality.failed(Check::NoLeaf) {
        return Verdict::NoLeaf;
    }
    if !quality.passed() {
        return Verdict::Retake;
    }
    match model {
        Some(m) if !m.in_scope || !m.heads.first().is_some_and(|h| h.confident) => Verdict::NotSure,
        _ => Verdict::Ok,
    }
}

/// The maturity to show: a confident model maturity head wins, else the colour rule.
pub fn maturity_answer(
    model: Option<&ModelOutput>,
    colour: Option<&MaturityEstimate>,
) -> Option<MaturityAnswer> {
    let head = model.and_then(|m| m.heads.iter().find(|h| h.kind == HeadKind::Maturity));
    if let Some(h) = head.filter(|h| h.confident) {
        let top = h.top_label();
        if let Some(class) = maturity_of_label(&top.id) {
            return Some(MaturityAnswer {
                class,
                name: maturity_name(class),
                source: MaturitySource::Model,
                probability: Some(top.probability),
                sure: true,
                explanation: Text::new(
                    format!(
                        "模型判断：{}（{:.0}%）",
                        top.name.zh,
                        top.probability * 100.0
                    ),
                    format!("Model: {} ({:.0} %)", top.name.en, top.probability * 100.0),
                ),
            });
        }
    }
    colour.map(|c| MaturityAnswer {
        class: c.likely,
        name: maturity_name(c.likely),
        source: MaturitySource::Colour,
        probability: None,
        sure: c.sure,
        explanation: c.explanation.clone(),
    })
}

/// Disease labels other than "healthy" whose probability reaches `min`, most likely first.
pub fn problems(disease: Option<&HeadAnswer>, min: f32) -> Vec<(String, Text, f32)> {
    let Some(d) = disease else {
        return Vec::new();
    };
    let mut found: Vec<_> = d
        .probabilities
        .iter()
        .filter(|p| disease_topic(&p.id).is_some() && p.probability >= min)
        .map(|p| (p.id.clone(), p.name.clone(), p.probability))
        .collect();
    found.sort_by(|a, b| b.2.total_cmp(&a.2));
    found
}

/// Harvest decision, recipe and lessons for a judged leaf (curing-domain §4 table).
pub fn advise(
    maturity: Option<&MaturityAnswer>,
    disease: Option<&HeadAnswer>,
    position: LeafPosition,
) -> Advice {
    let mut topics = Vec::new();
    let mut notes = Vec::new();
    let (harvest, recipe) = match maturity {
        Some(m) => {
            topics.push(LessonTopic::LeafClass(maturity_topic(m.class).to_owned()));
            let recipe = recipe_for_leaf(position, m.class, WaterContent::Normal).ok();
            (harvest_text(m.class, position), recipe)
        }
        None => (
            Text::new(
                "无法判断成熟度，请对照成熟特征（色黄、脉白、毛脱、尖勾）人工确认",
                "Maturity unknown: check the ripeness signs (yellowing, white veins, shed hairs, hooked tip) by hand",
            ),
            None,
        ),
    };
    if let Some(d) = disease.filter(|d| d.confident) {
        let top = d.top_label();
        if let Some(topic) = disease_topic(&top.id) {
            notes.push(Text::new(
                format!("疑似{}：及时摘除病叶，单独烘烤，并请技术员确认", top.name.zh),
                format!(
                    "Possible {}: remove diseased leaves, cure them separately, ask a technician to confirm",
                    top.name.en
                ),
            ));
            topics.insert(0, LessonTopic::Disease(topic.to_owned()));
        }
    }
    if maturity.is_some_and(|m| m.source == MaturitySource::Colour) {
        notes.push(Text::new(
            "成熟度按叶色估计，仅供参考；假熟叶（缺肥、干旱）颜色会误导，请结合叶龄和主脉判断",
            "Maturity is estimated from colour only; false-ripe leaves (deficiency, drought) mislead it: check leaf age and veins too",
        ));
    }
    Advice {
        harvest,
        recipe_id: recipe.as_ref().map(|r| r.id.clone()),
        recipe_name: recipe.map(|r| r.name),
        notes,
        topics,
    }
}

fn harvest_text(m: Maturity, position: LeafPosition) -> Text {
    match (m, position) {
        (Maturity::Unripe, _) => Text::new(
            "未熟，暂不采收，3–5天后再看",
            "Unripe: do not harvest; check again in 3–5 days",
        ),
        (Maturity::UnderRipe, LeafPosition::Lower) => Text::new(
            "尚熟，下部叶可以采收",
            "Under-ripe: lower leaves may be harvested now",
        ),
        (Maturity::UnderRipe, _) => Text::new(
            "尚熟，中上部叶再等2–5天采收",
            "Under-ripe: wait 2–5 days before harvesting middle and upper leaves",
        ),
        (Maturity::Ripe, _) => Text::new("成熟，1–2天内采收", "Ripe: harvest within 1–2 days"),
        (Maturity::OverRipe, _) => Text::new(
            "过熟，立即采收，单独装炉烘烤",
            "Over-ripe: harvest now and cure as a separate load",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn colour(class: Maturity, sure: bool) -> MaturityAnswer {
        MaturityAnswer {
            class,
            name: maturity_name(class),
            source: MaturitySource::Colour,
            probability: None,
            sure,
            explanation: Text::new("", ""),
        }
    }

    #[test]
    fn advice_follows_the_decision_table() {
        let a = advise(
            Some(&colour(Maturity::UnderRipe, true)),
            None,
            LeafPosition::Upper,
        );
        assert!(a.harvest.zh.contains("2–5天"));
        assert_eq!(a.recipe_id.as_deref(), Some("upper+under-ripe"));
        assert_eq!(a.topics, vec![LessonTopic::LeafClass("under_ripe".into())]);
        assert!(a.notes.iter().any(|n| n.zh.contains("仅供参考")));
        let lower = advise(
            Some(&colour(Maturity::UnderRipe, true)),
            None,
            LeafPosition::Lower,
        );
        assert!(lower.harvest.zh.contains("可以采收"));
        let over = advise(
            Some(&colour(Maturity::OverRipe, true)),
            None,
            LeafPosition::Middle,
        );
        assert!(over.harvest.zh.contains("单独装炉"));
        assert!(over.recipe_id.is_some_and(|id| id.starts_with("middle+")));
        let none = advise(None, None, LeafPosition::Middle);
        assert!(none.recipe_id.is_none() && none.topics.is_empty());
    }

    #[test]
    fn exposure_outranks_no_leaf_which_outranks_blur_and_glare() {
        use crate::leaf::gate::passing_metrics;
        use crate::leaf::{QualityMetrics, QualityThresholds};
        let good = passing_metrics();
        let judge = |m: QualityMetrics| verdict(&QualityThresholds::default().judge(&m), None);
        let wall = QualityMetrics {
            leaf_coverage: 0.0,
            ..good
        };
        assert_eq!(judge(good), Verdict::Ok);
        assert_eq!(judge(wall), Verdict::NoLeaf);
        let blurred_wall = QualityMetrics {
            blur_laplacian_var: 1.0,
            ..wall
        };
        assert_eq!(judge(blurred_wall), Verdict::NoLeaf);
        let dark_wall = QualityMetrics {
            mean_luma: 10.0,
            ..wall
        };
        assert_eq!(judge(dark_wall), Verdict::Retake);
        let blurred_leaf = QualityMetrics {
            blur_laplacian_var: 1.0,
            ..good
        };
        assert_eq!(judge(blurred_leaf), Verdict::Retake);
        let glare_on_leaf = QualityMetrics {
            glare_fraction: 0.5,
            ..good
        };
        assert_eq!(judge(glare_on_leaf), Verdict::Retake);
    }

    #[test]
    fn disease_labels_map_to_lesson_topics() {
        assert_eq!(disease_topic("alternaria"), Some("brown_spot"));
        assert_eq!(disease_topic("cercospora"), Some("frogeye"));
        assert_eq!(disease_topic("healthy"), None);
        assert_eq!(disease_topic("wildfire"), Some("wildfire"));
    }
}
