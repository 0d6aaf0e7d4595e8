//! Pass/fail rules over [`QualityMetrics`], with the retake hint for each failure.

use crate::Text;

use super::quality::QualityMetrics;

/// Gate thresholds, chosen from measurements on the development photos and degraded copies of
/// them (docs/leaf-quality-gate.md). Calibrated for the 256 px working image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QualityThresholds {
    /// Fail as blurry below this Laplacian variance …
    pub blur_min: f32,
    /// … or below this directional second-difference variance (shake).
    pub blur_directional_min: f32,
    /// Fail as too dark below this mean luma …
    pub luma_min: f32,
    /// … or when more than this share of pixels is crushed black.
    pub dark_fraction_max: f32,
    /// Fail as too bright above this mean luma …
    pub luma_max: f32,
    /// … or when more than this share of pixels is blown out.
    pub bright_fraction_max: f32,
    /// Fail on glare above this share of the leaf region.
    pub glare_max: f32,
    /// Fail when less than this share of the picture is leaf.
    pub coverage_min: f32,
}

impl Default for QualityThresholds {
    fn default() -> QualityThresholds {
        QualityThresholds {
            // Gaussian-blurred copies: p95 8.5; real photos: p1 9.1, p5 21.7.
            blur_min: 10.0,
            // Shaken copies: p50 2.6; real photos: p1 1.9, p5 5.5 (smooth leaves score low).
            blur_directional_min: 3.0,
            // Darkened copies: max 45.0; real photos: p1 54.7.
            luma_min: 50.0,
            // Cut-out leaves on black reach 0.50; darkness itself is caught by the mean.
            dark_fraction_max: 0.60,
            // Brightened copies: p50 231; real photos: p95 180, p99 224 (blank or sky shots;
            // leaves against a white sky sit at 206–209 and should pass).
            luma_max: 215.0,
            // Brightened copies: p50 0.27; real photos: p95 0.009, p99 0.25 (sky).
            bright_fraction_max: 0.20,
            // Glare copies: p50 0.25; real photos: p99 0.059.
            glare_max: 0.10,
            // Tiny-leaf copies: max 0.095; real photos: p5 0.21.
            coverage_min: 0.12,
        }
    }
}

/// One check of the gate, in the order a UI should mention them: exposure first (it spoils
/// every other measurement), then sharpness, then framing, then glare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    TooDark,
    TooBright,
    Blurry,
    NoLeaf,
    Glare,
}

impl Check {
    /// What the farmer should do, Chinese first.
    pub fn hint(self) -> Text {
        match self {
            Check::TooDark => Text::new(
                "照片太暗，请到光线明亮处或打开补光后重新拍摄",
                "Photo is too dark: move to better light or turn on the torch and retake",
            ),
            Check::TooBright => Text::new(
                "照片过亮，请避开强光直射，换个角度重新拍摄",
                "Photo is too bright: avoid direct strong light, change the angle and retake",
            ),
            Check::Blurry => Text::new(
                "照片模糊，请拿稳手机重新拍摄",
                "Photo is blurry: hold the phone steady and retake",
            ),
            Check::NoLeaf => Text::new(
                "没有拍到足够的烟叶，请靠近一些，让叶片占满取景框",
                "Not enough leaf in the picture: move closer so the leaf fills the frame",
            ),
            Check::Glare => Text::new(
                "叶片反光太强，请侧一下手机或遮挡阳光后重新拍摄",
                "Too much glare on the leaf: tilt the phone or shade the leaf and retake",
            ),
        }
    }
}

/// One failed check: what was measured and the limit it broke.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub check: Check,
    /// Which metric broke the limit, e.g. "mean_luma".
    pub metric: &'static str,
    pub measured: f32,
    pub threshold: f32,
    pub hint: Text,
}

/// The gate's verdict: every failed check, most important first.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityReport {
    pub metrics: QualityMetrics,
    pub failures: Vec<Failure>,
}

impl QualityReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// The failure to show when there is room for one.
    pub fn most_important(&self) -> Option<&Failure> {
        self.failures.first()
    }

    pub fn failed(&self, check: Check) -> bool {
        self.failures.iter().any(|f| f.check == check)
    }
}

impl QualityThresholds {
    pub fn judge(&self, m: &QualityMetrics) -> QualityReport {
        let mut failures = Vec::new();
        let mut fail = |check: Check, metric, measured, threshold| {
            failures.push(Failure {
                check,
                metric,
                measured,
                threshold,
                hint: check.hint(),
            });
        };
        if m.mean_luma < self.luma_min {
            fail(Check::TooDark, "mean_luma", m.mean_luma, self.luma_min);
        } else if m.dark_fraction > self.dark_fraction_max {
            fail(
                Check::TooDark,
                "dark_fraction",
                m.dark_fraction,
                self.dark_fraction_max,
            );
        }
        if m.mean_luma > self.luma_max {
            fail(Check::TooBright, "mean_luma", m.mean_luma, self.luma_max);
        } else if m.bright_fraction > self.bright_fraction_max {
            fail(
                Check::TooBright,
                "bright_fraction",
                m.bright_fraction,
                self.bright_fraction_max,
            );
        }
        if m.blur_laplacian_var < self.blur_min {
            fail(
                Check::Blurry,
                "blur_laplacian_var",
                m.blur_laplacian_var,
                self.blur_min,
            );
        } else if m.blur_directional_min < self.blur_directional_min {
            let (v, t) = (m.blur_directional_min, self.blur_directional_min);
            fail(Check::Blurry, "blur_directional_min", v, t);
        }
        if m.leaf_coverage < self.coverage_min {
            fail(
                Check::NoLeaf,
                "leaf_coverage",
                m.leaf_coverage,
                self.coverage_min,
            );
        }
        // Glare is a share of the leaf's area: with too little leaf it is undefined (a few
        // bright pixels next to a stray green speck read as a 50 % glare share).
        if m.leaf_coverage >= self.coverage_min && m.glare_fraction > self.glare_max {
            fail(
                Check::Glare,
                "glare_fraction",
                m.glare_fraction,
                self.glare_max,
            );
        }
        failures.sort_by_key(|f| f.check);
        QualityReport {
            metrics: *m,
            failures,
        }
    }
}

/// Metrics of a photo that passes every check, for tests to spoil one at a time.
#[cfg(test)]
pub(crate) fn passing_metrics() -> QualityMetrics {
    QualityMetrics {
        blur_laplacian_var: 200.0,
        blur_directional_min: 60.0,
        mean_luma: 120.0,
        dark_fraction: 0.0,
        bright_fraction: 0.0,
        glare_fraction: 0.0,
        leaf_coverage: 0.8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_failure_most_important_first() {
        let t = QualityThresholds::default();
        assert!(t.judge(&passing_metrics()).passed());
        let bad = QualityMetrics {
            blur_laplacian_var: 2.0,
            mean_luma: 20.0,
            glare_fraction: 0.5,
            ..passing_metrics()
        };
        let report = t.judge(&bad);
        let checks: Vec<Check> = report.failures.iter().map(|f| f.check).collect();
        assert_eq!(checks, [Check::TooDark, Check::Blurry, Check::Glare]);
        let first = report.most_important().unwrap();
        assert_eq!(
            (first.metric, first.measured, first.threshold),
            ("mean_luma", 20.0, t.luma_min)
        );
        assert!(first.hint.zh.contains("太暗") && first.hint.en.contains("dark"));
    }

    #[test]
    fn glare_is_not_judged_without_a_leaf() {
        let t = QualityThresholds::default();
        let speck = QualityMetrics {
            leaf_coverage: 0.01,
            glare_fraction: 0.5,
            ..passing_metrics()
        };
        let checks: Vec<Check> = t.judge(&speck).failures.iter().map(|f| f.check).collect();
        assert_eq!(checks, [Check::NoLeaf]);
    }

    #[test]
    fn shake_fails_on_the_directional_measure() {
        let shaken = QualityMetrics {
            blur_directional_min: 1.0,
            ..passing_metrics()
        };
        let report = QualityThresholds::default().judge(&shaken);
        assert_eq!(
            report.most_important().unwrap().metric,
            "blur_directional_min"
        );
        assert_eq!(report.most_important().unwrap().hint, Check::Blurry.hint());
    }
}
