//! The expected curve as a PNG: dry and wet bulb set points with the min/max-hold band and the
//! step boundaries. Labels are English and ASCII: the embedded font has no Chinese glyphs.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use yannong_core::Timestamp;
use yannong_core::curing::{ExpectedCurve, Knot, Recipe};

const SIZE: (u32, u32) = (1280, 720);
const DRY: RGBColor = RGBColor(200, 50, 40);
const WET: RGBColor = RGBColor(40, 90, 200);
const OFF: RGBColor = RGBColor(255, 205, 120);

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TTF shipped inside the dejavu crate.
        let _ = register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A measured sample: hours since the cure started, dry bulb, wet bulb.
pub type Measured = (f64, f64, f64);

pub fn draw_curve(
    recipe: &Recipe,
    curve: &ExpectedCurve,
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let title = format!(
        "{}: {} ({:.0} h nominal)",
        recipe.id,
        recipe.name.en,
        curve.end().hours_since(curve.start)
    );
    draw(&title, curve, &[], &[], path)
}

/// A barn's measured dry and wet bulb (points) over its cure's expected curve, with the spans
/// off the curve (`excursions`, hours since start) shaded.
pub fn draw_barn(
    title: &str,
    curve: &ExpectedCurve,
    measured: &[Measured],
    excursions: &[(f64, f64)],
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    draw(title, curve, measured, excursions, path)
}

fn draw(
    title: &str,
    curve: &ExpectedCurve,
    measured: &[Measured],
    excursions: &[(f64, f64)],
    path: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    register_fonts();
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let hours = |t: Timestamp| t.hours_since(curve.start);
    let end_h = curve
        .steps
        .last()
        .map_or(1.0, |w| hours(w.end_latest))
        .max(1.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 28).into_font().style(FontStyle::Bold))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..end_h * 1.02, 20.0..75.0)?;
    chart
        .configure_mesh()
        .x_desc("hours since start")
        .x_label_formatter(&|h| format!("{h:.0}"))
        .y_label_formatter(&|c| format!("{c:.0}"))
        .y_desc("set point, °C")
        .label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;

    // At least a quarter hour wide, so a short excursion still shows at this scale.
    let off = excursions
        .iter()
        .map(|&(a, b)| Rectangle::new([(a, 20.0), (b.max(a + 0.25), 75.0)], OFF.filled()));
    if !excursions.is_empty() {
        chart
            .draw_series(off)?
            .label("off the recipe curve")
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], OFF.filled()));
    }
    for w in &curve.steps {
        let x = hours(w.start);
        chart.draw_series(LineSeries::new(
            [(x, 20.0), (x, 75.0)],
            RGBColor(190, 190, 190),
        ))?;
        chart.draw_series(std::iter::once(Text::new(
            w.code.clone(),
            (x + 0.5, 73.5),
            ("sans-serif", 16),
        )))?;
    }

    let line = |knots: &[Knot], wet: bool| -> Vec<(f64, f64)> {
        knots
            .iter()
            .map(|k| (hours(k.t), if wet { k.wet_bulb_c } else { k.dry_bulb_c }))
            .collect()
    };
    let band = |c: RGBColor| c.mix(0.35).stroke_width(1);
    for knots in [&curve.fastest, &curve.slowest] {
        chart.draw_series(LineSeries::new(line(knots, false), band(DRY)))?;
        chart.draw_series(LineSeries::new(line(knots, true), band(WET)))?;
    }
    for (wet, colour, label) in [
        (false, DRY, "dry bulb (nominal; thin: min/max holds)"),
        (true, WET, "wet bulb"),
    ] {
        chart
            .draw_series(LineSeries::new(
                line(&curve.nominal, wet),
                colour.stroke_width(3),
            ))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(3)));
    }
    if !measured.is_empty() {
        for (wet, colour, label) in [
            (false, DRY, "measured dry bulb"),
            (true, WET, "measured wet bulb"),
        ] {
            let pts = measured.iter().map(|&(h, d, w)| {
                Circle::new((h, if wet { w } else { d }), 2, colour.mix(0.8).filled())
            });
            chart
                .draw_series(pts)?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 12, y), 3, colour.filled()));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(180, 180, 180))
        .draw()?;
    root.present()?;
    Ok(())
}
