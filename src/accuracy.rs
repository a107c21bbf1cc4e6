//! The accuracy score: keyhound's built-in rules against a labelled corpus (`fixtures/accuracy`),
//! as recall and false-positive rate per rule and overall. `labels.tsv` lists where each
//! secret is and which rule must report it; every other finding is a false positive.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::diag::Diagnostics;
use crate::filter::Filter;
use crate::finding::Finding;
use crate::matcher::Matcher;
use crate::scanner::{self, ScanOptions};
use crate::source::worktree::{WalkOptions, Worktree};

#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("{file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: expected path, first line, last line, rule id")]
    Malformed { file: String, line: usize },
    #[error(transparent)]
    Scan(#[from] crate::source::SourceError),
}

pub struct Label {
    pub path: String,
    pub first_line: usize,
    pub last_line: usize,
    pub rule_id: String,
}

#[derive(Default, Debug, Clone, Copy)]
pub struct Counts {
    pub expected: usize,
    /// Reported by this rule.
    pub found: usize,
    /// Reported, but by another rule (a GitLab token in an `.npmrc` line is a GitLab token).
    pub other_rule: usize,
    pub false_positives: usize,
}

pub struct Score {
    pub per_rule: BTreeMap<String, Counts>,
    /// `path:line rule` of each label no finding answered.
    pub missed: Vec<String>,
    /// `path:line rule → other` for labels answered by another rule.
    pub attributed: Vec<String>,
    /// `path:line rule` of each finding no label asked for.
    pub false_positives: Vec<String>,
    /// Further findings inside labelled examples (the other half of a credential).
    pub extra: usize,
    pub files: u64,
}

impl Score {
    pub fn expected(&self) -> usize {
        self.per_rule.values().map(|c| c.expected).sum()
    }

    /// Labelled secrets reported, by their rule or another.
    pub fn detected(&self) -> usize {
        self.per_rule.values().map(|c| c.found + c.other_rule).sum()
    }

    /// Share of labelled secrets reported at all.
    pub fn recall(&self) -> f64 {
        ratio(self.detected(), self.expected())
    }

    /// Share of labelled secrets reported by the rule written for them.
    pub fn rule_recall(&self) -> f64 {
        ratio(
            self.per_rule.values().map(|c| c.found).sum(),
            self.expected(),
        )
    }

    /// False positives among all findings reported (1 − precision).
    pub fn false_positive_rate(&self) -> f64 {
        let fp = self.false_positives.len();
        ratio(fp, fp + self.detected())
    }

    pub fn render(&self, verbose: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<40} {:>8} {:>6} {:>6} {:>6} {:>4} {:>7}",
            "rule", "expected", "found", "other", "missed", "fp", "recall"
        );
        // Rules with a miss or a false positive first, then the rest.
        let mut rows: Vec<(&String, &Counts)> = self.per_rule.iter().collect();
        rows.sort_by_key(|(id, c)| (c.found == c.expected && c.false_positives == 0, *id));
        for (id, c) in rows {
            let detected = c.found + c.other_rule;
            let _ = writeln!(
                out,
                "{:<40} {:>8} {:>6} {:>6} {:>6} {:>4} {:>6.1}%",
                id,
                c.expected,
                c.found,
                c.other_rule,
                c.expected - detected,
                c.false_positives,
                100.0 * ratio(detected, c.expected)
            );
        }
        if verbose {
            for m in &self.missed {
                let _ = writeln!(out, "missed: {m}");
            }
            for a in &self.attributed {
                let _ = writeln!(out, "found by another rule: {a}");
            }
            for f in &self.false_positives {
                let _ = writeln!(out, "false positive: {f}");
            }
        }
        let _ = writeln!(
            out,
            "\n{} rules, {} labelled secrets in {} files: recall {:.2}% ({} missed; {:.2}% by \
             the rule written for them), false-positive rate {:.2}% ({} false of {} reported; \
             {} more inside labelled examples)",
            self.per_rule.len(),
            self.expected(),
            self.files,
            100.0 * self.recall(),
            self.expected() - self.detected(),
            100.0 * self.rule_recall(),
            100.0 * self.false_positive_rate(),
            self.false_positives.len(),
            self.false_positives.len() + self.detected(),
            self.extra
        );
        out
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

pub fn load_labels(path: &Path) -> Result<Vec<Label>, LabelError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| LabelError::Read {
        file: file.clone(),
        source,
    })?;
    let mut labels = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let bad = || LabelError::Malformed {
            file: file.clone(),
            line: n + 1,
        };
        if cols.len() != 4 {
            return Err(bad());
        }
        labels.push(Label {
            path: cols[0].to_string(),
            first_line: cols[1].parse().map_err(|_| bad())?,
            last_line: cols[2].parse().map_err(|_| bad())?,
            rule_id: cols[3].to_string(),
        });
    }
    Ok(labels)
}

/// Scans `dir` with `matcher` and scores the findings against `dir/labels.tsv`.
pub fn score(matcher: &Matcher, dir: &Path, diag: &dyn Diagnostics) -> Result<Score, LabelError> {
    let labels = load_labels(&dir.join("labels.tsv"))?;
    let opts = ScanOptions {
        max_file_size: 10 << 20,
        fail_too_large: false,
        progress: false,
        deltas: false,
        archive_depth: 0,
        cache: None,
    };
    let tree = Worktree::new(
        vec![dir.to_path_buf()],
        WalkOptions {
            respect_ignore: false,
            hidden: true,
            threads: 0,
            exclude_names: Vec::new(),
            name_ignored: false,
        },
    );
    let outcome = scanner::run(&tree, matcher, &opts, &Filter::default(), diag)?;
    // Labels are relative to the corpus directory.
    let rel = |p: &str| match Path::new(p).strip_prefix(dir) {
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => p.to_string(),
    };
    let findings: Vec<Finding> = outcome
        .findings
        .into_iter()
        .map(|mut f| {
            f.origin = crate::content::Origin::File {
                path: rel(f.path()),
            };
            f
        })
        .collect();
    Ok(compare(&labels, &findings, outcome.stats.files))
}

/// Each label is answered by a finding (or a paired part of one) of its rule on its lines.
fn compare(labels: &[Label], findings: &[Finding], files: u64) -> Score {
    // (path, line, rule) of everything reported, with whether a label used it.
    let mut reported: Vec<(String, usize, String, bool)> = Vec::new();
    for f in findings {
        reported.push((f.path().to_string(), f.line, f.rule_id.clone(), false));
        for p in &f.paired {
            reported.push((f.path().to_string(), p.line, p.rule_id.clone(), false));
        }
    }
    let mut per_rule: BTreeMap<String, Counts> = BTreeMap::new();
    let mut missed = Vec::new();
    let mut attributed = Vec::new();
    let on_label = |label: &Label, path: &str, line: usize| {
        path == label.path && (label.first_line..=label.last_line).contains(&line)
    };
    // Answers by the label's own rule first, so another rule's finding is only taken for a
    // label its own rule left unanswered.
    let mut unanswered = Vec::new();
    for label in labels {
        per_rule.entry(label.rule_id.clone()).or_default().expected += 1;
        let hit = reported.iter_mut().find(|(path, line, rule, used)| {
            !*used && *rule == label.rule_id && on_label(label, path, *line)
        });
        match hit {
            Some(h) => {
                h.3 = true;
                per_rule.entry(label.rule_id.clone()).or_default().found += 1;
            }
            None => unanswered.push(label),
        }
    }
    for label in unanswered {
        let hit = reported
            .iter_mut()
            .find(|(path, line, _, used)| !*used && on_label(label, path, *line));
        let who = format!("{}:{} {}", label.path, label.first_line, label.rule_id);
        match hit {
            Some(h) => {
                h.3 = true;
                per_rule
                    .entry(label.rule_id.clone())
                    .or_default()
                    .other_rule += 1;
                attributed.push(format!("{who} → {}", h.2));
            }
            None => missed.push(who),
        }
    }
    let mut false_positives = Vec::new();
    let mut extra = 0;
    for (path, line, rule, used) in &reported {
        if *used {
            continue;
        }
        // A second credential inside a labelled example (an exchange config with its key and
        // its secret) is real; only findings outside every labelled example are false.
        let inside = labels
            .iter()
            .any(|l| l.path == *path && (l.first_line..=l.last_line).contains(line));
        if inside {
            extra += 1;
        } else {
            per_rule.entry(rule.clone()).or_default().false_positives += 1;
            false_positives.push(format!("{path}:{line} {rule}"));
        }
    }
    Score {
        per_rule,
        missed,
        attributed,
        false_positives,
        extra,
        files,
    }
}
