//! Psychrometrics of barn air at the pressure the domain doc uses (P = 1000 hPa).
//!
//! Vapour pressures are in hPa, humidity ratios in kg water per kg dry air. The wet bulb follows
//! the psychrometer equation of curing-domain.md §1: e = e_s(WB) − 6.6·10⁻⁴·P·(DB − WB).

/// Air pressure, hPa (Henan tobacco areas lie at 100–800 m; the doc fixes 1000 hPa).
pub const P_HPA: f64 = 1000.0;
/// Psychrometer coefficient of a ventilated wick, 1/K.
const PSYCHRO_A: f64 = 6.6e-4;
/// Ratio of the molar masses of water and dry air.
const EPSILON: f64 = 0.622;

/// Saturation vapour pressure over water, hPa (Magnus form, Sonntag 1990 constants).
pub fn saturation_hpa(t_c: f64) -> f64 {
    6.112 * ((17.62 * t_c) / (243.12 + t_c)).exp()
}

/// d e_s / dT, hPa/K.
fn saturation_slope(t_c: f64) -> f64 {
    saturation_hpa(t_c) * 17.62 * 243.12 / ((243.12 + t_c) * (243.12 + t_c))
}

/// Vapour pressure of air read by a dry/wet bulb pair, hPa.
pub fn vapour_from_bulbs(dry_c: f64, wet_c: f64) -> f64 {
    saturation_hpa(wet_c) - PSYCHRO_A * P_HPA * (dry_c - wet_c)
}

/// Relative humidity 0..1 from a dry/wet bulb pair.
pub fn rh_from_bulbs(dry_c: f64, wet_c: f64) -> f64 {
    (vapour_from_bulbs(dry_c, wet_c) / saturation_hpa(dry_c)).clamp(0.0, 1.0)
}

/// Humidity ratio of air with vapour pressure `e_hpa`.
pub fn ratio_from_vapour(e_hpa: f64) -> f64 {
    EPSILON * e_hpa / (P_HPA - e_hpa)
}

/// Vapour pressure of air with humidity ratio `x`.
pub fn vapour_from_ratio(x: f64) -> f64 {
    x * P_HPA / (EPSILON + x)
}

/// d e / d x at humidity ratio `x`, hPa per (kg/kg).
pub fn vapour_slope(x: f64) -> f64 {
    P_HPA * EPSILON / ((EPSILON + x) * (EPSILON + x))
}

/// Wet-bulb temperature of air at `dry_c` holding vapour pressure `e_hpa`: the root of
/// e_s(WB) − A·P·(DB − WB) − e = 0, which rises monotonically with WB, found by Newton's
/// method from a linearised first guess (converges to < 1 mK in 3–4 steps in the barn range).
pub fn wet_bulb(dry_c: f64, e_hpa: f64) -> f64 {
    let e = e_hpa.clamp(0.01, saturation_hpa(dry_c));
    let ap = PSYCHRO_A * P_HPA;
    let mut wb = dry_c - (saturation_hpa(dry_c) - e) / (saturation_slope(dry_c) + ap);
    for _ in 0..6 {
        let f = saturation_hpa(wb) - ap * (dry_c - wb) - e;
        let step = f / (saturation_slope(wb) + ap);
        wb -= step;
        if step.abs() < 1e-4 {
            break;
        }
    }
    wb.min(dry_c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_humidity_matches_the_domain_doc() {
        // curing-domain.md §1: 38/36 → ~88 %, 42/37 → ~72 %, 54/38.5 → ~38 %, 68/41 → ~21 %.
        for (db, wb, rh) in [
            (38.0, 36.0, 0.88),
            (42.0, 37.0, 0.72),
            (54.0, 38.5, 0.38),
            (68.0, 41.0, 0.21),
        ] {
            let got = rh_from_bulbs(db, wb);
            assert!((got - rh).abs() < 0.01, "{db}/{wb}: {got}");
        }
    }

    #[test]
    fn wet_bulb_inverts_the_psychrometer_equation() {
        for db in [20.0, 35.0, 42.0, 54.0, 68.0] {
            for depression in [0.0, 0.5, 2.0, 8.0, 20.0] {
                let wb = db - depression;
                let e = vapour_from_bulbs(db, wb);
                if e <= 0.1 {
                    continue;
                }
                let got = wet_bulb(db, e);
                assert!((got - wb).abs() < 0.01, "{db}/{wb}: {got}");
            }
        }
    }

    #[test]
    fn humidity_ratio_round_trips() {
        let e = vapour_from_bulbs(54.0, 38.5);
        let x = ratio_from_vapour(e);
        assert!((0.03..0.045).contains(&x), "{x}");
        assert!((vapour_from_ratio(x) - e).abs() < 1e-9);
    }
}
