//! The matcher: keywords → regex → entropy → placeholder filter → validators.
//!
//! One Aho-Corasick automaton over every rule keyword (`keywords`) finds candidate positions.
//! Only rules whose keywords hit run their regex, and only inside a bounded window around the
//! hits, so no regex ever sweeps a whole file (MEASURED.md: a RegexSet over everything is
//! ~100x slower).

pub mod entropy;
pub mod keywords;
pub mod placeholder;
pub mod validate;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::bytes::Regex;

use self::keywords::KeywordSearcher;
use crate::rules::Rule;

/// How far before a keyword hit a match may start: a secret-named variable like
/// `my_service_api_key` puts the keyword at its end.
const WINDOW_BEFORE: usize = 96;
/// Default reach after a keyword hit; a rule with longer secrets sets `window`.
const WINDOW_AFTER: usize = 256;

/// A rule match inside one piece of content, before it becomes a `Finding`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMatch {
    pub rule: usize,
    /// Byte span of the secret (capture group 1) in the scanned content.
    pub start: usize,
    pub end: usize,
    pub entropy: f64,
}

struct CompiledRule {
    rule: Rule,
    /// `None` once compiling failed (over the size limit): the rule is then skipped.
    regex: OnceLock<Option<Regex>>,
    window_before: usize,
    window_after: usize,
}

impl CompiledRule {
    /// Compiled on first use, so a scan of one small file pays only for the rules it needs.
    fn regex(&self) -> Option<&Regex> {
        self.regex
            .get_or_init(|| match crate::rules::compile_regex(&self.rule.regex) {
                Ok(re) => Some(re),
                Err(e) => {
                    eprintln!("keyhound: warning: rule {} skipped: {e}", self.rule.id);
                    None
                }
            })
            .as_ref()
    }
}

pub struct Matcher {
    rules: Vec<CompiledRule>,
    keywords: KeywordSearcher,
    /// For each keyword id, the rules that listed it.
    keyword_rules: Vec<Vec<usize>>,
}

impl Matcher {
    pub fn new(rules: Vec<Rule>) -> Matcher {
        let mut keyword_ids: BTreeMap<String, usize> = BTreeMap::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (idx, rule) in rules.iter().enumerate() {
            for kw in &rule.keywords {
                let next = keyword_ids.len();
                let id = *keyword_ids.entry(kw.clone()).or_insert(next);
                if id == keyword_rules.len() {
                    keyword_rules.push(Vec::new());
                }
                if !keyword_rules[id].contains(&idx) {
                    keyword_rules[id].push(idx);
                }
            }
        }
        let mut patterns: Vec<(&String, &usize)> = keyword_ids.iter().collect();
        patterns.sort_by_key(|(_, id)| **id);
        let keywords = KeywordSearcher::new(
            &patterns
                .iter()
                .map(|(kw, _)| kw.as_bytes())
                .collect::<Vec<_>>(),
        );
        let rules = rules
            .into_iter()
            .map(|rule| CompiledRule {
                window_before: rule.window_before.unwrap_or(WINDOW_BEFORE),
                window_after: rule.window.unwrap_or(WINDOW_AFTER),
                rule,
                regex: OnceLock::new(),
            })
            .collect();
        Matcher {
            rules,
            keywords,
            keyword_rules,
        }
    }

    pub fn rule(&self, idx: usize) -> &Rule {
        &self.rules[idx].rule
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// All matches in `data`, one per secret: where rules overlap, the most specific wins.
    /// Sorted by position.
    pub fn scan(&self, data: &[u8]) -> Vec<RawMatch> {
        let candidates = self.candidates(data, None);
        resolve_overlaps(&self.rules, candidates)
    }

    /// Matches of one rule only (rule example checks).
    pub fn scan_rule(&self, rule: usize, data: &[u8]) -> Vec<RawMatch> {
        self.candidates(data, Some(rule))
    }

    fn candidates(&self, data: &[u8], only: Option<usize>) -> Vec<RawMatch> {
        // (rule, window start, window end) for each keyword hit.
        let mut hits = Vec::new();
        self.keywords.find_all(data, &mut hits);
        let mut windows: Vec<(usize, usize, usize)> = Vec::new();
        for hit in hits {
            for &rule in &self.keyword_rules[hit.keyword as usize] {
                if only.is_some_and(|o| o != rule) {
                    continue;
                }
                let compiled = &self.rules[rule];
                let start = hit.start.saturating_sub(compiled.window_before);
                let end = (hit.end + compiled.window_after).min(data.len());
                windows.push((rule, start, end));
            }
        }
        if windows.is_empty() {
            return Vec::new();
        }
        windows.sort_unstable();
        let mut out = Vec::new();
        let mut iter = windows.into_iter();
        let mut current = iter.next();
        while let Some((rule, start, mut end)) = current {
            // Merge overlapping windows of the same rule so each byte is searched once per rule.
            current = None;
            for next in iter.by_ref() {
                if next.0 == rule && next.1 <= end {
                    end = end.max(next.2);
                } else {
                    current = Some(next);
                    break;
                }
            }
            self.search_window(rule, data, start, end, &mut out);
        }
        out
    }

    fn search_window(
        &self,
        idx: usize,
        data: &[u8],
        start: usize,
        end: usize,
        out: &mut Vec<RawMatch>,
    ) {
        let Some(re) = self.rules[idx].regex() else {
            return;
        };
        let mut locs = re.capture_locations();
        // Searching `data[..end]` from `start` keeps the bytes before the window visible to
        // `\b` and other look-arounds.
        let hay = &data[..end];
        let mut pos = start;
        while pos <= hay.len() {
            let Some(m) = re.captures_read_at(&mut locs, hay, pos) else {
                break;
            };
            pos = if m.end() > m.start() {
                m.end()
            } else {
                m.end() + 1
            };
            let (s, e) = locs.get(1).unwrap_or((m.start(), m.end()));
            if let Some(found) = self.accept(idx, data, s, e) {
                out.push(found);
            }
        }
    }

    /// Entropy, placeholder and validator checks on one regex match.
    fn accept(&self, idx: usize, data: &[u8], start: usize, end: usize) -> Option<RawMatch> {
        let rule = &self.rules[idx].rule;
        let secret = &data[start..end];
        if secret.is_empty() {
            return None;
        }
        let entropy = entropy::shannon(secret);
        if rule.min_entropy.is_some_and(|min| entropy < min) {
            return None;
        }
        if placeholder::is_placeholder(secret) {
            return None;
        }
        if let Some(v) = &rule.validator {
            if !validate::check(v, secret) {
                return None;
            }
        }
        Some(RawMatch {
            rule: idx,
            start,
            end,
            entropy,
        })
    }
}

/// Keeps one match per secret: among overlapping spans the higher confidence wins, then a
/// provider rule over a generic one, then the earlier rule.
fn resolve_overlaps(rules: &[CompiledRule], mut candidates: Vec<RawMatch>) -> Vec<RawMatch> {
    if candidates.len() <= 1 {
        return candidates;
    }
    candidates.sort_by(|a, b| {
        let (ra, rb) = (&rules[a.rule].rule, &rules[b.rule].rule);
        rb.confidence
            .cmp(&ra.confidence)
            .then(ra.generic.cmp(&rb.generic))
            .then(a.rule.cmp(&b.rule))
            .then(a.start.cmp(&b.start))
    });
    // Accepted spans by start; spans never overlap each other.
    let mut taken: BTreeMap<usize, usize> = BTreeMap::new();
    let mut kept = Vec::new();
    for m in candidates {
        let before = taken.range(..m.end).next_back();
        if before.is_some_and(|(_, &end)| end > m.start) {
            continue;
        }
        taken.insert(m.start, m.end);
        kept.push(m);
    }
    kept.sort_by_key(|m| (m.start, m.end, m.rule));
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{parse_rules, Confidence};

    fn rule(id: &str, kw: &str, re: &str, conf: &str, generic: bool) -> String {
        format!(
            "[[rules]]\nid = \"{id}\"\nname = \"{id}\"\ndescription = \"d\"\nkeywords = [\"{kw}\"]\nregex = '''{re}'''\nconfidence = \"{conf}\"\ngeneric = {generic}\n"
        )
    }

    #[test]
    fn keyword_gates_the_regex() {
        let rules = parse_rules(
            "t",
            &rule("t", "tok_", r"tok_([a-z0-9]{12})", "high", false),
        )
        .unwrap();
        let m = Matcher::new(rules);
        let hits = m.scan(b"x = TOK_ nope; y = tok_q8zr2lw0px4v;");
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].start, 23);
        assert_eq!(hits[0].end, 35);
    }

    #[test]
    fn most_specific_rule_wins_overlap() {
        let text = rule("prov", "tok_", r"(tok_[a-z0-9]{12})", "high", false)
            + &rule("gen", "token", r#"token\s*=\s*"([^"]+)""#, "low", true);
        let rules = parse_rules("t", &text).unwrap();
        let m = Matcher::new(rules);
        // Built at run time so that keyhound scanning its own source does not flag it.
        let text = format!("token = \"{}\"", ["tok", "q8zr2lw0px4v"].join("_"));
        let hits = m.scan(text.as_bytes());
        assert_eq!(hits.len(), 1);
        assert_eq!(m.rule(hits[0].rule).id, "prov");
        assert_eq!(m.rule(hits[0].rule).confidence, Confidence::High);
    }

    #[test]
    fn windows_merge_and_matches_are_not_duplicated() {
        let rules = parse_rules("t", &rule("t", "ab", r"ab([0-9]{6})", "high", false)).unwrap();
        let m = Matcher::new(rules);
        let hits = m.scan(b"ab390127 ab390127ab847102");
        assert_eq!(hits.len(), 3);
        let spans: Vec<_> = hits.iter().map(|h| (h.start, h.end)).collect();
        assert_eq!(spans, vec![(2, 8), (11, 17), (19, 25)]);
    }

    #[test]
    fn word_boundary_sees_bytes_before_the_window() {
        let rules = parse_rules("t", &rule("t", "key9", r"\b(z+key9)", "high", false)).unwrap();
        let m = Matcher::new(rules);
        // The window starts exactly WINDOW_BEFORE bytes before the keyword, inside the word
        // "yzz…": `\b` must not match there just because the window starts there.
        let zs = "z".repeat(WINDOW_BEFORE);
        assert!(m.scan(format!("y{zs}key9").as_bytes()).is_empty());
        assert_eq!(m.scan(format!(".{zs}key9").as_bytes()).len(), 1);
    }
}
