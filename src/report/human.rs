//! Human output: findings grouped by file, secrets partly masked (a terminal is often
//! screen-shared or logged), colour only when asked or on a terminal.

use std::io::{self, Write};

use super::Report;
use crate::finding::{hide, Suppression};
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
    for f in report.findings {
        if current != Some(f.path.as_str()) {
            if current.is_some() {
                writeln!(out)?;
            }
            writeln!(out, "{}{}{}", paint(BOLD), f.path, paint(RESET))?;
            current = Some(&f.path);
        }
        let level = match f.confidence {
            Confidence::High => RED,
            Confidence::Medium => YELLOW,
            Confidence::Low => CYAN,
        };
        let shown = if report.redacted {
            f.secret.clone()
        } else {
            partial(&f.secret)
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
            first_line(&shown),
            paint(DIM),
            f.entropy,
            paint(RESET),
        )?;
        let context = if report.redacted {
            f.line_content.clone()
        } else {
            let mut context = hide(&f.line_content, &f.secret, &shown);
            if let Some(encoded) = &f.encoded {
                context = hide(&context, encoded, &partial(encoded));
            }
            for part in &f.paired {
                context = hide(&context, &part.secret, &partial(&part.secret));
            }
            context
        };
        writeln!(
            out,
            "      {}{}{}",
            paint(DIM),
            context.trim(),
            paint(RESET)
        )?;
        if f.validation != Validation::NotChecked {
            match &f.validation_detail {
                Some(d) => writeln!(out, "      validation: {} ({d})", f.validation.as_str())?,
                None => writeln!(out, "      validation: {}", f.validation.as_str())?,
            }
        }
        if let Some(how) = &f.decoded {
            writeln!(out, "      decoded: {how}")?;
        }
        for part in &f.paired {
            let secret = if report.redacted {
                part.secret.clone()
            } else {
                partial(&part.secret)
            };
            writeln!(
                out,
                "      paired with {} at {}:{}  {}",
                part.rule_id,
                part.line,
                part.column,
                first_line(&secret)
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

/// The first few characters, the rest as `*`: enough to recognise a key, not to use it.
pub(crate) fn partial(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = (n / 4).min(4);
    let stars = (n - keep).min(16);
    let head: String = secret.chars().take(keep).collect();
    format!("{head}{}", "*".repeat(stars))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::partial;

    #[test]
    fn partial_shows_at_most_four_characters() {
        assert_eq!(
            partial("abcd_efghijklmnopqrstuvwxyz0123456789"),
            "abcd****************"
        );
        assert_eq!(partial("abcdefgh"), "ab******");
    }
}
