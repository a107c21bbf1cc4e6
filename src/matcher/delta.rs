//! Scanning only what a delta adds. A git pack stores most blobs as a delta against another:
//! ranges copied from the base, and new bytes between them. Given the base's `Analysis`, the
//! new content's analysis is built from the base's wherever the bytes a result depends on
//! were copied unchanged, and searched afresh only around what changed. The result is exactly
//! the analysis a full scan would make (the differential tests scan with and without deltas):
//!
//! - **Keyword occurrences** depend only on their own bytes: those inside one copied range are
//!   the base's, moved; the rest lie within a keyword's length of a change and are searched.
//! - **Windows** are then merged from all occurrences as in a full scan. A window's search and
//!   checks read at most `CONTEXT_REACH` bytes outside it, so a window that lies with that
//!   margin inside one copied range, where the base had the same window, has the base's
//!   candidates; any other window is searched.
//! - **Decoding** works line by line (no encoded run crosses a newline), so a line copied whole
//!   with its newlines keeps the base's decoded candidates, and the lines around a change are
//!   decoded afresh.
//!
//! Path rules read small files whole and are run on the whole content by `finish`.

use super::{keywords::Hit, Analysis, Matcher, Window, CONTEXT_REACH};
use crate::content::{ContentKind, Piece};

impl Matcher {
    /// The analysis of `data`, made as `pieces` of the content that `base` analysed. None when
    /// the base does not fit (another kind of content, pieces that do not add up), and the
    /// caller scans the content whole.
    pub fn analyze_delta(
        &self,
        data: &[u8],
        kind: ContentKind,
        base: &Analysis,
        pieces: &[Piece],
    ) -> Option<Analysis> {
        if base.kind != kind || data.is_empty() {
            return None;
        }
        let pieces = normalize(pieces, data.len(), base.len)?;
        let seeds = seeds(&pieces, data.len(), base.len);
        let mut read: Vec<(usize, usize)> = Vec::new();

        // Keyword occurrences: moved from the base, and searched around each change.
        let mut hits = Vec::with_capacity(base.hits.len() + 16);
        for p in &pieces {
            let Some(from) = p.from else { continue };
            let first = base.hits.partition_point(|h| h.start < from);
            for h in base.hits[first..]
                .iter()
                .take_while(|h| h.start < from + p.len)
            {
                if h.end <= from + p.len {
                    hits.push(Hit {
                        keyword: h.keyword,
                        start: h.start - from + p.at,
                        end: h.end - from + p.at,
                    });
                }
            }
        }
        let reach = self.keywords.max_len().saturating_sub(1);
        let around = merge(
            seeds
                .iter()
                .map(|&(a, b)| (a.saturating_sub(reach), (b + reach).min(data.len()))),
        );
        let mut fresh = Vec::new();
        for &(a, b) in &around {
            fresh.clear();
            self.keywords.find_all(&data[a..b], &mut fresh);
            for h in &fresh {
                let (start, end) = (h.start + a, h.end + a);
                // Inside one copied range it was moved from the base already.
                if copied(&pieces, start, end).is_none() {
                    hits.push(Hit {
                        keyword: h.keyword,
                        start,
                        end,
                    });
                }
            }
        }
        read.extend(&around);
        hits.sort_unstable_by_key(|h| (h.start, h.end, h.keyword));

        // Windows: the base's candidates where the window and its surroundings are copied.
        let mut windows = Vec::new();
        let mut found = Vec::new();
        for (rule, start, end) in self.merged_windows(&hits, data.len(), kind, None) {
            let from = found.len();
            match reused_window(&pieces, base, data.len(), rule, start, end) {
                Some((w, shift)) => found.extend(base.found[w.found.clone()].iter().map(|m| {
                    let mut m = m.clone();
                    m.start = m.start - shift.0 + shift.1;
                    m.end = m.end - shift.0 + shift.1;
                    m
                })),
                None => {
                    self.search_window(rule, data, start, end, kind, &mut found);
                    read.push((start, end));
                }
            }
            windows.push(Window {
                rule,
                start,
                end,
                found: from..found.len(),
            });
        }

        // Decoding: afresh on the lines around each change, the base's on lines copied whole.
        let mut decoded = Vec::new();
        if self.decodes(kind) {
            let dirty = merge(seeds.iter().map(|&(a, b)| lines_around(data, a, b)));
            for p in &pieces {
                let Some(from) = p.from else { continue };
                let first = base.decoded.partition_point(|m| m.start < from);
                for m in base.decoded[first..]
                    .iter()
                    .take_while(|m| m.start < from + p.len)
                {
                    let start = m.start - from + p.at;
                    if m.end <= from + p.len && !inside(&dirty, start) {
                        let mut m = m.clone();
                        m.start = start;
                        m.end = m.end - from + p.at;
                        decoded.push(m);
                    }
                }
            }
            let mut lines = Vec::new();
            for &(a, b) in &dirty {
                lines.clear();
                self.decoded_candidates(&data[a..b], kind, self.decode_depth, &mut lines);
                decoded.extend(lines.drain(..).map(|mut m| {
                    m.start += a;
                    m.end += a;
                    m
                }));
            }
            decoded.sort_by_key(|m| m.start);
            read.extend(&dirty);
        }

        Some(Analysis {
            kind,
            len: data.len(),
            hits,
            windows,
            found,
            decoded,
            matched_bytes: merge(read).iter().map(|(a, b)| (b - a) as u64).sum(),
        })
    }
}

/// The pieces in order, checked to tile the content and to copy from within the base, with
/// adjacent pieces joined where the base's bytes run on (git often splits a long copy).
fn normalize(pieces: &[Piece], len: usize, base_len: usize) -> Option<Vec<Piece>> {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    let mut at = 0;
    for p in pieces.iter().filter(|p| p.len > 0) {
        if p.at != at || p.from.is_some_and(|f| f + p.len > base_len) {
            return None;
        }
        at += p.len;
        match (out.last_mut(), p.from) {
            (Some(last), Some(f)) if last.from.is_some_and(|lf| lf + last.len == f) => {
                last.len += p.len
            }
            (Some(last), None) if last.from.is_none() => last.len += p.len,
            _ => out.push(*p),
        }
    }
    (at == len).then_some(out)
}

/// Where the content differs from the base, as ranges (empty at a join): new bytes, each join
/// between pieces, and the ends of the content unless they are the base's own ends.
fn seeds(pieces: &[Piece], len: usize, base_len: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if pieces.first().is_none_or(|p| p.from != Some(0)) {
        out.push((0, 0));
    }
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 {
            out.push((p.at, p.at));
        }
        if p.from.is_none() {
            out.push((p.at, p.at + p.len));
        }
    }
    if pieces
        .last()
        .is_none_or(|p| p.from.is_none_or(|f| f + p.len != base_len))
    {
        out.push((len, len));
    }
    out
}

/// The copied piece that holds all of `start..end`, if one does.
fn copied(pieces: &[Piece], start: usize, end: usize) -> Option<&Piece> {
    let i = pieces.partition_point(|p| p.at + p.len <= start);
    pieces
        .get(i)
        .filter(|p| p.from.is_some() && p.at <= start && end <= p.at + p.len)
}

/// The base's window that the window `start..end` of rule `rule` repeats, and the shift
/// (base offset, content offset) between them: when the window and `CONTEXT_REACH` bytes
/// around it (or up to an end of the content that is also the base's end) were copied from
/// the base in one piece, and the base searched the same window.
fn reused_window<'a>(
    pieces: &[Piece],
    base: &'a Analysis,
    len: usize,
    rule: usize,
    start: usize,
    end: usize,
) -> Option<(&'a Window, (usize, usize))> {
    let (from, to) = (
        start.saturating_sub(CONTEXT_REACH),
        (end + CONTEXT_REACH).min(len),
    );
    let p = copied(pieces, from, to.max(from + 1))?;
    let source = p.from?;
    // The content's ends cut the surroundings short: so must the base's.
    if from == 0 && source != 0 {
        return None;
    }
    if to == len && source + p.len != base.len {
        return None;
    }
    let (b_start, b_end) = (start - p.at + source, end - p.at + source);
    let i = base
        .windows
        .partition_point(|w| (w.rule, w.start) < (rule, b_start));
    let w = base.windows.get(i)?;
    (w.rule == rule && w.start == b_start && w.end == b_end).then_some((w, (source, p.at)))
}

/// Ranges sorted and joined where they overlap or touch.
fn merge(ranges: impl IntoIterator<Item = (usize, usize)>) -> Vec<(usize, usize)> {
    let mut v: Vec<(usize, usize)> = ranges.into_iter().collect();
    v.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(v.len());
    for (a, b) in v {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The whole lines (with their newlines) that hold any byte of `a..b`, or the line at `a`.
/// A line is copied whole with the newline before it unless a join falls inside it (a join
/// right after that newline is a seed of its own, at the line's first byte).
fn lines_around(data: &[u8], a: usize, b: usize) -> (usize, usize) {
    let start = memchr::memrchr(b'\n', &data[..a]).map_or(0, |i| i + 1);
    let last = b.max(a + 1).min(data.len()).saturating_sub(1).max(a);
    let end =
        memchr::memchr(b'\n', &data[last.min(data.len())..]).map_or(data.len(), |i| last + i + 1);
    (start, end)
}

fn inside(ranges: &[(usize, usize)], at: usize) -> bool {
    let i = ranges.partition_point(|r| r.1 <= at);
    ranges.get(i).is_some_and(|r| r.0 <= at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::RawMatch;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn matcher() -> &'static Matcher {
        static M: OnceLock<Matcher> = OnceLock::new();
        M.get_or_init(|| Matcher::new(crate::rules::embedded()))
    }

    /// The labelled corpus's files with secrets: real rule contexts, every provider family.
    fn samples() -> &'static [(String, Vec<u8>)] {
        static S: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
        S.get_or_init(|| {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/accuracy");
            let mut out = Vec::new();
            let mut dirs = vec![root.join("positives"), root.join("negatives")];
            while let Some(d) = dirs.pop() {
                for e in std::fs::read_dir(&d).unwrap().flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        dirs.push(p);
                    } else {
                        let rel = p
                            .strip_prefix(&root)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned();
                        out.push((rel, std::fs::read(&p).unwrap()));
                    }
                }
            }
            out.sort();
            out
        })
    }

    /// Text a change may bring: secrets whole and in parts, keywords, encodings, newlines.
    /// (Whole secrets are assembled at run time, so that keyhound scanning its own source
    /// does not report them.)
    fn inserts() -> &'static [String] {
        static I: OnceLock<Vec<String>> = OnceLock::new();
        I.get_or_init(|| {
            use base64::Engine as _;
            let value = ["Zq8xLmR2", "vT9pWk4nB7cD1eF3"].concat();
            let mut v: Vec<String> = FRAGMENTS.iter().map(|s| s.to_string()).collect();
            v.push(base64::engine::general_purpose::STANDARD.encode(format!("password={value}")));
            v.push(
                [
                    "postgres://app:Zq8%40Lm2",
                    "%40xR9vT@db.internal:5432/app\n",
                ]
                .concat(),
            );
            v.push(format!(r#"{{\"token\": \"{value}\"}}"#));
            v
        })
    }

    const FRAGMENTS: &[&str] = &[
        "",
        "\n",
        "\n\n",
        "x",
        " = ",
        "\"",
        "password = \"",
        "Zq8xLmR2vT9pWk4n\"\n",
        "api_key: ",
        "ghp_",
        "ghp_Zq8xLmR2vT9pWk4nB7cD1eF3gH5jK6mN0pQ2\n",
        "AKIA",
        "AKIAZQ8XLMR2VT9PWK4N",
        "aws_secret_access_key = ",
        "wJalrXUtnFEMIZK7MDENGbPxRfiCYZQ8xLmR2vT9",
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "xoxb-",
        "sk_live_",
        // What the generic rules' filters look for on the rest of the line.
        " data:image/png ",
        " = ",
        "==",
        "${",
        " example ",
    ];

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// A new version of `base` as a delta would describe it: ranges of the base (in order,
    /// trimmed, dropped, now and then moved or repeated) with new text between them.
    /// Cuts fall anywhere, and as often near the keywords the base holds, up to a line's
    /// reach from them, where they change what a rule sees.
    fn edit(base: &[u8], near: &[usize], rng: &mut Rng) -> (Vec<u8>, Vec<Piece>) {
        let mut cuts: Vec<usize> = (0..rng.below(10))
            .map(|_| match (rng.below(2), near.is_empty()) {
                (0, false) => {
                    let at = near[rng.below(near.len())] + rng.below(1400);
                    at.saturating_sub(700).min(base.len())
                }
                _ => rng.below(base.len() + 1),
            })
            .collect();
        cuts.push(0);
        cuts.push(base.len());
        cuts.sort_unstable();
        let mut ranges: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
        if ranges.len() > 2 && rng.below(4) == 0 {
            let (i, j) = (rng.below(ranges.len()), rng.below(ranges.len()));
            ranges.swap(i, j);
        }
        if rng.below(6) == 0 && !ranges.is_empty() {
            let r = ranges[rng.below(ranges.len())];
            ranges.insert(rng.below(ranges.len()), r);
        }
        let (mut data, mut pieces) = (Vec::new(), Vec::new());
        let mut add = |data: &mut Vec<u8>, bytes: &[u8], from: Option<usize>| {
            if !bytes.is_empty() {
                pieces.push(Piece {
                    at: data.len(),
                    len: bytes.len(),
                    from,
                });
                data.extend_from_slice(bytes);
            }
        };
        for (a, b) in ranges {
            let a = (a + rng.below(3) * rng.below(40)).min(b);
            let b = b.saturating_sub(rng.below(3) * rng.below(40)).max(a);
            if rng.below(8) != 0 {
                add(&mut data, &base[a..b], Some(a));
            }
            if rng.below(2) == 0 {
                add(
                    &mut data,
                    inserts()[rng.below(inserts().len())].as_bytes(),
                    None,
                );
            }
        }
        (data, pieces)
    }

    fn sorted(mut v: Vec<RawMatch>) -> Vec<RawMatch> {
        v.sort_by(|a, b| {
            (a.start, a.end, a.rule)
                .cmp(&(b.start, b.end, b.rule))
                .then_with(|| format!("{a:?}").cmp(&format!("{b:?}")))
        });
        v
    }

    fn same(delta: &Analysis, full: &Analysis) -> Result<(), TestCaseError> {
        prop_assert_eq!(&delta.hits, &full.hits);
        let extents = |a: &Analysis| {
            a.windows
                .iter()
                .map(|w| (w.rule, w.start, w.end))
                .collect::<Vec<_>>()
        };
        prop_assert_eq!(extents(delta), extents(full));
        prop_assert_eq!(sorted(delta.found.clone()), sorted(full.found.clone()));
        prop_assert_eq!(sorted(delta.decoded.clone()), sorted(full.decoded.clone()));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// A content analysed from its delta base is analysed exactly as when scanned whole,
        /// through chains of deltas, whatever was copied, moved, cut or inserted, and where.
        #[test]
        fn a_delta_analysis_is_the_full_analysis(sample in 0usize..10_000, seed in 1u64.., depth in 1usize..4) {
            let m = matcher();
            let (path, bytes) = &samples()[sample % samples().len()];
            let kind = ContentKind::of(path, bytes);
            let mut rng = Rng(seed);
            let mut base = bytes.clone();
            let mut analysis = m.analyze(&base, kind);
            for _ in 0..depth {
                let near: Vec<usize> = analysis.hits.iter().map(|h| h.start).collect();
                let (data, pieces) = edit(&base, &near, &mut rng);
                let full = m.analyze(&data, kind);
                match m.analyze_delta(&data, kind, &analysis, &pieces) {
                    Some(delta) => {
                        same(&delta, &full)?;
                        prop_assert_eq!(m.finish(&delta, &data, path), m.finish(&full, &data, path));
                        prop_assert!(delta.matched_bytes <= data.len() as u64);
                        analysis = delta;
                    }
                    None => {
                        prop_assert!(data.is_empty());
                        analysis = full;
                    }
                }
                base = data;
            }
        }
    }

    fn custom(rules: &str) -> Matcher {
        Matcher::new(crate::rules::parse_rules("t", rules).unwrap())
    }

    /// `base` with `added` inserted at `at`, and the pieces that say so.
    fn inserted(base: &str, at: usize, added: &str) -> (String, [Piece; 3]) {
        let data = [&base[..at], added, &base[at..]].concat();
        let pieces = [
            Piece {
                at: 0,
                len: at,
                from: Some(0),
            },
            Piece {
                at,
                len: added.len(),
                from: None,
            },
            Piece {
                at: at + added.len(),
                len: base.len() - at,
                from: Some(at),
            },
        ];
        (data, pieces)
    }

    fn both(m: &Matcher, base: &[u8], data: &[u8], pieces: &[Piece]) -> [Vec<RawMatch>; 2] {
        let a = m.analyze(base, ContentKind::Source);
        let d = m
            .analyze_delta(data, ContentKind::Source, &a, pieces)
            .unwrap();
        [m.finish(&d, data, ""), m.scan(data, ContentKind::Source)]
    }

    #[test]
    fn a_change_beyond_the_window_but_on_the_secrets_line_is_seen() {
        let m = custom(
            r#"[[rules]]
id = "gen"
name = "g"
description = "d"
keywords = ["token"]
regex = '''token\s*=\s*"([^"]+)"'''
confidence = "low"
generic = true
"#,
        );
        // The generic filters read the line up to 512 bytes past the value: a data URI there
        // says it is not a secret, though it lies outside the keyword's window.
        let base = format!(
            "token = \"{}\" {}\nnext line\n",
            ["Zq8xLmR2", "vT9pWk4nB7cD1eF3"].concat(),
            "a".repeat(400)
        );
        let (data, pieces) = inserted(&base, base.find('\n').unwrap(), " data:image/png ");
        let [delta, full] = both(&m, base.as_bytes(), data.as_bytes(), &pieces);
        assert!(full.is_empty(), "{full:?}");
        assert_eq!(delta, full);
        assert_eq!(m.scan(base.as_bytes(), ContentKind::Source).len(), 1);
    }

    #[test]
    fn a_window_cut_short_by_the_start_of_the_content_is_searched_again() {
        let m = custom(
            r#"[[rules]]
id = "t"
name = "t"
description = "d"
keywords = ["key9"]
regex = '''\b(z+key9)'''
confidence = "high"
"#,
        );
        // In the base the run of z's follows a word character, so `\b` cannot match before
        // it; with that character gone the content starts with the run, and it matches.
        let base = format!("y{}key9\n", "z".repeat(96));
        let data = &base.as_bytes()[1..];
        let pieces = [Piece {
            at: 0,
            len: data.len(),
            from: Some(1),
        }];
        let [delta, full] = both(&m, base.as_bytes(), data, &pieces);
        assert_eq!(full.len(), 1);
        assert_eq!(delta, full);
    }

    #[test]
    fn a_small_change_is_all_that_is_read() {
        let m = matcher();
        let line = "let value = compute(input, 42); // nothing to see on this line\n";
        let base = line.repeat(2000);
        let secret = &format!("password = \"{}\"\n", ["Zq8xLm", "R2vT9pWk4n"].concat());
        let (data, pieces) = inserted(&base, base.len() / 2 / line.len() * line.len(), secret);
        let a = m.analyze(base.as_bytes(), ContentKind::Source);
        let d = m
            .analyze_delta(data.as_bytes(), ContentKind::Source, &a, &pieces)
            .unwrap();
        let found = m.finish(&d, data.as_bytes(), "");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(&data[found[0].start..found[0].end], "Zq8xLmR2vT9pWk4n");
        // The lines around the change, not the 128 kB around them.
        assert!(d.matched_bytes < 4096, "{} bytes read", d.matched_bytes);
        // Pieces that do not tile the content, or copy from past the base, are refused.
        let mut bad = pieces;
        bad[2].len += 1;
        assert!(m
            .analyze_delta(data.as_bytes(), ContentKind::Source, &a, &bad)
            .is_none());
        // Another kind of content is analysed whole.
        assert!(m
            .analyze_delta(data.as_bytes(), ContentKind::Config, &a, &pieces)
            .is_none());
    }
}
