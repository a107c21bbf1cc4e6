//! `keyhound explain FILE[:LINE]`: every candidate on a line, and the stage that kept or
//! dropped it. What a user needs when keyhound is silent about something they expected.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{io_reason, Setup};
use crate::cli::ExplainArgs;
use keyhound::content::{utf16_text, ContentKind};
use keyhound::diag::Collected;
use keyhound::filter::Filter;
use keyhound::finding::{Finding, Suppression};
use keyhound::mask::{self, Replacement};
use keyhound::matcher::explain::Outcome;
use keyhound::matcher::validate::Validation;
use keyhound::matcher::RawMatch;
use keyhound::scanner;
use keyhound::source::worktree::{WalkOptions, Worktree};

pub fn run(args: ExplainArgs) -> Result<u8> {
    let (path, only_line) = target(&args.target);
    let bytes = std::fs::read(&path)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), io_reason(&e)))?;
    let setup = Setup::new(Some(&args.common), std::slice::from_ref(&path))?;
    let transcoded = utf16_text(&bytes);
    let data = transcoded.as_deref().unwrap_or(&bytes);
    let shown_path = path.to_string_lossy().into_owned();
    let kind = ContentKind::of(&shown_path, data);
    let matcher = &setup.matcher;

    // The filter stage's verdict on each finding: everything kept, marked.
    let filter = Filter {
        show_suppressed: true,
        min_confidence: None,
        redact: None,
        ..setup.filter.clone()
    };
    let tree = Worktree::new(
        vec![path.clone()],
        WalkOptions {
            respect_ignore: false,
            hidden: true,
            threads: 1,
            exclude_names: Vec::new(),
            name_ignored: false,
        },
    );
    let diag = Collected::default();
    let opts = setup.scan_options(false);
    let findings = scanner::run(&tree, matcher, &opts, &filter, &diag)?.findings;

    let lines = line_starts(data);
    let (from, to) = match only_line {
        Some(n) => {
            let start = *lines
                .get(n - 1)
                .with_context(|| format!("{}: has no line {n}", path.display()))?;
            let end = lines.get(n).copied().unwrap_or(data.len());
            (start, end)
        }
        None => (0, data.len()),
    };
    let mut traces = matcher.explain(data, kind, &shown_path, from, to);
    // In line order; on a line, by where the candidate is.
    let at = |t: &keyhound::matcher::explain::Trace| match &t.outcome {
        Outcome::NoMatch => t.keyword_at,
        Outcome::Dropped { start, .. } => *start,
        Outcome::Accepted(m) => m.start,
    };
    traces.sort_by_key(|t| (at(t), t.rule));
    let kept = matcher.scan_file(data, kind, &shown_path);
    let line_of = |offset: usize| lines.partition_point(|&s| s <= offset).max(1);
    let column = |offset: usize| {
        let start = lines[line_of(offset) - 1];
        1 + data[start..offset]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count()
    };
    let shown = |s: &[u8]| mask::partial(&String::from_utf8_lossy(s));
    let verdict = |rule: &str, start: usize| -> String {
        let (line, col) = (line_of(start), column(start));
        match findings
            .iter()
            .find(|f| f.rule_id == rule && f.line == line && f.column == col)
        {
            Some(f) => filter_verdict(f, &setup),
            None => "merged into the finding of its pair".into(),
        }
    };

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut current = 0;
    let mut any = false;
    let header = |out: &mut dyn Write, at: usize, current: &mut usize| -> std::io::Result<()> {
        let n = line_of(at);
        if n != *current {
            *current = n;
            let start = lines[n - 1];
            let end = lines.get(n).copied().unwrap_or(data.len());
            let text = String::from_utf8_lossy(&data[start..end]);
            let secrets: Vec<String> = kept
                .iter()
                .map(|m| String::from_utf8_lossy(&data[m.start..m.end]).into_owned())
                .collect();
            let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
            let masked = mask::mask(text.trim_end(), &refs, Replacement::Partial);
            writeln!(out, "{shown_path}:{n}: {}", masked.trim())?;
        }
        Ok(())
    };
    for t in &traces {
        any = true;
        let rule = &matcher.rule(t.rule).id;
        let what = match &t.outcome {
            Outcome::NoMatch => {
                header(&mut out, t.keyword_at, &mut current)?;
                writeln!(
                    out,
                    "  {rule}: {} at column {}; its regex does not match here",
                    t.woken_by,
                    column(t.keyword_at)
                )?;
                continue;
            }
            Outcome::Dropped { start, end, why } => {
                header(&mut out, *start, &mut current)?;
                format!(
                    "{} at column {}: dropped by the matcher: {why}",
                    shown(&data[*start..*end]),
                    column(*start)
                )
            }
            Outcome::Accepted(m) => {
                header(&mut out, m.start, &mut current)?;
                let fate = if kept.iter().any(|k| same(k, m)) {
                    verdict(rule, m.start)
                } else if m.validation == Validation::InvalidStructure {
                    format!(
                        "its validator rejected it ({}); --include-invalid reports it",
                        m.detail.as_deref().unwrap_or("invalid structure")
                    )
                } else if let Some(k) = kept.iter().find(|k| k.start < m.end && m.start < k.end) {
                    format!(
                        "lost to {}, which matched the same text",
                        matcher.rule(k.rule).id
                    )
                } else {
                    "lost to an overlapping match".into()
                };
                format!(
                    "{} at column {}: {}",
                    shown(&data[m.start..m.end]),
                    column(m.start),
                    fate
                )
            }
        };
        writeln!(out, "  {rule} ({}): {what}", t.woken_by)?;
    }
    // Found only in decoded text: the decoded line has its own keywords.
    for k in kept.iter().filter(|k| {
        k.start < to
            && k.end > from
            && k.decoded.as_ref().is_some_and(|d| !d.in_place)
            && !traces.iter().any(|t| t.rule == k.rule)
    }) {
        any = true;
        header(&mut out, k.start, &mut current)?;
        let rule = &matcher.rule(k.rule).id;
        let how = k.decoded.as_ref().map_or("", |d| d.how.as_str());
        writeln!(
            out,
            "  {rule}: found in decoded text ({how}) at column {}: {}",
            column(k.start),
            verdict(rule, k.start)
        )?;
    }
    if !any {
        writeln!(
            out,
            "{shown_path}{}: no rule's keyword occurs here, so no regex ran",
            only_line.map_or(String::new(), |n| format!(":{n}"))
        )?;
    }
    out.flush()?;
    Ok(0)
}

/// What the filter stage did with a finding.
fn filter_verdict(f: &Finding, setup: &Setup) -> String {
    match f.suppressed {
        Some(Suppression::Inline) => "suppressed: an allow marker on its line".into(),
        Some(Suppression::IgnoreFile) => "suppressed: its fingerprint is in an ignore file".into(),
        Some(Suppression::Allowlist) => "suppressed: an allowlist of the config".into(),
        Some(Suppression::Baseline) => "suppressed: it is in the baseline".into(),
        None => match setup.settings.min_confidence {
            Some(min) if f.confidence < min => {
                format!(
                    "dropped: {} confidence is below --min-confidence {min}",
                    f.confidence
                )
            }
            _ => format!(
                "reported ({} confidence{})",
                f.confidence,
                if f.test_path { ", in a test path" } else { "" }
            ),
        },
    }
}

fn same(a: &RawMatch, b: &RawMatch) -> bool {
    (a.rule, a.start, a.end) == (b.rule, b.start, b.end)
}

/// `FILE` or `FILE:LINE` (a file whose name ends in `:digits` is taken whole if it exists).
fn target(text: &str) -> (PathBuf, Option<usize>) {
    if !Path::new(text).exists() {
        if let Some((file, line)) = text.rsplit_once(':') {
            if let Ok(n) = line.parse::<usize>() {
                if n > 0 {
                    return (PathBuf::from(file), Some(n));
                }
            }
        }
    }
    (PathBuf::from(text), None)
}

/// The offset where each line starts.
fn line_starts(data: &[u8]) -> Vec<usize> {
    std::iter::once(0)
        .chain(memchr::memchr_iter(b'\n', data).map(|i| i + 1))
        .filter(|&s| s < data.len() || s == 0)
        .collect()
}
