//! `yannong leaf eval MANIFEST.csv`: the whole phone-side check (gate, model, calibration,
//! "not sure") over a labelled manifest, as tables a person can read.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;
use yannong_core::leaf::model::{HeadKind, maturity_of_label};
use yannong_core::leaf::{LeafAnswer, MaturitySource, Verdict, maturity_topic};

use crate::Result;
use crate::leaf::{CheckArgs, check_file};

/// One manifest row and what the check made of it.
struct Row {
    label: String,
    group: String,
    verdict: &'static str,
    /// The disease head's argmax, when the model ran.
    disease: Option<String>,
    /// The maturity key a model head or the colour rule gave (any verdict but retake/no leaf).
    maturity_model: Option<String>,
    maturity_colour: Option<String>,
}

pub fn run(manifest: &Path, root: Option<&Path>, as_json: bool, args: &CheckArgs) -> Result<()> {
    let root = root
        .map(Path::to_path_buf)
        .or_else(|| manifest.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let mut reader = csv::Reader::from_path(manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(file_col), Some(label_col)) = (col("file"), col("label")) else {
        return Err(format!("{}: needs `file` and `label` columns", manifest.display()).into());
    };
    let group_col = col("source_group");
    let mut jobs = Vec::new();
    for record in reader.records() {
        let r = record?;
        let file = r.get(file_col).unwrap_or_default().to_owned();
        let group = group_col
            .and_then(|g| r.get(g))
            .filter(|g| !g.is_empty())
            .unwrap_or(&file)
            .to_owned();
        jobs.push((
            root.join(&file),
            r.get(label_col).unwrap_or_default().to_owned(),
            group,
        ));
    }
    let (checker, opts) = args.checker()?;
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = jobs.len().div_ceil(workers).max(1);
    let rows: Vec<Row> = std::thread::scope(|s| {
        let handles: Vec<_> = jobs
            .chunks(chunk)
            .map(|part| {
                let (checker, opts) = (&checker, &opts);
                s.spawn(move || {
                    part.iter()
                        .map(|(path, label, group)| {
                            let answer = check_file(checker, opts, path)
                                .map_err(|e| format!("{}: {e}", path.display()))?;
                            Ok(row(label, group, &answer))
                        })
                        .collect::<std::result::Result<Vec<Row>, String>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a worker panicked".into())))
            .collect::<std::result::Result<Vec<Vec<Row>>, String>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    let disease_labels: Vec<String> = checker
        .model()
        .and_then(|m| m.manifest().head(HeadKind::Disease))
        .map(|h| h.labels.iter().map(|l| l.id.clone()).collect())
        .unwrap_or_default();
    let report = Report::new(&rows, &disease_labels);
    if as_json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text(manifest));
    }
    Ok(())
}

fn row(label: &str, group: &str, a: &LeafAnswer) -> Row {
    let judged = matches!(a.verdict, Verdict::Ok | Verdict::NotSure);
    let maturity_of = |source| {
        a.maturity
            .as_ref()
            .filter(|m| m.source == source)
            .map(|m| maturity_topic(m.class).to_owned())
    };
    Row {
        label: label.to_owned(),
        group: group.to_owned(),
        verdict: a.verdict.key(),
        disease: a.disease.as_ref().map(|h| h.top_label().id.clone()),
        maturity_model: maturity_of(MaturitySource::Model).filter(|_| judged),
        maturity_colour: maturity_of(MaturitySource::Colour).filter(|_| judged),
    }
}

/// Counts for the tables.
struct Report<'a> {
    rows: &'a [Row],
    disease_labels: &'a [String],
}

impl<'a> Report<'a> {
    fn new(rows: &'a [Row], disease_labels: &'a [String]) -> Report<'a> {
        Report {
            rows,
            disease_labels,
        }
    }

    fn disease_rows(&self) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(|r| self.disease_labels.contains(&r.label))
    }

    /// (images, answered, answered right, argmax right where the model ran, model ran).
    fn disease_counts(&self, label: Option<&str>) -> [usize; 5] {
        let mut c = [0; 5];
        for r in self
            .disease_rows()
            .filter(|r| label.is_none_or(|l| r.label == l))
        {
            let right = r.disease.as_deref() == Some(&r.label);
            c[0] += 1;
            c[1] += usize::from(r.verdict == "ok");
            c[2] += usize::from(r.verdict == "ok" && right);
            c[3] += usize::from(right);
            c[4] += usize::from(r.disease.is_some());
        }
        c
    }

    fn verdicts_by_label(&self) -> BTreeMap<&str, BTreeMap<&str, usize>> {
        let mut m: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
        for r in self.rows {
            *m.entry(&r.label).or_default().entry(r.verdict).or_default() += 1;
        }
        m
    }

    /// Maturity rows: (images, colour right, colour judged, model right, model judged).
    fn maturity_counts(&self) -> [usize; 5] {
        let mut c = [0; 5];
        for r in self.rows {
            let Some(truth) = maturity_of_label(&r.label).map(maturity_topic) else {
                continue;
            };
            c[0] += 1;
            c[1] += usize::from(r.maturity_colour.as_deref() == Some(truth));
            c[2] += usize::from(r.maturity_colour.is_some());
            c[3] += usize::from(r.maturity_model.as_deref() == Some(truth));
            c[4] += usize::from(r.maturity_model.is_some());
        }
        c
    }

    fn json(&self) -> serde_json::Value {
        let per_class: BTreeMap<&str, serde_json::Value> = self
            .disease_labels
            .iter()
            .map(|l| (l.as_str(), counts_json(self.disease_counts(Some(l)))))
            .collect();
        let m = self.maturity_counts();
        json!({
            "images": self.rows.len(),
            "verdicts": self.verdicts_by_label(),
            "disease": {
                "all": counts_json(self.disease_counts(None)),
                "per_class": per_class,
                "confusion": self.confusion(),
            },
            "maturity": {"images": m[0], "colour_right": m[1], "colour_judged": m[2],
                         "model_right": m[3], "model_judged": m[4]},
        })
    }

    /// true label → predicted (argmax) or the verdict when no answer came.
    fn confusion(&self) -> BTreeMap<&str, BTreeMap<String, usize>> {
        let mut m: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
        for r in self.disease_rows() {
            let col = match (r.verdict, &r.disease) {
                ("ok", Some(d)) => d.clone(),
                (v, _) => v.to_owned(),
            };
            *m.entry(&r.label).or_default().entry(col).or_default() += 1;
        }
        m
    }

    fn text(&self, manifest: &Path) -> String {
        let mut out = format!(
            "leaf check evaluation: {} images from {}\n\n",
            self.rows.len(),
            manifest.display()
        );
        out += "verdicts by label\n";
        for (label, v) in self.verdicts_by_label() {
            let parts: Vec<String> = v.iter().map(|(k, n)| format!("{k} {n}")).collect();
            let _ = writeln!(out, "  {label:<14} {}", parts.join(", "));
        }
        if !self.disease_labels.is_empty() && self.disease_rows().next().is_some() {
            out += "\ndisease head (answered = verdict ok; argmax = top label whenever the model ran)\n";
            out += "  class          images  answered  right/answered  argmax right\n";
            let mut lines: Vec<(String, [usize; 5])> = self
                .disease_labels
                .iter()
                .map(|l| (l.clone(), self.disease_counts(Some(l))))
                .collect();
            lines.push(("all".into(), self.disease_counts(None)));
            for (name, c) in lines {
                let _ = writeln!(
                    out,
                    "  {name:<14} {:>6}  {:>8}  {:>14}  {:>12}",
                    c[0],
                    pct(c[1], c[0]),
                    pct(c[2], c[1]),
                    pct(c[3], c[4])
                );
            }
            out += "\nconfusion (rows: label; columns: answer, or the verdict when none)\n";
            for (label, cols) in self.confusion() {
                let parts: Vec<String> = cols.iter().map(|(k, n)| format!("{k} {n}")).collect();
                let _ = writeln!(out, "  {label:<14} {}", parts.join(", "));
            }
            out += &self.groups_text();
        }
        let m = self.maturity_counts();
        if m[0] > 0 {
            let _ = write!(
                out,
                "\nmaturity ({} labelled images)\n  colour rule: {} right of {} judged\n  model:       {} right of {} judged\n",
                m[0], m[1], m[2], m[3], m[4]
            );
        }
        out
    }

    /// Accuracy per source photo: copies of one photo stand or fall together.
    fn groups_text(&self) -> String {
        let mut groups: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
        for r in self.disease_rows() {
            let g = groups.entry((&r.label, &r.group)).or_default();
            g.0 += 1;
            g.1 += usize::from(r.disease.as_deref() == Some(&r.label));
        }
        let mut out = "\nper source photo (argmax right / images)\n".to_owned();
        for ((label, group), (n, right)) in groups {
            let _ = writeln!(out, "  {label:<12} {right:>3}/{n:<3} {group}");
        }
        out
    }
}

fn counts_json(c: [usize; 5]) -> serde_json::Value {
    json!({"images": c[0], "answered": c[1], "answered_right": c[2], "argmax_right": c[3],
           "model_ran": c[4]})
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        "—".into()
    } else {
        format!("{:.1}% ({n}/{of})", 100.0 * n as f64 / of as f64)
    }
}
