//! The load of leaves: water in lamina and stems, colour (yellowing), tissue viability and
//! damage. One lumped leaf temperature; water leaves by evaporation driven by the vapour
//! pressure deficit between the leaf surface and the barn air.

use yannong_core::Text;
use yannong_core::curing::LeafPosition;

use super::params::BarnParams;

/// Share of fresh mass that is midrib (主脉) (ENG: 25–30 % in flue-cured tobacco).
const STEM_SHARE: f64 = 0.3;
/// Vapour conductance of living lamina, kg water per kg dry matter per s per hPa (ENG: fitted
/// so ~20 % of the water is gone by the end of Y1 and ~30 % by the end of yellowing [N5]).
const G_ALIVE: f64 = 1.1e-6;
/// Killed lamina: membranes no longer hold water (ENG: fitted to 小卷筒 by the end of F1 and
/// 大卷筒 by the end of F2 of the default recipe).
const G_DEAD: f64 = 2.0e-6;
/// Midrib at 60 °C: diffusion-limited, strongly temperature dependent (ENG: stems dry in
/// 干筋 at 60–68 °C, slowly before).
const G_STEM: f64 = 0.85e-6;
/// Free water of fresh middle-leaf lamina and midribs, kg per kg dry matter (water fraction
/// 0.83 and 0.90).
const LAMINA_FREE_REF: f64 = 4.7;
const STEM_FREE_REF: f64 = 8.9;
/// Heat capacity of dry leaf matter, J/(kg K).
const CP_DRY: f64 = 1500.0;
const CP_WATER: f64 = 4186.0;

/// What the leaves look like now, as an operator judges them.
#[derive(Debug, Clone, PartialEq)]
pub struct LeafState {
    /// Yellowed share of the leaf area, 0..1 (N成黄 = N/10).
    pub yellowing: f64,
    /// Water in the lamina, fraction of its current mass.
    pub lamina_water_fraction: f64,
    /// Water in the midribs, fraction of their current mass.
    pub stem_water_fraction: f64,
    /// Share of the load's initial water that has evaporated.
    pub water_lost: f64,
    /// Share of the lamina's initial water that has evaporated (小卷筒 ≈ 0.6).
    pub lamina_dried: f64,
    /// The furthest leaf-state milestone reached (§1: 叶尖变黄 … 干筋).
    pub milestone: Text,
    /// Share of the load scalded (烫片/蒸片): heated while turgid in humid air.
    pub scald: f64,
    /// Share of the leaf area whose green was fixed: tissue died before it yellowed (青烟).
    pub green_fixed: f64,
    /// Share of tissue still alive (yellowing needs living cells).
    pub viability: f64,
    pub temperature_c: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct Leaf {
    position: LeafPosition,
    dry_lamina: f64,
    dry_stem: f64,
    pub water_lamina: f64,
    pub water_stem: f64,
    water_lamina0: f64,
    water_stem0: f64,
    pub temp_c: f64,
    yellow: f64,
    viability: f64,
    scald: f64,
    /// Yellowing speed relative to middle leaves.
    speed: f64,
    /// Drying speed relative to middle leaves (thin lower leaves dry fast, thick upper slowly).
    drying: f64,
}

/// Equilibrium moisture of cured tobacco, kg water per kg dry matter, at relative humidity
/// `rh` (ENG: a sorption-isotherm shape through ~0.1 at 40 % and ~0.15 at 60 % RH).
fn equilibrium_moisture(rh: f64) -> f64 {
    0.04 + 0.18 * rh + 0.3 * rh.powi(8)
}

/// Yellowing rate constant of the logistic colour change, 1/h, at leaf temperature `t`:
/// rising with temperature to a plateau at 40–44 °C, falling as enzymes denature above.
fn yellowing_rate(t: f64) -> f64 {
    if t < 40.0 {
        0.11 * (0.12 * (t - 38.0)).exp()
    } else if t < 44.0 {
        0.11 * 0.24f64.exp()
    } else {
        0.11 * 0.24f64.exp() * ((52.0 - t) / 8.0).max(0.0)
    }
}

impl Leaf {
    pub fn new(p: &BarnParams, temp_c: f64) -> Leaf {
        let fresh = p.capacity_kg.max(1.0);
        let w0 = p.water_fraction.clamp(0.5, 0.95);
        let water = fresh * w0;
        // Midribs hold more water than the lamina (ENG: ~4 points above the leaf average).
        let stem_fresh = fresh * STEM_SHARE;
        let stem_w = (w0 + 0.04).min(0.92);
        let water_stem = stem_fresh * stem_w;
        let dry_stem = stem_fresh - water_stem;
        let water_lamina = water - water_stem;
        let dry_lamina = fresh - stem_fresh - water_lamina;
        Leaf {
            position: p.position,
            dry_lamina,
            dry_stem,
            water_lamina,
            water_stem,
            water_lamina0: water_lamina,
            water_stem0: water_stem,
            temp_c,
            yellow: p.initial_yellowing.clamp(0.01, 0.99),
            viability: 1.0,
            scald: 0.0,
            // Thin lower leaves yellow and dry fast, thick upper leaves slowly (§2.1; ENG
            // factors fitted to the built-in recipes' nominal holds).
            speed: match p.position {
                LeafPosition::Lower => 1.5,
                LeafPosition::Middle => 1.0,
                LeafPosition::Upper => 0.76,
            },
            drying: match p.position {
                LeafPosition::Lower => 1.8,
                LeafPosition::Middle => 1.0,
                LeafPosition::Upper => 0.8,
            },
        }
    }

    /// Heat capacity of leaves and their water, J/K.
    pub fn heat_capacity(&self) -> f64 {
        (self.dry_lamina + self.dry_stem) * CP_DRY
            + (self.water_lamina + self.water_stem) * CP_WATER
    }

    fn lamina_dried(&self) -> f64 {
        1.0 - self.water_lamina / self.water_lamina0
    }

    fn water_lost(&self) -> f64 {
        let w0 = self.water_lamina0 + self.water_stem0;
        1.0 - (self.water_lamina + self.water_stem) / w0
    }

    /// Evaporation conductances (lamina, stem), kg/(s·hPa): multiply by the vapour pressure
    /// deficit between the leaf surface and the air.
    pub fn conductances(&self, rh: f64) -> (f64, f64) {
        let meq = equilibrium_moisture(rh);
        // Falling-rate drying: the free water above equilibrium limits the flow, relative to
        // the free water of fresh middle leaves (so wetter leaves start at the full rate).
        let free = |water: f64, dry: f64, reference: f64| {
            ((water / dry - meq) / reference).clamp(0.0, 1.0)
        };
        let v = self.viability;
        let lamina = self.drying
            * self.dry_lamina
            * (G_ALIVE * v + G_DEAD * (1.0 - v))
            * free(self.water_lamina, self.dry_lamina, LAMINA_FREE_REF);
        let stem_g = 0.5 * G_ALIVE * v + G_STEM * ((self.temp_c - 60.0) / 7.0).exp();
        let stem = self.drying
            * self.dry_stem
            * stem_g
            * free(self.water_stem, self.dry_stem, STEM_FREE_REF).powf(0.6);
        (lamina, stem)
    }

    /// Removes `lamina` and `stem` kg of evaporated water.
    pub fn evaporate(&mut self, lamina: f64, stem: f64) {
        self.water_lamina = (self.water_lamina - lamina).max(0.01 * self.dry_lamina);
        self.water_stem = (self.water_stem - stem).max(0.01 * self.dry_stem);
    }

    /// Colour, life and damage over `dt_s` seconds with the air at relative humidity `rh`.
    pub fn live(&mut self, dt_s: f64, rh: f64) {
        let h = dt_s / 3600.0;
        let t = self.temp_c;
        let dried = self.lamina_dried();
        // Cells die from heat above ~43 °C and from desiccation past ~35 % lamina water loss.
        let heat_kill = if t > 40.0 {
            0.05 * ((t - 45.0) / 2.0).exp()
        } else {
            0.0
        };
        let dry_kill = 0.3 * ((dried - 0.35) / 0.2).clamp(0.0, 1.0);
        self.viability *= (-(heat_kill + dry_kill) * h).exp();
        // Yellowing needs living, still moist cells; drying first fixes the green (§1 青烟).
        let moist = ((0.55 - dried) / 0.25).clamp(0.0, 1.0);
        let y = self.yellow;
        let dy = self.speed * yellowing_rate(t) * self.viability * moist * y * (1.0 - y);
        self.yellow = (y + dy * h).clamp(0.0, 0.999);
        // Scald: turgid leaf heated above 41.7 °C (107 °F) [N5], worse in humid air (蒸片).
        let turgid = ((0.25 - dried) / 0.15).clamp(0.0, 1.0);
        let humid = 0.4 + 0.6 * ((rh - 0.6) / 0.3).clamp(0.0, 1.0);
        let ds = 0.3 * (t - 41.7).max(0.0) * turgid * humid * (1.0 - self.scald);
        self.scald = (self.scald + ds * h).min(1.0);
    }

    /// The quantities milestones and step conditions are judged on.
    pub fn facts(&self) -> Facts {
        let frac = |water: f64, dry: f64| water / (water + dry);
        Facts {
            yellow: self.yellow,
            lost: self.water_lost(),
            dried: self.lamina_dried(),
            lamina_w: frac(self.water_lamina, self.dry_lamina),
            stem_w: frac(self.water_stem, self.dry_stem),
        }
    }

    /// The furthest milestone reached, if any.
    pub fn milestone(&self, facts: &Facts) -> Option<&'static Milestone> {
        MILESTONES
            .iter()
            .rev()
            .find(|m| (m.reached)(facts, self.position))
    }

    pub fn state(&self) -> LeafState {
        let f = self.facts();
        let milestone = self.milestone(&f).map_or_else(
            || Text::new("鲜烟叶", "Fresh leaf"),
            |m| Text::new(m.zh, m.en),
        );
        LeafState {
            yellowing: f.yellow,
            lamina_water_fraction: f.lamina_w,
            stem_water_fraction: f.stem_w,
            water_lost: f.lost,
            lamina_dried: f.dried,
            milestone,
            scald: self.scald,
            green_fixed: (1.0 - self.viability) * (1.0 - self.yellow),
            viability: self.viability,
            temperature_c: self.temp_c,
        }
    }
}

/// What the milestones are judged on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts {
    pub yellow: f64,
    pub lost: f64,
    pub dried: f64,
    pub lamina_w: f64,
    pub stem_w: f64,
}

#[derive(Debug)]
pub(crate) struct Milestone {
    pub zh: &'static str,
    pub en: &'static str,
    pub reached: fn(&Facts, LeafPosition) -> bool,
}

/// Thresholds for "wilted" and "lamina fully dry", shared with the step conditions (ENG).
pub(crate) const WILTED_LOST: f64 = 0.25;
pub(crate) const SOFT_LOST: f64 = 0.14;
pub(crate) const LAMINA_DRY_W: f64 = 0.20;
pub(crate) const STEM_DRY_W: f64 = 0.20;

/// Yellowing that counts as 黄片青筋: 8成 for lower leaves, 9成 otherwise (§2).
pub(crate) fn yellow_lamina(position: LeafPosition) -> f64 {
    if position == LeafPosition::Lower {
        0.8
    } else {
        0.88
    }
}

/// §1 milestones in the order a cure reaches them.
pub(crate) const MILESTONES: [Milestone; 9] = [
    Milestone {
        zh: "叶尖变黄",
        en: "Leaf tips yellow",
        reached: |f, _| f.yellow >= 0.12,
    },
    Milestone {
        zh: "黄片青筋",
        en: "Yellow lamina, green midrib",
        reached: |f, p| f.yellow >= yellow_lamina(p),
    },
    Milestone {
        zh: "凋萎塌架",
        en: "Wilted and collapsed",
        reached: |f, p| f.yellow >= yellow_lamina(p) && f.lost >= WILTED_LOST,
    },
    Milestone {
        zh: "黄片黄筋",
        en: "Midrib yellow",
        reached: |f, _| f.yellow >= 0.96 && f.lost >= WILTED_LOST,
    },
    Milestone {
        zh: "勾尖卷边",
        en: "Tips hook, edges curl",
        reached: |f, _| f.dried >= 0.4,
    },
    Milestone {
        zh: "软卷筒",
        en: "Soft roll",
        reached: |f, _| f.dried >= 0.5,
    },
    Milestone {
        zh: "小卷筒",
        en: "Small roll",
        reached: |f, _| f.dried >= 0.62,
    },
    Milestone {
        zh: "大卷筒",
        en: "Big roll (lamina dry)",
        reached: |f, _| f.lamina_w <= LAMINA_DRY_W,
    },
    Milestone {
        zh: "干筋",
        en: "Stems dry",
        reached: |f, _| f.stem_w <= STEM_DRY_W && f.lamina_w <= LAMINA_DRY_W,
    },
];
