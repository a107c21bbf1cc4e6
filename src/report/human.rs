//! Human output: findings grouped by file, secrets partly masked (a terminal is often
//! screen-shared or logged), colour only when asked or on a terminal.

use std::io::{self, Write};

use super::Report;
use crate::finding::Suppression;
use crate::matcher::validate::Validation;
use crate::rules::Confidence;

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let paint = |code: &'static str| if report.color { code } else { "" };
    let mut current: Option<&str> = None;
    for (f, shown) in report.findings.iter().zip(report.masked()) {
        if current != Some(f.path()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}{}{}", paint(BOLD), f.path(), paint(RESET))?;
            current = Some(f.path());
        }
        let level = match f.confidence {
            Confidence::High => RED,
            Confidence::Medium => YELLOW,
            Confidence::Low => CYAN,
        };
        writeln!(
            out,
            "  {}:{}  {}{}{} ({})  {}  {}entropy {:.2}{}",
            f.line,
            f.column,
            paint(level),
            f.rule_id,
            paint(RESET),
            f.confidence,
            first_line(&shown.secret),
            paint(DIM),
            f.entropy,
            paint(RESET),
        )?;
        writeln!(
            out,
            "      {}{}{}",
            paint(DIM),
            shown.line.trim(),
            paint(RESET)
        )?;
        if let Some(c) = f.origin.commit() {
            let id = c.id.to_string();
            match &c.info {
                Some(info) => writeln!(
                    out,
                    "      commit {} by {} <{}> on {}: {}",
                    &id[..7],
                    info.author,
                    info.email,
                    info.date.get(..10).unwrap_or(&info.date),
                    info.message
                )?,
                None => writeln!(out, "      commit {}", &id[..7])?,
            }
        }
        if f.validation != Validation::NotChecked {
            match &f.validation_detail {
                Some(d) => writeln!(out, "      validation: {} ({d})", f.validation.as_str())?,
                None => writeln!(out, "      validation: {}", f.validation.as_str())?,
            }
        }
        if let Some(how) = &f.decoded {
            writeln!(out, "      decoded: {how}")?;
        }
        if let Some(v) = &f.verification {
            let status = serde_json::to_value(v.status)
                .ok()
                .and_then(|s| s.as_str().map(str::to_string))
                .unwrap_or_default();
            let mut about: Vec<String> = v.identity.iter().cloned().collect();
            if !v.permissions.is_empty() {
                about.push(v.permissions.join(", "));
            }
            about.extend(v.detail.iter().cloned());
            let paint_live = if v.status == crate::finding::Status::Live {
                paint(RED)
            } else {
                ""
            };
            if about.is_empty() {
                writeln!(out, "      verified: {paint_live}{status}{}", paint(RESET))?;
            } else {
                writeln!(
                    out,
                    "      verified: {paint_live}{status}{} ({})",
                    paint(RESET),
                    about.join("; ")
                )?;
            }
        }
        for (part, secret) in f.paired.iter().zip(&shown.paired) {
            writeln!(
                out,
                "      paired with {} at {}:{}  {}",
                part.rule_id,
                part.line,
                part.column,
                first_line(secret)
            )?;
        }
        if let Some(fix) = &f.remediation {
            writeln!(out, "      fix: {fix}")?;
        }
        if let Some(why) = f.suppressed {
            let why = match why {
                Suppression::Inline => "allowed inline (keyhound:allow)",
                Suppression::IgnoreFile => "in the ignore file",
                Suppression::Baseline => "in the baseline",
                Suppression::Allowlist => "by an allowlist of the config",
            };
            writeln!(out, "      suppressed: {why}")?;
        }
        if report.print_fingerprints {
            writeln!(out, "      fingerprint: {}", f.fingerprint)?;
        }
    }
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    Ok(())
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}
