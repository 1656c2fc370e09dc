//! `learning_curve.png`: training and validation loss, and the validation MAEs, against the
//! step, on a logarithmic y axis.
//!
//! Text is drawn with plotters' `ab_glyph` renderer and a font bundled in the binary
//! (DejaVu Sans Mono, `assets/`), so no system font library is needed.

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::prelude::*;

use crate::metrics::MetricsRow;

/// File name inside the run folder.
pub const PLOT_FILE: &str = "learning_curve.png";

const FONT: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");
const FONT_NAME: &str = "sans-serif";

fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // A failure here only loses the labels; plotting then reports the error.
        let _ = plotters::style::register_font(FONT_NAME, FontStyle::Normal, FONT);
    });
}

/// One series: a name, a colour and (step, value) points.
struct Series<'a> {
    name: &'a str,
    colour: RGBColor,
    points: Vec<(f64, f64)>,
}

/// Draws the learning curve of `rows` to `path` (PNG, 1200×500 pixels), atomically: to
/// a temporary file beside it, then renamed.
pub fn plot_learning_curve(path: &Path, rows: &[MetricsRow], energy_unit: &str) -> Result<()> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.tmp-{}.png", std::process::id()));
    draw(&temporary, rows, energy_unit)?;
    std::fs::rename(&temporary, path).map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

fn draw(path: &Path, rows: &[MetricsRow], energy_unit: &str) -> Result<()> {
    register_font();
    let points = |value: fn(&MetricsRow) -> f64| -> Vec<(f64, f64)> {
        rows.iter()
            .map(|r| (r.step.max(1) as f64, value(r)))
            .filter(|(_, v)| v.is_finite() && *v > 0.0)
            .collect()
    };
    let losses = [
        Series { name: "train loss", colour: BLUE, points: points(|r| r.train_loss) },
        Series { name: "valid loss", colour: RED, points: points(|r| r.valid_loss) },
    ];
    let energy_label = format!("valid E MAE ({energy_unit})");
    let forces_label = format!("valid F MAE ({energy_unit}/Å)");
    let errors = [
        Series { name: &energy_label, colour: GREEN, points: points(|r| r.valid_energy_mae) },
        Series { name: &forces_label, colour: MAGENTA, points: points(|r| r.valid_forces_mae) },
    ];

    let root = BitMapBackend::new(path, (1200, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let (left, right) = root.split_horizontally(600);
    draw_panel(&left, "loss", &losses)?;
    draw_panel(&right, "validation error", &errors)?;
    root.present().map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

fn draw_panel(
    area: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    title: &str,
    series: &[Series],
) -> Result<()> {
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| s.points.iter().copied()).collect();
    if all.is_empty() {
        return Ok(());
    }
    let x_max = all.iter().map(|p| p.0).fold(1.0, f64::max) * 1.02;
    let (y_min, y_max) = bounds(all.iter().map(|p| p.1));

    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT_NAME, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..x_max, (y_min..y_max).log_scale())
        .map_err(|e| anyhow!("{e}"))?;
    chart
        .configure_mesh()
        .x_desc("step")
        .x_labels(6)
        .y_labels(8)
        .light_line_style(WHITE)
        .label_style((FONT_NAME, 13))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.1e}"))
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    for s in series {
        let colour = s.colour;
        chart
            .draw_series(LineSeries::new(s.points.iter().copied(), colour.stroke_width(2)))
            .map_err(|e| anyhow!("{e}"))?
            .label(s.name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .label_font((FONT_NAME, 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// Range of positive values, widened a little (and to a non-empty range).
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (min, max) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (min, max) = if min.is_finite() { (min, max) } else { (1.0, 10.0) };
    if max <= min * 1.01 {
        (min / 1.5, max * 1.5)
    } else {
        (min / 1.1, max * 1.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_png() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(PLOT_FILE);
        let rows: Vec<MetricsRow> = (1..20)
            .map(|k| MetricsRow {
                step: 100 * k,
                epoch: k as f64,
                wall_seconds: k as f64,
                learning_rate: 1e-3,
                train_loss: 10.0 / k as f64,
                valid_loss: 12.0 / k as f64,
                valid_energy_mae: 3.0 / (k as f64).sqrt(),
                valid_forces_mae: 5.0 / (k as f64).sqrt(),
                valid_energy_rmse: 1.0,
                valid_forces_rmse: 1.0,
            })
            .collect();
        plot_learning_curve(&path, &rows, "kcal/mol").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
    }
}
