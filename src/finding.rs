//! Findings: a matcher hit placed in its file (line, columns, context line), with a stable
//! fingerprint, plus redaction. Everything a reporter prints comes from here.

use serde::Serialize;
use sha2::{Digest, Sha256};

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
    pub path: String,
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
    /// Where in git history the secret entered (history scans only).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitOrigin>,
    /// Why the finding is suppressed, if it is (shown with `--show-suppressed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairedPart {
    pub rule_id: String,
    pub line: usize,
    pub column: usize,
    pub secret: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// Where a finding sits in git: its blob, and the commit that first brought that blob to the
/// finding's path (none for an unreachable blob).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GitOrigin {
    pub blob: String,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    pub commit: String,
    pub author: String,
    pub email: String,
    /// Author date, ISO 8601 with the author's UTC offset.
    pub date: String,
    /// The commit message's first line.
    pub message: String,
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

/// Turns the matcher's hits in `data` into findings. `matches` must be sorted by position and
/// non-overlapping, as `Matcher::scan` returns them.
pub fn locate(matcher: &Matcher, path: &str, data: &[u8], matches: &[RawMatch]) -> Vec<Finding> {
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
                path: path.to_string(),
                line,
                column,
                end_line,
                end_column,
                secret: String::from_utf8_lossy(secret).into_owned(),
                line_content: context_line(data, line_start, m.start),
                entropy: (m.entropy * 1000.0).round() / 1000.0,
                confidence: m.confidence,
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
                git: None,
                suppressed: crate::filter::inline_allowed(line_of(data, line_start), &rule.id)
                    .then_some(Suppression::Inline),
            }
        })
        .collect()
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

/// `seconds` since the Unix epoch at a UTC offset of `offset_minutes`, as ISO 8601
/// (`2024-02-29T13:05:09+01:00`). Days to civil date after Howard Hinnant's algorithm.
pub fn iso8601(seconds: i64, offset_minutes: i32) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

/// The text that stands for a redacted secret: its first `keep` characters (never more than a
/// quarter of it) and a marker.
pub fn mask(secret: &str, keep: usize) -> String {
    let total = secret.chars().count();
    let keep = keep.min(total / 4);
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}REDACTED")
}

impl Finding {
    /// Replaces the secret everywhere it appears in this finding.
    pub fn redact(&mut self, keep: usize) {
        let masked = mask(&self.secret, keep);
        self.line_content = hide(&self.line_content, &self.secret, &masked);
        if let Some(encoded) = self.encoded.take() {
            self.line_content = hide(&self.line_content, &encoded, &masked);
        }
        for part in &mut self.paired {
            let masked = mask(&part.secret, keep);
            self.line_content = hide(&self.line_content, &part.secret, &masked);
            part.secret = masked;
        }
        self.secret = masked;
    }
}

#[cfg(test)]
impl Finding {
    /// A finding of `rule_id` at `path:line`, for unit tests of the stages after the matcher.
    pub fn example(rule_id: &str, path: &str, line: usize, confidence: Confidence) -> Finding {
        Finding {
            rule_id: rule_id.into(),
            rule_name: rule_id.to_uppercase(),
            path: path.into(),
            line,
            column: 1,
            end_line: line,
            end_column: 5,
            secret: "s".into(),
            line_content: "s".into(),
            entropy: 0.0,
            confidence,
            validation: Validation::NotChecked,
            validation_detail: None,
            decoded: None,
            encoded: None,
            paired: Vec::new(),
            remediation: None,
            fingerprint: "x".into(),
            git: None,
            suppressed: None,
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
                f.confidence = Confidence::High;
                f.paired = paired;
            }
            f
        })
        .collect()
}

/// Replaces `secret` in `text`; a multi-line secret (a PEM block) is hidden line by line, since
/// the context line holds only its first line.
pub fn hide(text: &str, secret: &str, masked: &str) -> String {
    let mut out = text.replace(secret, masked);
    for part in secret.split(['\n', '\r']).map(|p| p.trim()) {
        if part.len() >= 4 {
            out = out.replace(part, masked);
        }
    }
    out
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
    fn dates_are_iso8601() {
        assert_eq!(iso8601(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(iso8601(951_782_400, 0), "2000-02-29T00:00:00+00:00");
        assert_eq!(iso8601(1_709_211_909, 60), "2024-02-29T14:05:09+01:00");
        assert_eq!(iso8601(1_709_211_909, -330), "2024-02-29T07:35:09-05:30");
        assert_eq!(iso8601(-1, 0), "1969-12-31T23:59:59+00:00");
    }

    #[test]
    fn masking_never_reveals_more_than_a_quarter() {
        assert_eq!(mask("ghp_abcdefghijklmnop", 4), "ghp_REDACTED");
        assert_eq!(mask("abcdefgh", 100), "abREDACTED");
        assert_eq!(mask("abcdefgh", 0), "REDACTED");
        let hidden = hide(
            "key: MIIBOgIBAAJBAKj34",
            "-----BEGIN\nMIIBOgIBAAJBAKj34\n-----END",
            "X",
        );
        assert_eq!(hidden, "key: X");
    }
}
