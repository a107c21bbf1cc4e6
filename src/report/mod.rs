//! Reporters: each output format is a sibling module that turns findings into bytes. What
//! each may show of a secret is decided once, by `Format::exposure`, and shown through the
//! one masked view (`crate::mask`).

pub mod gitleaks;
pub mod html;
pub mod human;
pub mod json;
pub mod sarif;
mod stats;

pub use stats::Stats;

use std::io::{self, Write};

use crate::diag::Diagnostics;
use crate::finding::Finding;
use crate::mask::{self, Replacement};
use crate::matcher::Matcher;

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
    /// One self-contained HTML page for triage (secrets masked).
    Html,
    /// gitleaks' JSON report, for tools that parse it (DefectDojo, reviewdog).
    GitleaksJson,
}

/// What a format may show of a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    /// The secret as found, unless `--redact` replaced it: JSON and JSON Lines are for
    /// machines that act on the secret (rotation scripts).
    Raw,
    /// Partly masked, always: human and HTML output get screen-shared and logged.
    Masked,
    /// Never the secret, nor the line holding it: SARIF files get uploaded and shared.
    Hidden,
}

impl Format {
    pub fn exposure(self) -> Exposure {
        match self {
            Format::Json | Format::Jsonl | Format::GitleaksJson => Exposure::Raw,
            Format::Human | Format::Html => Exposure::Masked,
            Format::Sarif => Exposure::Hidden,
        }
    }
}

#[derive(Clone)]
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
    /// Where reporters' warnings go (a SARIF report cut to GitHub's limit).
    pub diag: &'a dyn Diagnostics,
    /// Where commits are shown on the web (HTML links).
    pub links: Option<html::WebLinks>,
}

/// A finding as a masking format shows it: its secret, its line and its pair's halves.
pub struct Shown {
    pub secret: String,
    pub line: String,
    pub paired: Vec<String>,
}

impl Report<'_> {
    /// Every finding as `Exposure::Masked` formats show it, in order. Under `--redact` the
    /// findings are already redacted and are shown as they are.
    pub fn masked(&self) -> Vec<Shown> {
        let lines = if self.redacted {
            self.findings
                .iter()
                .map(|f| f.line_content.clone())
                .collect()
        } else {
            mask::shown_lines(self.findings, Replacement::Partial)
        };
        let hide = |s: &str| {
            if self.redacted {
                s.to_string()
            } else {
                mask::partial(s)
            }
        };
        self.findings
            .iter()
            .zip(lines)
            .map(|(f, line)| Shown {
                secret: hide(&f.secret),
                line,
                paired: f.paired.iter().map(|p| hide(&p.secret)).collect(),
            })
            .collect()
    }
}

pub fn write(format: Format, report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // A format that must never hold a secret gets findings with none left in them, so that
    // no field added to it later can leak one.
    let scrubbed: Vec<Finding>;
    let hidden;
    let report = if format.exposure() == Exposure::Hidden && !report.redacted {
        scrubbed = {
            let mut copy = report.findings.to_vec();
            mask::redact(&mut copy, 0);
            copy
        };
        hidden = Report {
            findings: &scrubbed,
            redacted: true,
            ..report.clone()
        };
        &hidden
    } else {
        report
    };
    match format {
        Format::Human => human::write(report, out),
        Format::Json => json::write_array(report.findings, out),
        Format::Jsonl => json::write_lines(report.findings, out),
        Format::Sarif => sarif::write(report, out),
        Format::Html => html::write(report, out),
        Format::GitleaksJson => gitleaks::write(report, out),
    }
}
