//! Filters between findings and reporters: suppressions (`keyhound:allow` on the line, the
//! fingerprints of `.keyhoundignore`), then duplicates (the same file reached through two
//! overlapping roots) and a total order, so every output format is deterministic whatever the
//! thread count. A suppressed finding is counted, never silently dropped.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::finding::{Finding, Suppression};

const ALLOW_MARKER: &[u8] = b"keyhound:allow";
/// detect-secrets' and gitleaks' inline markers, honoured so a migration keeps its decisions.
const FOREIGN_MARKERS: &[&[u8]] = &[b"pragma: allowlist secret", b"gitleaks:allow"];

/// Whether `line` allows a finding of `rule_id`: it holds `keyhound:allow` (in any comment
/// syntax), either alone, or followed by rule ids of which this is one
/// (`# keyhound:allow aws-access-key-id`).
pub fn inline_allowed(line: &[u8], rule_id: &str) -> bool {
    // The markers of the tools people migrate from allow everything on their line.
    if FOREIGN_MARKERS
        .iter()
        .any(|m| memchr::memmem::find(line, m).is_some())
    {
        return true;
    }
    let Some(at) = memchr::memmem::find(line, ALLOW_MARKER) else {
        return false;
    };
    let rest = &line[at + ALLOW_MARKER.len()..];
    // `keyhound:allowed` or `keyhound:allow-x` is some other word.
    if rest
        .first()
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return false;
    }
    let ids: Vec<&[u8]> = rest
        .split(|&b| b == b' ' || b == b'\t' || b == b',')
        .filter(|w| !w.is_empty())
        .take_while(|w| {
            w.iter()
                .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .collect();
    ids.is_empty() || ids.contains(&rule_id.as_bytes())
}

/// Fingerprints never to report again: one per line, `#` starts a comment.
#[derive(Debug, Default, Clone)]
pub struct IgnoreFile {
    fingerprints: HashSet<String>,
}

impl IgnoreFile {
    pub fn parse(text: &str) -> IgnoreFile {
        let fingerprints = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        IgnoreFile { fingerprints }
    }

    /// Reads `path`; with `missing_ok`, a missing file is an empty ignore list.
    pub fn load(path: &Path, missing_ok: bool) -> std::io::Result<IgnoreFile> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(IgnoreFile::parse(&text)),
            Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(IgnoreFile::default())
            }
            Err(e) => Err(e),
        }
    }

    pub fn extend(&mut self, other: IgnoreFile) {
        self.fingerprints.extend(other.fingerprints);
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }
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
                    path: f.path.clone(),
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

    /// Reads a baseline file; the error names the file and the problem.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a keyhound baseline: {e}", path.display()))
    }

    pub fn fingerprints(&self) -> HashSet<String> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.clone())
            .collect()
    }
}

/// What suppression set aside, by reason.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Suppressed {
    pub inline: u64,
    pub ignore_file: u64,
    pub baseline: u64,
    pub allowlist: u64,
}

/// Marks findings that an allowlist lets through, or whose fingerprint the ignore file or the
/// baseline lists; counts every suppressed finding, and keeps them only when `keep`
/// (`--show-suppressed`).
pub fn suppress(
    findings: Vec<Finding>,
    allow: &dyn Fn(&Finding) -> bool,
    ignore: &IgnoreFile,
    baseline: &HashSet<String>,
    keep: bool,
) -> (Vec<Finding>, Suppressed) {
    let mut counts = Suppressed::default();
    let mut out = Vec::with_capacity(findings.len());
    for mut f in findings {
        if f.suppressed.is_none() && ignore.contains(&f.fingerprint) {
            f.suppressed = Some(Suppression::IgnoreFile);
        }
        if f.suppressed.is_none() && baseline.contains(&f.fingerprint) {
            f.suppressed = Some(Suppression::Baseline);
        }
        if f.suppressed.is_none() && allow(&f) {
            f.suppressed = Some(Suppression::Allowlist);
        }
        match f.suppressed {
            Some(Suppression::Inline) => counts.inline += 1,
            Some(Suppression::IgnoreFile) => counts.ignore_file += 1,
            Some(Suppression::Baseline) => counts.baseline += 1,
            Some(Suppression::Allowlist) => counts.allowlist += 1,
            None => {}
        }
        if f.suppressed.is_none() || keep {
            out.push(f);
        }
    }
    (out, counts)
}

pub fn dedup_and_sort(mut findings: Vec<Finding>) -> Vec<Finding> {
    // Two versions of a file can hold different secrets at the same place: the fingerprint
    // (rule, path, secret) and the blob keep them apart, and make the order total.
    let key = |f: &Finding| {
        (
            f.path.clone(),
            f.line,
            f.column,
            f.rule_id.clone(),
            f.fingerprint.clone(),
            f.git.as_ref().map(|g| g.blob.clone()),
        )
    };
    findings.sort_by_cached_key(key);
    findings.dedup_by(|a, b| key(a) == key(b));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Confidence;

    fn f(path: &str, line: usize) -> Finding {
        Finding::example("r", path, line, Confidence::High)
    }

    #[test]
    fn inline_allow_markers() {
        assert!(inline_allowed(b"key = 'x' # keyhound:allow", "r"));
        assert!(inline_allowed(b"key = 'x' // keyhound:allow r, q", "r"));
        assert!(inline_allowed(b"<!-- keyhound:allow q r -->", "r"));
        assert!(inline_allowed(b"x = 'y'  # pragma: allowlist secret", "r"));
        assert!(inline_allowed(b"x = 'y'  // gitleaks:allow", "r"));
        assert!(!inline_allowed(b"key = 'x' # keyhound:allow q", "r"));
        assert!(!inline_allowed(b"key = 'x' # keyhound:allowed", "r"));
        assert!(!inline_allowed(b"key = 'x'", "r"));
    }

    #[test]
    fn ignore_file_and_counts() {
        let ignore = IgnoreFile::parse("# known test keys\nx  # the fixture\n\n");
        let mut inline = f("b", 1);
        inline.fingerprint = "z".into();
        inline.suppressed = Some(Suppression::Inline);
        let mut other = f("c", 1);
        other.fingerprint = "y".into();
        let none = HashSet::new();
        let all = vec![f("a", 1), inline.clone(), other.clone()];
        let (kept, counts) = suppress(all.clone(), &|_| false, &ignore, &none, false);
        assert_eq!(kept, vec![other.clone()]);
        assert_eq!(
            (counts.inline, counts.ignore_file, counts.baseline),
            (1, 1, 0)
        );
        let baseline = HashSet::from(["y".to_string()]);
        let (kept, counts) = suppress(
            vec![other],
            &|_| false,
            &IgnoreFile::default(),
            &baseline,
            false,
        );
        assert!(kept.is_empty());
        assert_eq!(counts.baseline, 1);
        let (kept, _) = suppress(all, &|_| false, &ignore, &none, true);
        assert_eq!(kept.len(), 3);
        assert_eq!(kept[0].suppressed, Some(Suppression::IgnoreFile));
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
        let out = dedup_and_sort(vec![other, f("a", 9), f("a", 9)]);
        let fps: Vec<_> = out.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(fps, vec!["x", "y"]);
    }

    #[test]
    fn sorted_and_unique() {
        let out = dedup_and_sort(vec![f("b", 1), f("a", 9), f("a", 2), f("a", 9)]);
        let keys: Vec<_> = out.iter().map(|f| (f.path.as_str(), f.line)).collect();
        assert_eq!(keys, vec![("a", 2), ("a", 9), ("b", 1)]);
    }
}
