//! The alarm rules as data (`rules.json`, versioned): each rule is levels of one measured
//! condition each, with a severity, a threshold, how long it must hold, and where it applies.
//! The evaluators behind each `kind` live in `measure.rs`; the numbers live here.

use serde::Deserialize;
use yannong_core::Text;
use yannong_core::barn::api::Severity;
use yannong_core::curing::Stage;

/// The rule set the platform ships.
pub const BUILTIN: &str = include_str!("rules.json");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// Bumped whenever a rule changes; stored with every alarm it raises.
    pub version: u32,
    pub source: String,
    /// An alarm clears once its condition (at half its threshold) has been false this long.
    pub clear_after_min: f64,
    /// Dry-bulb readings outside this range come from a broken sensor (A11): no other rule
    /// judges them.
    pub plausible_c: [f64; 2],
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub title: Text,
    /// What the farmer or technician should do.
    pub action: Text,
    /// While any of these rules is active on the barn this one is not evaluated: it would
    /// only repeat their consequence (no heat after a power cut is not a heating fault).
    #[serde(default)]
    pub suppressed_by: Vec<String>,
    pub levels: Vec<Level>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub kind: Kind,
    pub severity: Severity,
    /// °C, °C/h, %, samples, minutes, hours or a ratio, by `kind`.
    pub threshold: Option<f64>,
    /// How long the condition must hold before the level fires (noise never raises).
    #[serde(default)]
    pub for_min: f64,
    /// Rate and trend window.
    pub window_min: Option<f64>,
    /// Only in these recipe steps (codes) / stages; everywhere when absent.
    pub steps: Option<Vec<String>>,
    pub stages: Option<Vec<Stage>>,
    /// Only while the dry bulb is in [low, high).
    pub dry_range: Option<[f64; 2]>,
    /// Only while the vent is open at least this much.
    pub vent_min_pct: Option<u8>,
    /// How far under its set point the dry bulb must be (`heating_saturated`), °C.
    pub below_set_c: Option<f64>,
}

/// What a level measures (see `measure.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    DryOverSet,
    DryUnderSet,
    DryRiseRate,
    DryRiseHeatingOff,
    DryFall,
    DryAbove,
    WetUnderSet,
    WetOverSet,
    WetBelow,
    WetAbove,
    WetOverDry,
    DepressionAbove,
    DepressionBelow,
    MainsLost,
    FanStopped,
    SensorImplausible,
    SensorFrozen,
    SensorJump,
    Silent,
    StepOverrun,
    CureOverrun,
    DoorOpen,
    HeatPumpFault,
    HeatPumpDefrost,
    HeatingSaturated,
    VentMismatch,
    TierDifference,
    /// A step ended without a leaf-state note (A15); judged on the cure record.
    StepUnconfirmed,
    /// The operator finished the cure (A20); `threshold`: hours the reminder stays.
    CureComplete,
}

impl Kind {
    /// Kinds whose threshold is a deviation: clearing needs the deviation below half of it,
    /// so a value hovering at the threshold does not raise and clear over and over.
    pub fn relaxes(self) -> bool {
        matches!(
            self,
            Kind::DryOverSet
                | Kind::DryUnderSet
                | Kind::WetUnderSet
                | Kind::WetOverSet
                | Kind::DryRiseRate
                | Kind::DryFall
                | Kind::TierDifference
                | Kind::VentMismatch
        )
    }

    fn needs_threshold(self) -> bool {
        !matches!(
            self,
            Kind::MainsLost
                | Kind::SensorImplausible
                | Kind::DoorOpen
                | Kind::HeatPumpFault
                | Kind::HeatPumpDefrost
                | Kind::StepUnconfirmed
        )
    }

    /// Kinds judged on the window's mean when the level gives a window: a noisy reading
    /// near the threshold must not restart the level's duration.
    pub(crate) fn may_average(self) -> bool {
        matches!(self, Kind::DepressionBelow)
    }

    fn needs_window(self) -> bool {
        matches!(
            self,
            Kind::DryRiseRate | Kind::DryRiseHeatingOff | Kind::DryFall | Kind::HeatingSaturated
        )
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("alarm rules: {0}")]
pub struct RulesError(pub String);

impl RuleSet {
    pub fn builtin() -> RuleSet {
        // The shipped file is checked by a test; failing here is a build defect.
        #[allow(clippy::expect_used)]
        RuleSet::from_json(BUILTIN).expect("the shipped alarm rules are valid")
    }

    /// Parses and checks a rule set: unique ids, known suppressors, every level complete.
    pub fn from_json(json: &str) -> Result<RuleSet, RulesError> {
        let set: RuleSet = serde_json::from_str(json).map_err(|e| RulesError(e.to_string()))?;
        set.validate()?;
        Ok(set)
    }

    fn validate(&self) -> Result<(), RulesError> {
        let bad = |id: &str, why: String| Err(RulesError(format!("{id}: {why}")));
        if !(self.clear_after_min >= 0.0 && self.plausible_c[0] < self.plausible_c[1]) {
            return bad(
                "rule set",
                "clear_after_min or plausible_c out of range".into(),
            );
        }
        for (i, r) in self.rules.iter().enumerate() {
            if self.rules[..i].iter().any(|o| o.id == r.id) {
                return bad(&r.id, "duplicate id".into());
            }
            if let Some(s) = r.suppressed_by.iter().find(|s| self.rule(s).is_none()) {
                return bad(&r.id, format!("suppressed by unknown rule {s}"));
            }
            if r.levels.is_empty() {
                return bad(&r.id, "no levels".into());
            }
            if r.levels
                .iter()
                .any(|l| l.kind.on_clock() != r.on_clock() || l.kind.on_event() != r.on_event())
            {
                return bad(&r.id, "mixes clock, event and reading levels".into());
            }
            // An event rule is one fact of the cure record: nothing to grade or suppress.
            if r.on_event() && (r.levels.len() != 1 || !r.suppressed_by.is_empty()) {
                return bad(
                    &r.id,
                    "an event rule has one level and no suppressors".into(),
                );
            }
            for l in &r.levels {
                let finite = |v: Option<f64>| v.is_none_or(f64::is_finite);
                if l.kind.needs_threshold() != l.threshold.is_some()
                    || (l.kind.needs_window() && !l.window_min.is_some_and(|w| w > 0.0))
                    || (!l.kind.needs_window() && !l.kind.may_average() && l.window_min.is_some())
                    || !(l.for_min >= 0.0 && finite(l.threshold))
                    || l.dry_range
                        .is_some_and(|[a, b]| a.partial_cmp(&b) != Some(std::cmp::Ordering::Less))
                {
                    return bad(
                        &r.id,
                        format!("level {:?} is incomplete or out of range", l.kind),
                    );
                }
            }
        }
        Ok(())
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

impl Rule {
    /// Judged on the clock (silence, overruns) rather than on readings.
    pub fn on_clock(&self) -> bool {
        self.levels.first().is_some_and(|l| l.kind.on_clock())
    }

    /// Judged on the cure record (an operator's advance), never on readings or the clock.
    pub fn on_event(&self) -> bool {
        self.levels.first().is_some_and(|l| l.kind.on_event())
    }
}
