//! The one masked view of secrets. Every place a secret could be shown goes through here:
//! `--redact` rewrites findings with `redact` (the filter stage's last step), and the human
//! and HTML reporters show the rest through `shown_lines` and `partial`.
//!
//! A shown line is masked by content, not by position: every run of `GRAM` or more bytes that
//! also occurs in a secret on that line is covered, whichever secret it belongs to (the
//! finding's own, its encoded form, its pair's other halves, another finding's on the same
//! line) and wherever the line was cut. So no shown line keeps `GRAM` consecutive bytes of
//! any secret found on it.

use std::collections::{HashMap, HashSet};

use crate::finding::Finding;

/// The shortest run of a secret that is masked wherever it appears in a shown line.
const GRAM: usize = 8;

/// What stands in for a masked part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    /// Its first few characters, then `*` (human and HTML output): enough to recognise a key,
    /// not to use it.
    Partial,
    /// `REDACTED`, after the first `keep` characters (never more than a quarter of the part).
    Redacted { keep: usize },
}

impl Replacement {
    pub fn apply(self, part: &str) -> String {
        match self {
            Replacement::Partial => partial(part),
            Replacement::Redacted { keep } => redacted(part, keep),
        }
    }
}

/// The first few characters (at most four, at most a quarter), the rest as `*`.
pub fn partial(secret: &str) -> String {
    let n = secret.chars().count();
    let keep = (n / 4).min(4);
    let stars = (n - keep).min(16);
    let head: String = secret.chars().take(keep).collect();
    format!("{head}{}", "*".repeat(stars))
}

/// `--redact=100`: gitleaks' spelling of "redact all of it" (its N is a percentage), which
/// its users carry over; it hides everything here too.
pub const GITLEAKS_ALL: usize = 100;

/// The first `keep` characters (never more than a quarter of the secret) and a marker.
pub fn redacted(secret: &str, keep: usize) -> String {
    let total = secret.chars().count();
    let keep = if keep == GITLEAKS_ALL {
        0
    } else {
        keep.min(total / 4)
    };
    let prefix: String = secret.chars().take(keep).collect();
    format!("{prefix}REDACTED")
}

/// `--redact`: replaces every secret in `findings`, their paired halves, and every trace of
/// them in the shown lines.
pub fn redact(findings: &mut [Finding], keep: usize) {
    let how = Replacement::Redacted { keep };
    let lines = shown_lines(findings, how);
    for (f, line) in findings.iter_mut().zip(lines) {
        f.line_content = line;
        f.secret = how.apply(&f.secret);
        f.encoded = None;
        for part in &mut f.paired {
            part.secret = how.apply(&part.secret);
        }
    }
}

/// Each finding's line as it may be shown: with every secret on that line masked.
pub fn shown_lines(findings: &[Finding], how: Replacement) -> Vec<String> {
    // The secrets on each line of each file version, and the lines that multi-line secrets
    // run through.
    type Place<'a> = (&'a str, Option<crate::content::ObjectId>, usize);
    fn place(f: &Finding, line: usize) -> Place<'_> {
        (f.path(), f.origin.blob(), line)
    }
    let mut on_line: HashMap<Place, Vec<&str>> = HashMap::new();
    for f in findings {
        on_line.entry(place(f, f.line)).or_default();
    }
    for f in findings {
        for line in f.line..=f.end_line {
            if let Some(forms) = on_line.get_mut(&place(f, line)) {
                forms.push(&f.secret);
                forms.extend(f.encoded.as_deref());
                forms.extend(f.paired.iter().map(|p| p.secret.as_str()));
            }
        }
    }
    let mut grams: HashMap<Place, Grams> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let key = place(f, f.line);
            let g = grams
                .entry(key)
                .or_insert_with(|| Grams::of(&on_line[&key]));
            mask_with(&f.line_content, g, how)
        })
        .collect()
}

/// Masks every run of `text` that occurs in one of `secrets`.
pub fn mask(text: &str, secrets: &[&str], how: Replacement) -> String {
    mask_with(text, &Grams::of(secrets), how)
}

/// The `GRAM`-byte windows of a set of secrets; secrets shorter than that are kept whole.
struct Grams {
    windows: HashSet<u64>,
    short: Vec<Vec<u8>>,
}

impl Grams {
    fn of(secrets: &[&str]) -> Grams {
        let mut windows = HashSet::new();
        let mut short = Vec::new();
        for s in secrets {
            let b = s.as_bytes();
            if b.len() >= GRAM {
                windows.extend(b.windows(GRAM).map(gram));
            } else if !b.is_empty() {
                short.push(b.to_vec());
            }
        }
        Grams { windows, short }
    }
}

fn gram(w: &[u8]) -> u64 {
    let mut a = [0u8; GRAM];
    a.copy_from_slice(w);
    u64::from_le_bytes(a)
}

fn mask_with(text: &str, grams: &Grams, how: Replacement) -> String {
    let b = text.as_bytes();
    let mut covered = vec![false; b.len()];
    if !grams.windows.is_empty() {
        for (i, w) in b.windows(GRAM).enumerate() {
            if grams.windows.contains(&gram(w)) {
                covered[i..i + GRAM].fill(true);
            }
        }
    }
    for s in &grams.short {
        for at in memchr::memmem::find_iter(b, s) {
            covered[at..at + s.len()].fill(true);
        }
    }
    if !covered.contains(&true) {
        return text.to_string();
    }
    // The rest of the token a secret is part of goes too: a key cut at an escaped newline
    // (`MIIB…\nLDbl…` in a JSON string) is found only up to the escape, but all of it is
    // secret.
    // Backwards the token stops at `=` and `.` (`id=`, `config.`); forwards it takes base64
    // padding and dotted parts.
    let before =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'_' | b'-' | b'\\');
    let after = |b: u8| before(b) || matches!(b, b'=' | b'.' | b'~');
    for i in 1..b.len() {
        if covered[i - 1] && !covered[i] && after(b[i]) {
            covered[i] = true;
        }
    }
    for i in (0..b.len().saturating_sub(1)).rev() {
        if covered[i + 1] && !covered[i] && before(b[i]) {
            covered[i] = true;
        }
    }
    // Widen to whole characters: a masked run never leaves half a character behind.
    for (at, c) in text.char_indices() {
        let span = at..at + c.len_utf8();
        if covered[span.clone()].contains(&true) {
            covered[span].fill(true);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let masked = covered[i];
        while i < b.len() && covered[i] == masked {
            i += 1;
        }
        let part = &text[start..i];
        if masked {
            out.push_str(&how.apply(part));
        } else {
            out.push_str(part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_shows_at_most_four_characters() {
        assert_eq!(
            partial("abcd_efghijklmnopqrstuvwxyz0123456789"),
            "abcd****************"
        );
        assert_eq!(partial("abcdefgh"), "ab******");
    }

    #[test]
    fn redaction_never_reveals_more_than_a_quarter() {
        assert_eq!(redacted("ghp_abcdefghijklmnop", 4), "ghp_REDACTED");
        assert_eq!(redacted("abcdefgh", 99), "abREDACTED");
        assert_eq!(redacted("abcdefghijklmnopqrstuvwxyz", 100), "REDACTED");
        assert_eq!(redacted("abcdefgh", 0), "REDACTED");
    }

    #[test]
    fn any_run_of_a_secret_is_masked_even_when_the_line_is_cut() {
        // Assembled at run time, so that keyhound scanning its own source does not flag it.
        let secret = &["Q9zr2LW0px4v", "Kd7mNb3TcYh8sRfXjUeA"].concat();
        let how = Replacement::Redacted { keep: 0 };
        // The line was cut inside the secret: only its start is there.
        let shown = mask(&format!("…key = \"{}…", &secret[..20]), &[secret], how);
        assert_eq!(shown, "…key = \"REDACTED…");
        // Both halves of a pair, and text around them kept.
        let shown = mask(
            &format!("id={} secret={secret}", "AKIA1234567890ABCD12"),
            &[secret, "AKIA1234567890ABCD12"],
            how,
        );
        assert_eq!(shown, "id=REDACTED secret=REDACTED");
        // A multi-line secret's first line, and a short secret whole.
        let pem =
            "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n-----END KEY-----";
        assert_eq!(
            mask(
                "k: MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf",
                &[pem],
                how
            ),
            "k: REDACTED"
        );
        assert_eq!(mask("pw=hunter2;", &["hunter2"], how), "pw=REDACTED;");
        // Found up to an escaped newline, hidden to the end of its token.
        assert_eq!(
            mask(
                r#"Secret: "AAABACJPG4lbsx\nLDblPAB3ECD6ix\nQwzh", next"#,
                &["AAABACJPG4lbsx"],
                how
            ),
            r#"Secret: "REDACTED", next"#
        );
        // Multi-byte characters stay whole.
        let shown = mask(
            "é=ñsecretvalue123é",
            &["ñsecretvalue123"],
            Replacement::Partial,
        );
        assert!(shown.starts_with("é=") && shown.ends_with('é'), "{shown}");
    }
}
