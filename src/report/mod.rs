//! Reporters: each output format is a sibling module that turns findings into bytes.

pub mod html;
pub mod human;
pub mod json;
pub mod sarif;

use std::io::{self, Write};

use crate::finding::Finding;
use crate::matcher::Matcher;
use crate::scan::Stats;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Grouped by file, secrets partly masked; colour on a terminal.
    Human,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// One self-contained HTML page with a filter box (secrets masked).
    Html,
}

pub struct Report<'a> {
    pub findings: &'a [Finding],
    pub stats: &'a Stats,
    /// Rule metadata (names, descriptions, references) for SARIF's rule table.
    pub matcher: &'a Matcher,
    pub color: bool,
    /// The secrets were already replaced (`--redact`): do not mask them again.
    pub redacted: bool,
    /// Show fingerprints in human output.
    pub print_fingerprints: bool,
    /// The absolute directory that finding paths are relative to (SARIF's `%SRCROOT%`).
    pub root: Option<std::path::PathBuf>,
}

pub fn write(format: Format, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, out),
        Format::Json => json::write_array(report.findings, out),
        Format::Jsonl => json::write_lines(report.findings, out),
        Format::Sarif => sarif::write(report, out),
        Format::Html => html::write(report, out),
    }
}

/// The one-line summary printed on stderr at the end of a scan.
pub fn summary(stats: &Stats) -> String {
    let secs = stats.elapsed.as_secs_f64();
    let mb = stats.bytes as f64 / 1e6;
    let rate = if secs > 0.0 { mb / secs } else { 0.0 };
    let unit = if stats.unit.is_empty() {
        "file"
    } else {
        stats.unit
    };
    let mut line = format!("{} finding{}", stats.findings, plural(stats.findings));
    if stats.findings > 0 {
        let parts: Vec<String> = ["high", "medium", "low"]
            .iter()
            .zip(stats.by_confidence)
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{n} {name}"))
            .collect();
        line.push_str(&format!(" ({})", parts.join(", ")));
    }
    line.push_str(&format!(
        " in {} {unit}{} ({:.1} MB)",
        stats.files,
        plural(stats.files),
        mb,
    ));
    if unit == "blob" {
        line.push_str(&format!(
            " from {} commit{}",
            stats.commits,
            plural(stats.commits)
        ));
    }
    line.push_str(&format!(" in {secs:.2}s ({rate:.0} MB/s)"));
    let skipped = [
        (stats.skipped_binary, "binary"),
        (stats.skipped_too_large, "too large"),
        (stats.skipped_lfs, "LFS pointers"),
        (stats.errors, "unreadable"),
        (stats.allowed_inline, "allowed inline"),
        (stats.ignored, "in the ignore file"),
        (stats.in_baseline, "in the baseline"),
        (stats.allowlisted, "by allowlist"),
        (stats.below_min_confidence, "below the minimum confidence"),
    ];
    for (n, what) in skipped {
        if n > 0 {
            line.push_str(&format!("; {n} {what}"));
        }
    }
    line
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
