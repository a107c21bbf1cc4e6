//! `keyhound merge`: keyhound JSON or JSON Lines reports (from `--shard` runs, repositories or
//! days) read back into findings, so that the filter stage's own dedup (one finding per
//! secret and path in a history, the earliest commit's; one per place elsewhere) makes one
//! report of them, in any output format.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

use crate::content::{CommitInfo, CommitRef, ObjectId, Origin};
use crate::finding::{Finding, PairedPart, Suppression};
use crate::matcher::validate::Validation;
use crate::rules::Confidence;

/// A finding as `-f json` writes it.
#[derive(Deserialize)]
struct Stored {
    rule_id: String,
    rule_name: String,
    path: String,
    archive: Option<String>,
    member: Option<String>,
    blob: Option<String>,
    commit: Option<String>,
    commit_order: Option<u32>,
    author: Option<String>,
    email: Option<String>,
    date: Option<String>,
    message: Option<String>,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    secret: String,
    line_content: String,
    entropy: f64,
    confidence: Confidence,
    #[serde(default)]
    test_path: bool,
    validation: Validation,
    validation_detail: Option<String>,
    decoded: Option<String>,
    #[serde(default)]
    paired: Vec<PairedPart>,
    remediation: Option<String>,
    fingerprint: String,
    suppressed: Option<Suppression>,
    repository: Option<String>,
    ruleset: Option<String>,
    verification: Option<crate::finding::Verification>,
}

impl Stored {
    fn finding(self) -> Result<Finding, String> {
        let id = |hex: &str| {
            ObjectId::from_hex(hex).ok_or_else(|| format!("'{hex}' is not an object id"))
        };
        let commit = match &self.commit {
            Some(hex) => Some(CommitRef {
                // Reports from one history share its walk; without an order, last.
                order: self.commit_order.unwrap_or(u32::MAX),
                id: id(hex)?,
                info: self.author.map(|author| CommitInfo {
                    author,
                    email: self.email.unwrap_or_default(),
                    date: self.date.unwrap_or_default(),
                    message: self.message.unwrap_or_default(),
                }),
            }),
            None => None,
        };
        let file = self.archive.unwrap_or_else(|| self.path.clone());
        let outer = match (&self.blob, commit) {
            (Some(blob), commit) => Origin::Blob {
                path: file,
                blob: id(blob)?,
                commit,
            },
            (None, Some(commit)) => Origin::Metadata {
                shown: file,
                commit: Some(commit),
            },
            (None, None) => Origin::File { path: file },
        };
        let origin = match self.member {
            Some(member) => Origin::Member {
                outer: Box::new(outer),
                member,
                shown: self.path,
            },
            None => outer,
        };
        Ok(Finding {
            rule_id: self.rule_id,
            rule_name: self.rule_name,
            origin,
            line: self.line,
            column: self.column,
            end_line: self.end_line,
            end_column: self.end_column,
            secret: self.secret,
            line_content: self.line_content,
            entropy: self.entropy,
            confidence: self.confidence,
            test_path: self.test_path,
            validation: self.validation,
            validation_detail: self.validation_detail,
            decoded: self.decoded,
            encoded: None,
            paired: self.paired,
            remediation: self.remediation,
            fingerprint: self.fingerprint,
            allow_marker: false,
            suppressed: self.suppressed,
            repository: self.repository,
            ruleset: self.ruleset,
            verification: self.verification,
        })
    }
}

/// The findings of one report file: a JSON array, or one JSON object per line.
pub fn read(path: &Path) -> Result<Vec<Finding>, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: cannot read: {e}"))?;
    let stored: Vec<Stored> = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text)
            .map_err(|e| format!("{file}: not a keyhound JSON report: {e}"))?
    } else {
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map_err(|e| format!("{file}:{}: not a keyhound JSON Lines report: {e}", i + 1))
            })
            .collect::<Result<_, _>>()?
    };
    stored
        .into_iter()
        .map(|s| s.finding().map_err(|e| format!("{file}: {e}")))
        .collect()
}

/// The keyhound versions and rule sets the findings were made with (`unknown` for reports
/// older than the `ruleset` field).
pub fn rulesets(findings: &[Finding]) -> BTreeSet<String> {
    findings
        .iter()
        .map(|f| f.ruleset.clone().unwrap_or_else(|| "unknown".into()))
        .collect()
}
