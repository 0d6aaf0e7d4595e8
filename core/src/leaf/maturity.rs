//! A transparent colour-rule maturity estimate (curing-domain §4: "色黄、脉白", yellowed area).
//! A baseline to explain to the farmer and to compare the model against, not a classifier: it
//! cannot see trichomes, tip shape, stem angle or leaf age, and cannot tell 假熟 (false ripe).

use crate::Text;
use crate::curing::Maturity;

use super::colour::ColourFeatures;

/// Vein chroma over lamina chroma below which veins read "white" (ENG).
pub const VEIN_WHITE_CHROMA_RATIO: f32 = 0.8;
/// Vein L* above lamina L* from which veins read "lighter" (ENG).
pub const VEIN_LIGHTER_L: f32 = 5.0;

/// The rule's numbers, all ENG (engineering defaults to calibrate with labelled photos).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaturityRule {
    /// Yellowed share ([`ColourFeatures::yellowing`]) below which a leaf reads 未熟 (green).
    pub under_ripe_from: f32,
    /// Yellow share from which a leaf reads 成熟 (§4: ~50 % yellow is M2→M3 in Hunan).
    pub ripe_from: f32,
    /// Yellow share from which a pale leaf reads 过熟 (§4: 豫中 upper leaves best at 85–95 %).
    pub over_ripe_from: f32,
    /// … and "pale" means mean C*ab below this (yellow-white, 黄白).
    pub over_ripe_chroma_max: f32,
    /// Within this distance of a class boundary the estimate says "not sure".
    pub margin: f32,
    /// Fewer leaf pixels than this (of 65,536) and colour means little.
    pub min_leaf_pixels: u32,
}

impl Default for MaturityRule {
    fn default() -> MaturityRule {
        MaturityRule {
            under_ripe_from: 0.15,
            ripe_from: 0.50,
            over_ripe_from: 0.90,
            over_ripe_chroma_max: 40.0,
            margin: 0.07,
            min_leaf_pixels: 8_000,
        }
    }
}

/// The rule's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct MaturityEstimate {
    /// Best guess by colour.
    pub likely: Maturity,
    /// False when the colour sits near a class boundary or too little leaf was seen.
    pub sure: bool,
    /// The neighbouring class when not sure.
    pub alternative: Option<Maturity>,
    /// What the rule saw, for the farmer, e.g. "约6成黄，叶色黄绿，主脉发白".
    pub explanation: Text,
}

pub fn maturity_name(m: Maturity) -> Text {
    match m {
        Maturity::Unripe => Text::new("未熟", "unripe"),
        Maturity::UnderRipe => Text::new("尚熟", "under-ripe"),
        Maturity::Ripe => Text::new("成熟", "ripe"),
        Maturity::OverRipe => Text::new("过熟", "over-ripe"),
    }
}

impl MaturityRule {
    pub fn estimate(&self, f: &ColourFeatures) -> MaturityEstimate {
        let y = f.yellowing();
        let pale = f.chroma < self.over_ripe_chroma_max;
        let likely = if y < self.under_ripe_from {
            Maturity::Unripe
        } else if y < self.ripe_from {
            Maturity::UnderRipe
        } else if y >= self.over_ripe_from && pale {
            Maturity::OverRipe
        } else {
            Maturity::Ripe
        };
        // The nearest boundary on the yellow-share axis, and the class across it.
        let bounds = [
            (self.under_ripe_from, Maturity::Unripe, Maturity::UnderRipe),
            (self.ripe_from, Maturity::UnderRipe, Maturity::Ripe),
        ];
        let mut alternative = bounds
            .iter()
            .filter(|(b, ..)| (y - b).abs() < self.margin)
            .map(|&(_, lo, hi)| if likely == lo { hi } else { lo })
            .next();
        if y >= self.over_ripe_from - self.margin
            && (f.chroma - self.over_ripe_chroma_max).abs() < 5.0
        {
            alternative = Some(if likely == Maturity::OverRipe {
                Maturity::Ripe
            } else {
                Maturity::OverRipe
            });
        }
        let enough = f.leaf_pixels >= self.min_leaf_pixels;
        let sure = alternative.is_none() && enough;
        MaturityEstimate {
            likely,
            sure,
            alternative,
            explanation: explain(f, likely, sure, alternative, enough, pale),
        }
    }
}

fn explain(
    f: &ColourFeatures,
    likely: Maturity,
    sure: bool,
    alternative: Option<Maturity>,
    enough: bool,
    pale: bool,
) -> Text {
    // 成黄: tenths of the leaf area that are yellow, the unit growers use.
    let y = f.yellowing();
    let tenths = (y * 10.0).round() as u32;
    let (zh_c, en_c) = match y {
        y if y < 0.15 => ("叶色绿", "leaf is green"),
        y if y < 0.50 => ("叶色浅绿到黄绿", "leaf is light green to yellow-green"),
        y if pale && y >= 0.9 => ("叶色淡黄到黄白", "leaf is pale yellow to yellow-white"),
        y if y < 0.90 => ("叶色黄绿到浅黄", "leaf is yellow-green to light yellow"),
        _ => ("叶色黄", "leaf is yellow"),
    };
    // Vein cues only describe, never decide the class (see VeinContrast). "White" needs the
    // veins clearly paler *and* lighter than the lamina; no development photo reaches it, so
    // it is an ENG value to check on labelled close-ups.
    let (zh_v, en_v) = match f.vein {
        Some(v) if v.chroma_ratio < VEIN_WHITE_CHROMA_RATIO && v.delta_l > VEIN_LIGHTER_L => {
            ("，叶脉发白", ", veins look white")
        }
        Some(v) if v.delta_l > VEIN_LIGHTER_L => {
            ("，叶脉比叶面浅", ", veins lighter than the leaf")
        }
        Some(_) => ("，叶脉不明显", ", veins not distinct"),
        None => ("，看不清叶脉", ", veins not visible"),
    };
    let name = maturity_name(likely);
    let mut zh = format!("约{tenths}成黄，{zh_c}{zh_v}。按颜色看像{}", name.zh);
    let mut en = format!(
        "about {}% yellow, {en_c}{en_v}. By colour it looks {}",
        tenths * 10,
        name.en
    );
    if !sure {
        match alternative {
            Some(alt) => {
                let alt = maturity_name(alt);
                zh.push_str(&format!("，也可能是{}，拿不准", alt.zh));
                en.push_str(&format!(", possibly {}; not sure", alt.en));
            }
            None if !enough => {
                zh.push_str("，但拍到的叶片太少，拿不准");
                en.push_str(", but too little leaf was seen to be sure");
            }
            None => {}
        }
    }
    zh.push_str("。颜色会受光线和缺肥影响，请结合叶龄和主脉判断。");
    en.push_str(". Light and nutrient shortage change colour: check leaf age and the midrib too.");
    Text::new(zh, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(yellow: f32, yellow_green: f32, chroma: f32) -> ColourFeatures {
        ColourFeatures {
            leaf_pixels: 40_000,
            lab: [60.0, -10.0, 45.0],
            chroma,
            hue_deg: 100.0,
            yellow_fraction: yellow,
            yellow_green_fraction: yellow_green,
            green_fraction: 1.0 - yellow - yellow_green,
            vein: None,
        }
    }

    #[test]
    fn classes_follow_the_yellowed_share() {
        let rule = MaturityRule::default();
        let cases = [
            (leaf(0.0, 0.05, 45.0), Maturity::Unripe),
            (leaf(0.1, 0.4, 45.0), Maturity::UnderRipe),
            (leaf(0.6, 0.2, 50.0), Maturity::Ripe),
            (leaf(0.97, 0.03, 50.0), Maturity::Ripe),
            (leaf(0.97, 0.03, 25.0), Maturity::OverRipe),
        ];
        for (f, want) in cases {
            let e = rule.estimate(&f);
            assert_eq!(e.likely, want, "{f:?}");
            assert!(e.sure, "{e:?}");
        }
        let e = rule.estimate(&leaf(0.6, 0.2, 50.0));
        assert!(
            e.explanation.zh.starts_with("约7成黄"),
            "{}",
            e.explanation.zh
        );
        assert!(e.explanation.en.contains("ripe"));
    }

    #[test]
    fn near_a_boundary_it_is_not_sure() {
        let rule = MaturityRule::default();
        let e = rule.estimate(&leaf(0.47, 0.0, 45.0));
        assert_eq!((e.likely, e.sure), (Maturity::UnderRipe, false));
        assert_eq!(e.alternative, Some(Maturity::Ripe));
        assert!(e.explanation.zh.contains("拿不准"));
        let few = ColourFeatures {
            leaf_pixels: 500,
            ..leaf(0.0, 0.0, 45.0)
        };
        let e = rule.estimate(&few);
        assert!(!e.sure && e.alternative.is_none());
    }
}
