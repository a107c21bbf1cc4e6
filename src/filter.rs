//! The filter stage (`Filter`), and the lists it reads: ignore files and baselines.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::finding::{Finding, Suppression};
use crate::rules::Confidence;

/// Findings named in a list (an ignore file, a baseline): by fingerprint, or by place as
/// gitleaks names them (`.gitleaksignore`, a gitleaks report), since its rule ids are not
/// keyhound's: `COMMIT:FILE:LINE` or `FILE:LINE`.
#[derive(Debug, Default, Clone)]
pub struct Listed {
    fingerprints: HashSet<String>,
    places: HashSet<String>,
}

impl Listed {
    /// `.keyhoundignore`: one fingerprint per line, `#` starts a comment.
    pub fn parse(text: &str) -> Listed {
        let fingerprints = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        Listed {
            fingerprints,
            places: HashSet::new(),
        }
    }

    /// `.gitleaksignore`: one gitleaks fingerprint per line (`COMMIT:FILE:RULE:LINE` or
    /// `FILE:RULE:LINE`), `#` starts a comment.
    pub fn parse_gitleaks(text: &str) -> Listed {
        let mut listed = Listed::default();
        for line in text.lines() {
            let entry = line.split('#').next().unwrap_or("").trim();
            listed.add_gitleaks(entry);
        }
        listed
    }

    /// One gitleaks fingerprint; anything else is passed over.
    fn add_gitleaks(&mut self, fingerprint: &str) {
        let mut parts = fingerprint.rsplitn(3, ':');
        let (Some(line), Some(_rule), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return;
        };
        if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
            return;
        }
        let rest = rest.replace('\\', "/");
        let commit = rest
            .split_once(':')
            .filter(|(c, _)| c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()));
        let place = match commit {
            Some((c, file)) => format!("{}:{file}:{line}", c.to_ascii_lowercase()),
            None => format!("{rest}:{line}"),
        };
        self.places.insert(place);
    }

    /// Reads `path` (gitleaks' format when `gitleaks`); with `missing_ok`, a missing file is
    /// an empty list.
    pub fn load(path: &Path, missing_ok: bool) -> std::io::Result<Listed> {
        let gitleaks = path.file_name().is_some_and(|n| n == ".gitleaksignore");
        match std::fs::read_to_string(path) {
            Ok(text) if gitleaks => Ok(Listed::parse_gitleaks(&text)),
            Ok(text) => Ok(Listed::parse(&text)),
            Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(Listed::default())
            }
            Err(e) => Err(e),
        }
    }

    pub fn extend(&mut self, other: Listed) {
        self.fingerprints.extend(other.fingerprints);
        self.places.extend(other.places);
    }

    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty() && self.places.is_empty()
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    /// Whether the list names `f`.
    pub fn holds(&self, f: &Finding) -> bool {
        if self.contains(&f.fingerprint) {
            return true;
        }
        if self.places.is_empty() {
            return false;
        }
        let at = format!("{}:{}", f.path(), f.line);
        self.places.contains(&at)
            || f.origin
                .commit()
                .is_some_and(|c| self.places.contains(&format!("{}:{at}", c.id)))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: not a keyhound baseline or a gitleaks report: {source}")]
    Parse {
        file: String,
        #[source]
        source: serde_json::Error,
    },
}

/// A baseline: the findings a project has accepted, so that scans report only new ones.
/// Secrets are stored only as hashes; entries are sorted by fingerprint, so the file diffs
/// well.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub tool: String,
    pub findings: Vec<BaselineEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule_id: String,
    pub path: String,
    /// SHA-256 of the secret, hex.
    pub secret_sha256: String,
    /// Where it was when the baseline was written (informational: matching ignores lines).
    pub line: usize,
}

impl Baseline {
    pub fn of(findings: &[Finding]) -> Baseline {
        let mut entries: BTreeMap<String, BaselineEntry> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.suppressed.is_none()) {
            entries
                .entry(f.fingerprint.clone())
                .or_insert_with(|| BaselineEntry {
                    fingerprint: f.fingerprint.clone(),
                    rule_id: f.rule_id.clone(),
                    path: f.path().to_string(),
                    secret_sha256: Sha256::digest(f.secret.as_bytes())
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect(),
                    line: f.line,
                });
        }
        Baseline {
            version: 1,
            tool: "keyhound".into(),
            findings: entries.into_values().collect(),
        }
    }

    /// The file's name as shown and its text.
    fn read(path: &Path) -> Result<(String, String), BaselineError> {
        let file = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Ok((file, text)),
            Err(source) => Err(BaselineError::Read { file, source }),
        }
    }

    /// Reads a baseline file; the error names the file and the problem.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let (file, text) = Baseline::read(path)?;
        serde_json::from_str(&text).map_err(|source| BaselineError::Parse { file, source })
    }

    /// What `--baseline` reads: a keyhound baseline, or a gitleaks JSON report (an array of
    /// leaks, matched by their fingerprints' places).
    pub fn load_list(path: &Path) -> Result<Listed, BaselineError> {
        let (file, text) = Baseline::read(path)?;
        if text.trim_start().starts_with('[') {
            #[derive(Deserialize)]
            struct Leak {
                #[serde(rename = "Fingerprint")]
                fingerprint: String,
            }
            let leaks: Vec<Leak> = serde_json::from_str(&text)
                .map_err(|source| BaselineError::Parse { file, source })?;
            let mut listed = Listed::default();
            for leak in leaks {
                listed.add_gitleaks(&leak.fingerprint);
            }
            return Ok(listed);
        }
        let baseline: Baseline =
            serde_json::from_str(&text).map_err(|source| BaselineError::Parse { file, source })?;
        Ok(Listed {
            fingerprints: baseline.fingerprints(),
            places: HashSet::new(),
        })
    }

    pub fn fingerprints(&self) -> HashSet<String> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.clone())
            .collect()
    }
}

/// What the filter stage set aside, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Suppressed {
    pub inline: u64,
    pub ignore_file: u64,
    pub baseline: u64,
    pub allowlist: u64,
    pub below_min_confidence: u64,
    /// Set aside by `--verify-only`: their provider did not confirm them.
    pub not_live: u64,
}

/// The filter stage between findings and reporters: every suppression, confidence threshold,
/// duplicate and redaction is decided here, once, in this order:
///
/// 1. inline allow (`keyhound:allow` and the markers of gitleaks and detect-secrets);
/// 2. the ignore file (`.keyhoundignore`, `--ignore-file`);
/// 3. the config's allowlists;
/// 4. the baseline;
/// 5. the minimum confidence;
/// 6. dedup: history keeps one finding per secret and path, the earliest commit's, and the
///    same place reached through overlapping roots is kept once; a reported copy wins over a
///    suppressed one, so a secret allowed in one commit and added again without the allow is
///    still reported;
/// 7. verification (`--verify`; with `--verify-only`, what is not live goes), live first;
/// 8. redaction (`--redact`, by `mask::redact`).
///
/// Every finding set aside is counted by its reason, never dropped silently; suppressed ones
/// stay in the report, marked, with `--show-suppressed`.
#[derive(Default, Clone)]
pub struct Filter {
    /// The config file's allowlists.
    pub config: Option<std::sync::Arc<Config>>,
    /// `.keyhoundignore` files, `.gitleaksignore` and `--ignore-file`.
    pub ignore: Listed,
    /// The baseline (`--baseline`): a keyhound baseline or a gitleaks report.
    pub baseline: Listed,
    pub min_confidence: Option<Confidence>,
    /// Keep suppressed findings in the report, marked (`--show-suppressed`).
    pub show_suppressed: bool,
    /// `--redact=N`: replace every secret, keeping its first N characters.
    pub redact: Option<usize>,
    /// `--verify`: ask each reported finding's provider whether it is live.
    pub verify: Option<std::sync::Arc<crate::verify::Verifier>>,
    /// `--verify-only`: report only the findings their provider confirmed.
    pub verify_only: bool,
}

/// Why the filter set a finding aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Report,
    Suppress(Suppression),
    BelowMinConfidence,
}

impl Filter {
    pub fn apply(&self, findings: Vec<Finding>) -> (Vec<Finding>, Suppressed) {
        let judged = findings.into_iter().map(|f| {
            let verdict = self.judge(&f);
            (f, verdict)
        });
        let mut counts = Suppressed::default();
        let mut out = Vec::new();
        for (mut f, verdict) in dedup(judged) {
            match verdict {
                Verdict::Report => out.push(f),
                Verdict::BelowMinConfidence => counts.below_min_confidence += 1,
                Verdict::Suppress(why) => {
                    match why {
                        Suppression::Inline => counts.inline += 1,
                        Suppression::IgnoreFile => counts.ignore_file += 1,
                        Suppression::Allowlist => counts.allowlist += 1,
                        Suppression::Baseline => counts.baseline += 1,
                    }
                    if self.show_suppressed {
                        f.suppressed = Some(why);
                        out.push(f);
                    }
                }
            }
        }
        sort(&mut out);
        if let Some(verifier) = &self.verify {
            // Before redaction: the provider needs the secret itself.
            let (mut reported, set_aside): (Vec<Finding>, Vec<Finding>) =
                out.into_iter().partition(|f| f.suppressed.is_none());
            verifier.verify_all(&mut reported);
            if self.verify_only {
                let before = reported.len();
                reported.retain(|f| {
                    f.verification
                        .as_ref()
                        .is_some_and(|v| v.status == crate::verify::Status::Live)
                });
                counts.not_live += (before - reported.len()) as u64;
            }
            out = reported;
            out.extend(set_aside);
        }
        // Live findings first (verified now, or read back verified by `keyhound merge`): the
        // ones to revoke now.
        if out.iter().any(|f| f.verification.is_some()) {
            out.sort_by_key(|f| {
                f.verification
                    .as_ref()
                    .is_none_or(|v| v.status != crate::verify::Status::Live)
            });
        }
        if let Some(keep) = self.redact {
            crate::mask::redact(&mut out, keep);
        }
        (out, counts)
    }

    /// Steps 1 to 5 for one finding.
    fn judge(&self, f: &Finding) -> Verdict {
        if let Some(why) = f.suppressed {
            // Already judged: a finding read back from a report (`keyhound merge`).
            Verdict::Suppress(why)
        } else if f.allow_marker {
            Verdict::Suppress(Suppression::Inline)
        } else if self.ignore.holds(f) {
            Verdict::Suppress(Suppression::IgnoreFile)
        } else if self.config.as_ref().is_some_and(|c| c.allows(f)) {
            Verdict::Suppress(Suppression::Allowlist)
        } else if self.baseline.holds(f) {
            Verdict::Suppress(Suppression::Baseline)
        } else if self.min_confidence.is_some_and(|m| f.confidence < m) {
            Verdict::BelowMinConfidence
        } else {
            Verdict::Report
        }
    }
}

/// Step 6. History findings are one per secret and path (their fingerprint), the earliest
/// commit's; other findings are one per place. A reported finding wins over a set-aside copy.
fn dedup(judged: impl Iterator<Item = (Finding, Verdict)>) -> Vec<(Finding, Verdict)> {
    #[derive(PartialEq, Eq, Hash)]
    enum Key {
        Secret(Option<String>, String),
        Place(Option<String>, String, usize, usize, String, String),
    }
    let key = |f: &Finding| match &f.origin {
        // A history finding, in a blob or in an archive member of one.
        o if o.blob().is_some() => Key::Secret(f.repository.clone(), f.fingerprint.clone()),
        _ => Key::Place(
            f.repository.clone(),
            f.path().to_string(),
            f.line,
            f.column,
            f.rule_id.clone(),
            f.fingerprint.clone(),
        ),
    };
    // Earlier commits first, then earlier in the file; unreachable blobs last.
    let order = |f: &Finding| {
        (
            f.origin.commit().map_or(u32::MAX, |c| c.order),
            f.line,
            f.column,
        )
    };
    let mut kept: Vec<(Finding, Verdict)> = Vec::new();
    let mut at: HashMap<Key, usize> = HashMap::new();
    for (f, verdict) in judged {
        match at.entry(key(&f)) {
            Entry::Vacant(slot) => {
                slot.insert(kept.len());
                kept.push((f, verdict));
            }
            Entry::Occupied(slot) => {
                let (old, old_verdict) = &kept[*slot.get()];
                let reported = |v: &Verdict| *v == Verdict::Report;
                let better = match (reported(&verdict), reported(old_verdict)) {
                    (true, false) => true,
                    (false, true) => false,
                    _ => order(&f) < order(old),
                };
                if better {
                    kept[*slot.get()] = (f, verdict);
                }
            }
        }
    }
    kept
}

/// A total order, so every output format is the same whatever the thread count. Two versions
/// of a file can hold different secrets at the same place: the fingerprint and the blob keep
/// them apart.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by_cached_key(|f| {
        (
            f.repository.clone(),
            f.path().to_string(),
            f.line,
            f.column,
            f.rule_id.clone(),
            f.fingerprint.clone(),
            f.origin.blob(),
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(path: &str, line: usize) -> Finding {
        Finding::example("r", path, line, Confidence::High)
    }

    fn filter(ignore: &str, baseline: &[&str]) -> Filter {
        Filter {
            ignore: Listed::parse(ignore),
            baseline: Listed::parse(&baseline.join("\n")),
            ..Filter::default()
        }
    }

    #[test]
    fn ignore_file_and_counts() {
        let ignore = "# known test keys\nx  # the fixture\n\n";
        let mut inline = f("b", 1);
        inline.fingerprint = "z".into();
        inline.allow_marker = true;
        let mut other = f("c", 1);
        other.fingerprint = "y".into();
        let all = vec![f("a", 1), inline.clone(), other.clone()];
        let (kept, counts) = filter(ignore, &[]).apply(all.clone());
        assert_eq!(kept, vec![other.clone()]);
        assert_eq!(
            (counts.inline, counts.ignore_file, counts.baseline),
            (1, 1, 0)
        );
        let (kept, counts) = filter("", &["y"]).apply(vec![other]);
        assert!(kept.is_empty());
        assert_eq!(counts.baseline, 1);
        let shown = Filter {
            show_suppressed: true,
            ..filter(ignore, &[])
        };
        let (kept, _) = shown.apply(all);
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[0].suppressed, Some(Suppression::IgnoreFile));
    }

    #[test]
    fn below_min_confidence_is_counted_after_suppressions() {
        let mut low = f("a", 1);
        low.confidence = Confidence::Low;
        let mut allowed_low = f("b", 1);
        allowed_low.confidence = Confidence::Low;
        allowed_low.allow_marker = true;
        let stage = Filter {
            min_confidence: Some(Confidence::Medium),
            ..Filter::default()
        };
        let (kept, counts) = stage.apply(vec![low, allowed_low, f("c", 1)]);
        assert_eq!(kept.len(), 1);
        assert_eq!((counts.below_min_confidence, counts.inline), (1, 1));
    }

    #[test]
    fn history_dedup_runs_after_suppression() {
        use crate::content::{CommitRef, ObjectId, Origin};
        let at = |order: u32, allowed: bool| {
            let mut x = f("app.env", 1);
            x.origin = Origin::Blob {
                path: "app.env".into(),
                blob: ObjectId([order as u8; 20]),
                commit: Some(CommitRef {
                    order,
                    id: ObjectId([order as u8; 20]),
                    info: None,
                }),
            };
            x.allow_marker = allowed;
            x
        };
        // Allowed inline in the first commit, added again without the allow in the third.
        let (kept, counts) = Filter::default().apply(vec![at(2, false), at(0, true), at(5, false)]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].origin.commit().map(|c| c.order), Some(2));
        assert_eq!(counts.inline, 0);
        // Allowed everywhere: counted once.
        let (kept, counts) = Filter::default().apply(vec![at(0, true), at(1, true)]);
        assert!(kept.is_empty());
        assert_eq!(counts.inline, 1);
    }

    #[test]
    fn baseline_keeps_hashes_not_secrets() {
        let mut a = f("a", 3);
        a.secret = "s3cr3t-value".into();
        let b = Baseline::of(&[a.clone(), a]);
        assert_eq!(b.findings.len(), 1);
        let text = serde_json::to_string(&b).unwrap();
        assert!(!text.contains("s3cr3t-value"));
        assert_eq!(b.findings[0].secret_sha256.len(), 64);
        assert_eq!(b.fingerprints(), HashSet::from(["x".to_string()]));
    }

    #[test]
    fn same_place_different_secret_is_kept() {
        let mut other = f("a", 9);
        other.fingerprint = "y".into();
        let (out, _) = Filter::default().apply(vec![other, f("a", 9), f("a", 9)]);
        let fps: Vec<_> = out.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(fps, vec!["x", "y"]);
    }

    #[test]
    fn sorted_and_unique() {
        let (out, _) = Filter::default().apply(vec![f("b", 1), f("a", 9), f("a", 2), f("a", 9)]);
        let keys: Vec<_> = out.iter().map(|f| (f.path(), f.line)).collect();
        assert_eq!(keys, vec![("a", 2), ("a", 9), ("b", 1)]);
    }
}
