//! Findings: a matcher hit placed at its origin (line, columns, context line), with a stable
//! fingerprint, and the halves of one credential merged. What a reporter may show of a
//! secret is decided by `report::view`, not here.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::content::Origin;
use crate::matcher::validate::Validation;
use crate::matcher::{Matcher, RawMatch};
use crate::rules::Confidence;

/// Longest context line kept whole; longer lines (minified files) are cut around the secret.
const MAX_LINE_LEN: usize = 240;
const CONTEXT_BEFORE: usize = 80;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    /// Where it is: the path, and for history the blob, commit and author.
    #[serde(flatten)]
    pub origin: Origin,
    /// 1-based line and column (in characters) of the secret's first character.
    pub line: usize,
    pub column: usize,
    /// Line and column just past the secret's last character (SARIF's exclusive end column).
    pub end_line: usize,
    pub end_column: usize,
    pub secret: String,
    /// The line holding the secret, cut around it when very long.
    pub line_content: String,
    pub entropy: f64,
    pub confidence: Confidence,
    /// Found in a test or a test fixture (`content::is_test_path`): one confidence level
    /// lower, since credentials there are mostly made up.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub test_path: bool,
    /// Whether an offline validator proved the structure (checksum, key encoding, JSON).
    pub validation: Validation,
    /// What validation learned: expiry, encryption, the account, or why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation_detail: Option<String>,
    /// How the secret was decoded (`base64`, `base64 → base64`); the location is the encoded
    /// text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
    /// The encoded text at the location, so redaction can hide it too.
    #[serde(skip)]
    pub encoded: Option<String>,
    /// The other halves of the same credential found near it (a key id beside its secret).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paired: Vec<PairedPart>,
    /// Where to revoke and rotate it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Hash of rule id, path and secret: stable when lines move.
    pub fingerprint: String,
    /// The line carries an allow marker for this rule (`keyhound:allow`); the filter stage
    /// decides what that means.
    #[serde(skip)]
    pub allow_marker: bool,
    /// Why the finding is suppressed, if it is (shown with `--show-suppressed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    /// The repository it was found in, when a run scans several (`keyhound git A B`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The keyhound version and rule set that found it (`keyhound merge` warns when reports
    /// differ).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ruleset: Option<String>,
    /// What its provider said of it (`--verify`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PairedPart {
    pub rule_id: String,
    pub line: usize,
    pub column: usize,
    pub secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Suppression {
    /// `keyhound:allow` on the secret's line.
    Inline,
    /// Its fingerprint is in `.keyhoundignore`.
    IgnoreFile,
    /// Its fingerprint is in the baseline.
    Baseline,
    /// An allowlist of the config file lets it through.
    Allowlist,
}

/// Stable id of a finding: it survives line moves and edits elsewhere in the file, and changes
/// when the secret moves to another file.
pub fn fingerprint(rule_id: &str, path: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(secret);
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

impl Finding {
    /// The path shown in reports and hashed into the fingerprint.
    pub fn path(&self) -> &str {
        self.origin.path()
    }
}

/// Turns the matcher's hits in `data`, which stands at `origin`, into findings. `matches` must
/// be sorted by position and non-overlapping, as `Matcher::scan` returns them.
pub fn locate(
    matcher: &Matcher,
    origin: &Origin,
    data: &[u8],
    matches: &[RawMatch],
) -> Vec<Finding> {
    let path = origin.path();
    let test_path = crate::content::is_test_path(path);
    let mut lines = LineCursor::new(data);
    matches
        .iter()
        .map(|m| {
            let rule = matcher.rule(m.rule);
            let (line, line_start) = lines.seek(m.start);
            let column = char_column(&data[line_start..m.start]);
            let (end_line, end_line_start) = lines.seek(m.end);
            let end_column = char_column(&data[end_line_start..m.end]);
            let at = &data[m.start..m.end];
            let secret = m.decoded.as_ref().map_or(at, |d| &d.secret[..]);
            Finding {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                origin: origin.clone(),
                line,
                column,
                end_line,
                end_column,
                secret: String::from_utf8_lossy(secret).into_owned(),
                line_content: context_line(data, line_start, m.start),
                entropy: (m.entropy * 1000.0).round() / 1000.0,
                confidence: if test_path {
                    m.confidence.lower()
                } else {
                    m.confidence
                },
                test_path,
                validation: m.validation,
                validation_detail: m.detail.clone(),
                decoded: m.decoded.as_ref().map(|d| d.how.clone()),
                encoded: m
                    .decoded
                    .as_ref()
                    .map(|_| String::from_utf8_lossy(at).into_owned()),
                paired: Vec::new(),
                remediation: rule.remediation.clone(),
                fingerprint: fingerprint(&rule.id, path, secret),
                allow_marker: line_allows(line_of(data, line_start), &rule.id),
                suppressed: None,
                repository: None,
                ruleset: None,
                verification: None,
            }
        })
        .collect()
}

const ALLOW_MARKER: &[u8] = b"keyhound:allow";
/// detect-secrets' and gitleaks' inline markers, honoured so a migration keeps its decisions.
const FOREIGN_MARKERS: &[&[u8]] = &[b"pragma: allowlist secret", b"gitleaks:allow"];

/// Whether `line` carries an allow marker for `rule_id`: it holds `keyhound:allow` (in any comment
/// syntax), either alone, or followed by rule ids of which this is one
/// (`# keyhound:allow aws-access-key-id`).
pub fn line_allows(line: &[u8], rule_id: &str) -> bool {
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

/// Walks forward through `data` counting lines; offsets asked for must not decrease.
struct LineCursor<'a> {
    data: &'a [u8],
    pos: usize,
    line: usize,
    line_start: usize,
}

impl<'a> LineCursor<'a> {
    fn new(data: &'a [u8]) -> Self {
        LineCursor {
            data,
            pos: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn seek(&mut self, offset: usize) -> (usize, usize) {
        debug_assert!(offset >= self.pos);
        for nl in memchr::memchr_iter(b'\n', &self.data[self.pos..offset]) {
            self.line += 1;
            self.line_start = self.pos + nl + 1;
        }
        self.pos = offset;
        (self.line, self.line_start)
    }
}

/// 1-based column in characters: UTF-8 continuation bytes do not start a character.
fn char_column(prefix: &[u8]) -> usize {
    1 + prefix.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// The whole line that starts at `line_start`, without its line ending.
fn line_of(data: &[u8], line_start: usize) -> &[u8] {
    let line_end =
        memchr::memchr(b'\n', &data[line_start..]).map_or(data.len(), |i| line_start + i);
    let line = &data[line_start..line_end];
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn context_line(data: &[u8], line_start: usize, secret_start: usize) -> String {
    let line = line_of(data, line_start);
    if line.len() <= MAX_LINE_LEN {
        return String::from_utf8_lossy(line).into_owned();
    }
    let rel = secret_start - line_start;
    let from = rel.saturating_sub(CONTEXT_BEFORE);
    let to = (from + MAX_LINE_LEN).min(line.len());
    let mut out = String::new();
    if from > 0 {
        out.push('…');
    }
    out.push_str(&String::from_utf8_lossy(&line[from..to]));
    if to < line.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
impl Finding {
    /// A finding of `rule_id` at `path:line`, for unit tests of the stages after the matcher.
    pub fn example(rule_id: &str, path: &str, line: usize, confidence: Confidence) -> Finding {
        Finding {
            rule_id: rule_id.into(),
            rule_name: rule_id.to_uppercase(),
            origin: Origin::File { path: path.into() },
            line,
            column: 1,
            end_line: line,
            end_column: 5,
            secret: "s".into(),
            line_content: "s".into(),
            entropy: 0.0,
            confidence,
            test_path: false,
            validation: Validation::NotChecked,
            validation_detail: None,
            decoded: None,
            encoded: None,
            paired: Vec::new(),
            remediation: None,
            fingerprint: "x".into(),
            allow_marker: false,
            suppressed: None,
            repository: None,
            ruleset: None,
            verification: None,
        }
    }
}

/// How far apart (in lines) the halves of one credential may be to count as a pair.
pub const PAIR_LINES: usize = 5;

/// Merges the halves of one credential into one finding: a rule with `pairs_with` takes the
/// nearest finding of each listed rule within `PAIR_LINES` lines, and the pair is high
/// confidence (each half alone is ambiguous; together they are a working credential).
pub fn pair_up(matcher: &Matcher, findings: Vec<Finding>) -> Vec<Finding> {
    let wants: Vec<Option<&[String]>> = findings
        .iter()
        .map(|f| {
            matcher
                .rule_by_id(&f.rule_id)
                .map(|r| r.pairs_with.as_slice())
                .filter(|p| !p.is_empty())
        })
        .collect();
    if wants.iter().all(Option::is_none) {
        return findings;
    }
    let mut taken = vec![false; findings.len()];
    let mut parts: Vec<Vec<usize>> = vec![Vec::new(); findings.len()];
    for (i, want) in wants.iter().enumerate() {
        let Some(want) = want else { continue };
        if taken[i] {
            continue;
        }
        for other_rule in *want {
            let nearest = findings
                .iter()
                .enumerate()
                .filter(|&(j, g)| {
                    j != i
                        && !taken[j]
                        && parts[j].is_empty()
                        && &g.rule_id == other_rule
                        && g.line.abs_diff(findings[i].line) <= PAIR_LINES
                })
                .min_by_key(|(_, g)| g.line.abs_diff(findings[i].line));
            if let Some((j, _)) = nearest {
                taken[j] = true;
                parts[i].push(j);
            }
        }
    }
    let paired: Vec<Vec<PairedPart>> = parts
        .iter()
        .map(|js| {
            js.iter()
                .map(|&j| PairedPart {
                    rule_id: findings[j].rule_id.clone(),
                    line: findings[j].line,
                    column: findings[j].column,
                    secret: findings[j].secret.clone(),
                })
                .collect()
        })
        .collect();
    findings
        .into_iter()
        .zip(paired)
        .zip(taken)
        .filter(|(_, taken)| !taken)
        .map(|((mut f, paired), _)| {
            if !paired.is_empty() {
                f.confidence = if f.test_path {
                    Confidence::High.lower()
                } else {
                    Confidence::High
                };
                f.paired = paired;
            }
            f
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_depends_on_rule_path_and_secret_only() {
        let a = fingerprint("r", "a.txt", b"s3cr3t");
        assert_eq!(a.len(), 32);
        assert_eq!(a, fingerprint("r", "a.txt", b"s3cr3t"));
        assert_ne!(a, fingerprint("r", "b.txt", b"s3cr3t"));
        assert_ne!(a, fingerprint("q", "a.txt", b"s3cr3t"));
        assert_ne!(a, fingerprint("r", "a.txt", b"s3cr3u"));
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(char_column(b""), 1);
        assert_eq!(char_column("é=".as_bytes()), 3);
    }

    #[test]
    fn long_lines_are_cut_around_the_secret() {
        let mut line = "a".repeat(1000);
        line.push_str("SECRET");
        line.push_str(&"b".repeat(1000));
        let ctx = context_line(line.as_bytes(), 0, 1000);
        assert!(ctx.contains("SECRET"));
        assert!(ctx.starts_with('…') && ctx.ends_with('…'));
        assert!(ctx.chars().count() <= MAX_LINE_LEN + 2);
    }

    #[test]
    fn inline_allow_markers() {
        assert!(line_allows(b"key = 'x' # keyhound:allow", "r"));
        assert!(line_allows(b"key = 'x' // keyhound:allow r, q", "r"));
        assert!(line_allows(b"<!-- keyhound:allow q r -->", "r"));
        assert!(line_allows(b"x = 'y'  # pragma: allowlist secret", "r"));
        assert!(line_allows(b"x = 'y'  // gitleaks:allow", "r"));
        assert!(!line_allows(b"key = 'x' # keyhound:allow q", "r"));
        assert!(!line_allows(b"key = 'x' # keyhound:allowed", "r"));
        assert!(!line_allows(b"key = 'x'", "r"));
    }
}

/// What a finding's provider said of it (`--verify`, in `crate::verify`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The provider accepted it.
    Live,
    /// The provider rejected it (revoked, expired, never valid).
    Invalid,
    /// No answer that says either way (a timeout, a 5xx, a malformed reply).
    Error,
    /// Not sent: no verifier for the rule, or its structure check failed.
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Verification {
    pub status: Status,
    /// Who the provider says the key belongs to (a login, an account id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// What it may do (token scopes; for exchange keys, `can-trade`, `can-withdraw`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub permissions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Verification {
    pub(crate) fn of(status: Status, detail: impl Into<String>) -> Verification {
        Verification {
            status,
            identity: None,
            permissions: Vec::new(),
            detail: Some(detail.into()),
        }
    }

    pub fn live(identity: Option<String>, permissions: Vec<String>) -> Verification {
        Verification {
            status: Status::Live,
            identity,
            permissions,
            detail: None,
        }
    }
}
