//! What a scan looked at and set aside, for the summary line: nothing is skipped silently.

use std::time::Duration;

use serde::Serialize;

use crate::filter::Suppressed;
use crate::source::Unit;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    /// Files scanned (blobs, for a history scan).
    pub files: u64,
    pub bytes: u64,
    /// Bytes the matcher read: fewer than `bytes` when deltas let it reuse a base's matches.
    pub matched_bytes: u64,
    /// Commits walked (history scans).
    pub commits: u64,
    /// The first and the last of them, as `abc1234 2015-03-01`.
    pub span: Option<(String, String)>,
    pub skipped_binary: u64,
    pub skipped_too_large: u64,
    pub skipped_lfs: u64,
    /// Paths left out by `.gitignore`, `.ignore`, git excludes or `--no-hidden`.
    pub ignored: u64,
    /// Symbolic links, FIFOs, sockets and devices: never opened.
    pub skipped_special: u64,
    /// Archives opened (nested ones included) and the members handed over from them (counted
    /// in `files` too when scanned).
    pub archives: u64,
    pub members: u64,
    /// Saved container images among the archives, and their layers.
    pub images: u64,
    pub layers: u64,
    /// Commit and tag messages, notes and configuration files scanned (history scans).
    pub metadata: u64,
    pub skipped_encrypted: u64,
    /// Archives stopped at a limit (a bomb, the expansion budget), and archives nested deeper
    /// than `--archive-depth`.
    pub archive_limits: u64,
    pub too_deep: u64,
    pub errors: u64,
    /// Contents an earlier scan found clean (`--cache`), not read or matched again.
    pub cached: u64,
    /// Errors that fail the run once the report is out (exit 2): a file named on the command
    /// line that cannot be read, a staged file too large to scan.
    pub fatal: u64,
    pub findings: u64,
    /// Findings set aside by `keyhound:allow` and by the ignore file.
    pub allowed_inline: u64,
    pub ignored_findings: u64,
    pub in_baseline: u64,
    pub allowlisted: u64,
    pub below_min_confidence: u64,
    /// Set aside by `--verify-only`.
    pub not_live: u64,
    /// `--verify`: reported findings their provider called live, invalid, or neither.
    pub verified: Option<[u64; 3]>,
    /// Reported findings by confidence: high, medium, low.
    pub by_confidence: [u64; 3],
    /// How many reports `keyhound merge` joined (its summary counts only findings).
    pub merged_from: Option<usize>,
    /// What `files` counts.
    #[serde(skip)]
    pub unit: Unit,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl Stats {
    /// Another scan's counts added to these (`keyhound git REPO…`, `keyhound merge`); the
    /// span is dropped, since commits of several histories do not line up.
    pub fn add(&mut self, o: &Stats) {
        let pairs = [
            (&mut self.files, o.files),
            (&mut self.bytes, o.bytes),
            (&mut self.matched_bytes, o.matched_bytes),
            (&mut self.commits, o.commits),
            (&mut self.skipped_binary, o.skipped_binary),
            (&mut self.skipped_too_large, o.skipped_too_large),
            (&mut self.skipped_lfs, o.skipped_lfs),
            (&mut self.ignored, o.ignored),
            (&mut self.skipped_special, o.skipped_special),
            (&mut self.archives, o.archives),
            (&mut self.members, o.members),
            (&mut self.images, o.images),
            (&mut self.layers, o.layers),
            (&mut self.metadata, o.metadata),
            (&mut self.skipped_encrypted, o.skipped_encrypted),
            (&mut self.archive_limits, o.archive_limits),
            (&mut self.too_deep, o.too_deep),
            (&mut self.errors, o.errors),
            (&mut self.cached, o.cached),
            (&mut self.fatal, o.fatal),
            (&mut self.findings, o.findings),
            (&mut self.allowed_inline, o.allowed_inline),
            (&mut self.ignored_findings, o.ignored_findings),
            (&mut self.in_baseline, o.in_baseline),
            (&mut self.allowlisted, o.allowlisted),
            (&mut self.below_min_confidence, o.below_min_confidence),
        ];
        for (mine, theirs) in pairs {
            *mine += theirs;
        }
        for (mine, theirs) in self.by_confidence.iter_mut().zip(o.by_confidence) {
            *mine += theirs;
        }
        self.not_live += o.not_live;
        self.verified = match (self.verified, o.verified) {
            (Some(a), Some(b)) => Some([a[0] + b[0], a[1] + b[1], a[2] + b[2]]),
            (a, b) => a.or(b),
        };
        self.span = None;
        self.unit = o.unit;
        self.elapsed += o.elapsed;
    }

    pub fn add_filtered(&mut self, s: &Suppressed) {
        self.allowed_inline += s.inline;
        self.ignored_findings += s.ignore_file;
        self.in_baseline += s.baseline;
        self.allowlisted += s.allowlist;
        self.below_min_confidence += s.below_min_confidence;
        self.not_live += s.not_live;
    }

    /// `3 findings (1 high, 2 low; 1 live, 2 invalid)`.
    pub fn findings_line(&self) -> String {
        let mut line = format!("{} finding{}", self.findings, plural(self.findings));
        if self.findings > 0 {
            let parts: Vec<String> = ["high", "medium", "low"]
                .iter()
                .zip(self.by_confidence)
                .filter(|(_, n)| *n > 0)
                .map(|(name, n)| format!("{n} {name}"))
                .collect();
            let verified = match self.verified {
                Some([live, invalid, unknown]) => {
                    format!("; {live} live, {invalid} invalid, {unknown} unverified")
                }
                None => String::new(),
            };
            line.push_str(&format!(" ({}{verified})", parts.join(", ")));
        }
        line
    }

    /// The one-line summary printed on stderr at the end of a scan.
    pub fn summary(&self) -> String {
        let secs = self.elapsed.as_secs_f64();
        let mb = self.bytes as f64 / 1e6;
        let rate = if secs > 0.0 { mb / secs } else { 0.0 };
        let unit = self.unit.name();
        let mut line = self.findings_line();
        if let Some(n) = self.merged_from {
            return format!("{line} merged from {n} report{}", plural(n as u64));
        }
        let archives = match (self.archives, self.images) {
            (0, _) => String::new(),
            (a, 0) => format!("; {} of them in {a} archive{}", self.members, plural(a)),
            (a, i) => format!(
                "; {} of them in {a} archive{}, with {i} image{} of {} layer{}",
                self.members,
                plural(a),
                plural(i),
                self.layers,
                plural(self.layers)
            ),
        };
        line.push_str(&format!(
            " in {} {unit}{} ({:.1} MB{archives})",
            self.files,
            plural(self.files),
            mb,
        ));
        if self.unit == Unit::Blob {
            line.push_str(&format!(
                " from {} commit{}",
                self.commits,
                plural(self.commits)
            ));
            match &self.span {
                Some((first, last)) if first != last => {
                    line.push_str(&format!(" ({first} to {last})"))
                }
                Some((only, _)) => line.push_str(&format!(" ({only})")),
                None => {}
            }
            if self.metadata > 0 {
                line.push_str(&format!(
                    ", {} messages, notes and config files",
                    self.metadata
                ));
            }
            if self.matched_bytes < self.bytes {
                line.push_str(&format!(
                    ", {:.1} MB of it read (deltas reused the rest)",
                    self.matched_bytes as f64 / 1e6
                ));
            }
        }
        line.push_str(&format!(" in {secs:.2}s ({rate:.0} MB/s)"));
        let skipped = [
            (self.cached, "clean in the cache"),
            (self.skipped_binary, "binary"),
            (self.skipped_too_large, "too large"),
            (self.skipped_lfs, "LFS pointers"),
            (self.ignored, "ignored"),
            (self.skipped_special, "links or special files"),
            (self.skipped_encrypted, "encrypted archive members"),
            (self.archive_limits, "archives over their limits"),
            (self.too_deep, "archives nested too deep"),
            (self.errors, "unreadable"),
            (self.allowed_inline, "allowed inline"),
            (self.ignored_findings, "in the ignore file"),
            (self.in_baseline, "in the baseline"),
            (self.allowlisted, "by allowlist"),
            (self.below_min_confidence, "below the minimum confidence"),
            (self.not_live, "not confirmed live (--verify-only)"),
        ];
        for (n, what) in skipped {
            if n > 0 {
                line.push_str(&format!("; {n} {what}"));
            }
        }
        line
    }
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
