//! The matcher: keywords → regex → entropy → placeholder filter → validators.
//!
//! One Aho-Corasick automaton over every rule keyword (`keywords`) finds candidate positions.
//! Only rules whose keywords hit run their regex, and only inside a bounded window around the
//! hits, so no regex ever sweeps a whole file (MEASURED.md: a RegexSet over everything is
//! ~100x slower).

pub mod decode;
pub mod delta;
pub mod entropy;
pub mod examples;
pub mod explain;
pub mod generic;
pub mod keywords;
pub mod placeholder;
pub mod randomness;
pub mod validate;
pub mod wallet;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::bytes::Regex;

use self::keywords::KeywordSearcher;
use self::validate::Validation;
use crate::content::ContentKind;
use crate::rules::{Confidence, Rule};

/// How far before a keyword hit a match may start: a secret-named variable like
/// `my_service_api_key` puts the keyword at its end.
const WINDOW_BEFORE: usize = 96;
/// Default reach after a keyword hit; a rule with longer secrets sets `window`.
const WINDOW_AFTER: usize = 256;
/// Two layers: a `.dockerconfigjson` is base64 of JSON whose `auth` is base64 again.
pub const DEFAULT_DECODE_DEPTH: usize = 2;
/// How much of the line around an encoded run is kept as context for the decoded text.
const DECODE_CONTEXT: usize = 256;
/// Largest file a path rule reads (a Rails master key is 32 bytes).
const PATH_RULE_MAX_SIZE: usize = 64 << 10;
/// How far back a generic rule's variable name may begin before its keyword.
const NAME_BEFORE: usize = 40;
/// How much of a secret's line either side of it a generic rule's filters read.
const LINE_REACH: usize = 512;
/// How far outside its window a rule's search and checks read: the line around a match, the
/// name before it, the byte before the window (for `\b`). A window whose surroundings this
/// far out are unchanged finds what it found before (`delta`).
const CONTEXT_REACH: usize = LINE_REACH + 1;
const _: () = assert!(NAME_BEFORE < LINE_REACH);

/// A rule match inside one piece of content, before it becomes a `Finding`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMatch {
    pub rule: usize,
    /// Byte span of the secret (capture group 1) in the scanned content.
    pub start: usize,
    pub end: usize,
    pub entropy: f64,
    /// The rule's confidence, lowered for an invalid structure or generated content.
    pub confidence: Confidence,
    pub validation: Validation,
    /// What the validator learned: expiry, encryption, the account.
    pub detail: Option<String>,
    /// For a secret found inside encoded text: the span above is the encoded text, and this is
    /// the secret itself and how it was decoded.
    pub decoded: Option<Box<DecodedSecret>>,
}

/// What one content's scan found before overlaps are resolved (`Matcher::analyze`).
#[derive(Debug, Clone)]
pub struct Analysis {
    kind: ContentKind,
    len: usize,
    /// Every keyword occurrence, sorted.
    hits: Vec<keywords::Hit>,
    /// The windows searched, sorted by rule then start, each with its candidates in `found`.
    windows: Vec<Window>,
    found: Vec<RawMatch>,
    /// Candidates in decoded text, sorted by start.
    decoded: Vec<RawMatch>,
    /// Bytes the keyword and decoding passes read: all of them, unless a delta let most be
    /// reused.
    pub matched_bytes: u64,
}

impl Analysis {
    /// Roughly how much memory it holds, for caches of analyses.
    pub fn footprint(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.hits.capacity() * std::mem::size_of::<keywords::Hit>()
            + self.windows.capacity() * std::mem::size_of::<Window>()
            + (self.found.capacity() + self.decoded.capacity())
                * (std::mem::size_of::<RawMatch>() + 64)
    }

    /// Gives back what its vectors reserved beyond their length, before it is kept.
    pub fn shrink(&mut self) {
        self.hits.shrink_to_fit();
        self.windows.shrink_to_fit();
        self.found.shrink_to_fit();
        self.decoded.shrink_to_fit();
    }
}

#[derive(Debug, Clone)]
struct Window {
    rule: usize,
    start: usize,
    end: usize,
    found: std::ops::Range<usize>,
}

/// Why the matcher dropped a regex match (`keyhound explain` shows it).
#[derive(Debug, Clone, PartialEq)]
pub enum Dropped {
    Empty,
    /// Below the rule's `min_entropy`.
    Entropy {
        entropy: f64,
        min: f64,
    },
    /// A placeholder or a reference (`your_key_here`, `${VAR}`, `xxxx`, a sequential run).
    Placeholder,
    /// A name in code (`getPassword`), not a value.
    Identifier,
    /// A generic rule's filters: what the value is instead (a path, a version, not random).
    NotASecret(&'static str),
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dropped::Empty => f.write_str("the secret is empty"),
            Dropped::Entropy { entropy, min } => {
                write!(
                    f,
                    "entropy {entropy:.2} is below the rule's minimum {min:.2}"
                )
            }
            Dropped::Placeholder => f.write_str("a placeholder or a reference, not a value"),
            Dropped::Identifier => f.write_str("a name in code (an identifier), not a value"),
            Dropped::NotASecret(why) => write!(f, "generic filter: {why}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedSecret {
    /// `base64`, or `base64 → base64` two layers deep.
    pub how: String,
    pub secret: Vec<u8>,
    /// Matched in the text as written, only shown decoded (a URL's percent-encoded
    /// password), rather than found in decoded text.
    pub in_place: bool,
}

struct CompiledRule {
    rule: Rule,
    /// Why the regex did not compile, kept for `Matcher::problems`.
    problem: OnceLock<String>,
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
                    let _ = self
                        .problem
                        .set(format!("rule {} skipped: {e}", self.rule.id));
                    None
                }
            })
            .as_ref()
    }
}

pub struct Matcher {
    /// Keep matches that fail their validator (`--include-invalid`), at low confidence.
    pub include_invalid: bool,
    /// How many layers of base64 / hex / percent-encoding to look through (`--decode-depth`).
    pub decode_depth: usize,
    rules: Vec<CompiledRule>,
    ids: std::collections::HashMap<String, usize>,
    keywords: KeywordSearcher,
    /// For each keyword id, the rules that listed it.
    keyword_rules: Vec<Vec<usize>>,
    /// Each keyword id's text (for `explain`).
    keyword_names: Vec<String>,
    /// Rules that read whole files by path, and their globs (each glob's index maps to its
    /// rule through `path_rules`).
    path_globs: globset::GlobSet,
    path_rules: Vec<usize>,
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
        let keyword_names = patterns.iter().map(|(kw, _)| kw.to_string()).collect();
        let rules: Vec<CompiledRule> = rules
            .into_iter()
            .map(|rule| CompiledRule {
                window_before: rule.window_before.unwrap_or(WINDOW_BEFORE),
                window_after: rule.window.unwrap_or(WINDOW_AFTER),
                rule,
                problem: OnceLock::new(),
                regex: OnceLock::new(),
            })
            .collect();
        let ids = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.rule.id.clone(), i))
            .collect();
        let mut globs = globset::GlobSetBuilder::new();
        let mut path_rules = Vec::new();
        for (idx, compiled) in rules.iter().enumerate() {
            for path in &compiled.rule.paths {
                // Checked when the rule was loaded.
                if let Ok(glob) = crate::rules::path_glob(path) {
                    globs.add(glob);
                    path_rules.push(idx);
                }
            }
        }
        let path_globs = globs.build().unwrap_or_else(|_| globset::GlobSet::empty());
        Matcher {
            include_invalid: false,
            decode_depth: DEFAULT_DECODE_DEPTH,
            rules,
            ids,
            keywords,
            keyword_rules,
            keyword_names,
            path_globs,
            path_rules,
        }
    }

    pub fn rule(&self, idx: usize) -> &Rule {
        &self.rules[idx].rule
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Rules skipped because their regex did not compile (over the size limit), one line
    /// each: the caller reports them.
    pub fn problems(&self) -> Vec<String> {
        self.rules
            .iter()
            .filter_map(|r| r.problem.get().cloned())
            .collect()
    }

    pub fn rule_by_id(&self, id: &str) -> Option<&Rule> {
        self.ids.get(id).map(|&i| &self.rules[i].rule)
    }

    /// All matches in `data`, one per secret: where rules overlap, the most specific wins.
    /// Sorted by position.
    pub fn scan(&self, data: &[u8], kind: ContentKind) -> Vec<RawMatch> {
        self.scan_file(data, kind, "")
    }

    /// `scan`, plus the rules that read a file whole when its path is theirs
    /// (`config/master.key`).
    pub fn scan_file(&self, data: &[u8], kind: ContentKind, path: &str) -> Vec<RawMatch> {
        self.finish(&self.analyze(data, kind), data, path)
    }

    /// Everything the keyword rules and the decoding find in `data`, before overlaps are
    /// resolved: `finish` makes the matches of it, and `analyze_delta` reuses it for content
    /// stored as a delta against this one.
    pub fn analyze(&self, data: &[u8], kind: ContentKind) -> Analysis {
        let mut hits = Vec::new();
        self.keywords.find_all(data, &mut hits);
        hits.sort_unstable_by_key(|h| (h.start, h.end, h.keyword));
        let mut analysis = Analysis {
            kind,
            len: data.len(),
            hits,
            windows: Vec::new(),
            found: Vec::new(),
            decoded: Vec::new(),
            matched_bytes: data.len() as u64,
        };
        for (rule, start, end) in self.merged_windows(&analysis.hits, data.len(), kind, None) {
            let from = analysis.found.len();
            self.search_window(rule, data, start, end, kind, &mut analysis.found);
            analysis.windows.push(Window {
                rule,
                start,
                end,
                found: from..analysis.found.len(),
            });
        }
        if self.decodes(kind) {
            self.decoded_candidates(data, kind, self.decode_depth, &mut analysis.decoded);
            analysis.decoded.sort_by_key(|m| m.start);
        }
        analysis
    }

    fn decodes(&self, kind: ContentKind) -> bool {
        self.decode_depth > 0 && kind != ContentKind::Lockfile
    }

    /// The matches of an analysis of `data`, with the path rules for `path`: one per secret,
    /// sorted by position.
    pub fn finish(&self, analysis: &Analysis, data: &[u8], path: &str) -> Vec<RawMatch> {
        let mut candidates: Vec<RawMatch> = analysis
            .found
            .iter()
            .chain(&analysis.decoded)
            .cloned()
            .collect();
        for rule in self.path_rules_for(path, data) {
            self.search_window(rule, data, 0, data.len(), analysis.kind, &mut candidates);
        }
        // Invalid matches take part in overlap resolution, so that a span a provider format
        // rejected (a bad checksum) is not reported again by a generic rule.
        let mut kept = resolve_overlaps(&self.rules, candidates);
        if !self.include_invalid {
            kept.retain(|m| m.validation != Validation::InvalidStructure);
        }
        kept
    }

    /// Matches inside encoded runs of `data`, `depth` layers deep, placed on the encoded text.
    fn decoded_candidates(
        &self,
        data: &[u8],
        kind: ContentKind,
        depth: usize,
        out: &mut Vec<RawMatch>,
    ) {
        for run in decode::find(data) {
            // The decoded text in place of the run, inside (a bounded part of) its line.
            let from = data[..run.start]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1)
                .max(run.start.saturating_sub(DECODE_CONTEXT));
            let to = memchr::memchr(b'\n', &data[run.end..])
                .map_or(data.len(), |i| run.end + i)
                .min(run.end + DECODE_CONTEXT);
            let mut buf = Vec::with_capacity(to - from + run.text.len());
            buf.extend_from_slice(&data[from..run.start]);
            let (text_start, text_end) = (buf.len(), buf.len() + run.text.len());
            buf.extend_from_slice(&run.text);
            buf.extend_from_slice(&data[run.end..to]);
            // The file's kind still applies: decoded text in a test file is test data.
            let mut inner = self.candidates(&buf, kind, None);
            if depth > 1 {
                self.decoded_candidates(&buf, kind, depth - 1, &mut inner);
            }
            for m in inner {
                if m.end <= text_start || m.start >= text_end {
                    continue;
                }
                let (start, end) = run.source_span(
                    m.start.max(text_start) - text_start,
                    m.end.min(text_end) - text_start,
                );
                let decoded = match m.decoded {
                    Some(d) => DecodedSecret {
                        how: format!("{} → {}", run.encoding.name(), d.how),
                        secret: d.secret,
                        in_place: false,
                    },
                    None => DecodedSecret {
                        how: run.encoding.name().to_string(),
                        secret: buf[m.start..m.end].to_vec(),
                        in_place: false,
                    },
                };
                out.push(RawMatch {
                    start,
                    end,
                    decoded: Some(Box::new(decoded)),
                    ..m
                });
            }
        }
    }

    /// The path rules that read `data` whole, because `path` is theirs. Such files are a key
    /// alone, so a large one is not one of them.
    fn path_rules_for(&self, path: &str, data: &[u8]) -> Vec<usize> {
        if path.is_empty() || data.len() > PATH_RULE_MAX_SIZE || self.path_rules.is_empty() {
            return Vec::new();
        }
        let mut rules: Vec<usize> = self
            .path_globs
            .matches(path)
            .into_iter()
            .map(|i| self.path_rules[i])
            .collect();
        rules.dedup();
        rules
    }

    /// Matches of one rule only (rule example checks). A path rule reads the example whole,
    /// as if it were in one of its files.
    pub fn scan_rule(&self, rule: usize, data: &[u8]) -> Vec<RawMatch> {
        let mut found = if self.rules[rule].rule.paths.is_empty() {
            self.candidates(data, ContentKind::Source, Some(rule))
        } else {
            let mut found = Vec::new();
            self.search_window(rule, data, 0, data.len(), ContentKind::Source, &mut found);
            found
        };
        found.retain(|m| m.validation != Validation::InvalidStructure);
        found
    }

    fn candidates(&self, data: &[u8], kind: ContentKind, only: Option<usize>) -> Vec<RawMatch> {
        let mut hits = Vec::new();
        self.keywords.find_all(data, &mut hits);
        let mut out = Vec::new();
        for (rule, start, end) in self.merged_windows(&hits, data.len(), kind, only) {
            self.search_window(rule, data, start, end, kind, &mut out);
        }
        out
    }

    /// The windows the rules search around `hits` in content of `len` bytes, as (rule, start,
    /// end), sorted: overlapping windows of one rule are merged, so that each byte is searched
    /// once per rule.
    fn merged_windows(
        &self,
        hits: &[keywords::Hit],
        len: usize,
        kind: ContentKind,
        only: Option<usize>,
    ) -> Vec<(usize, usize, usize)> {
        let mut windows: Vec<(usize, usize, usize)> = Vec::new();
        for hit in hits {
            for &rule in &self.keyword_rules[hit.keyword as usize] {
                if only.is_some_and(|o| o != rule) {
                    continue;
                }
                if let Some((start, end)) = self.window(rule, hit, len, kind) {
                    windows.push((rule, start, end));
                }
            }
        }
        windows.sort_unstable();
        let mut merged: Vec<(usize, usize, usize)> = Vec::with_capacity(windows.len());
        for (rule, start, end) in windows {
            match merged.last_mut() {
                Some(last) if last.0 == rule && start <= last.2 => last.2 = last.2.max(end),
                _ => merged.push((rule, start, end)),
            }
        }
        merged
    }

    /// Where rule `rule` may match around a keyword hit, or None where it is not looked for.
    fn window(
        &self,
        rule: usize,
        hit: &keywords::Hit,
        len: usize,
        kind: ContentKind,
    ) -> Option<(usize, usize)> {
        let compiled = &self.rules[rule];
        // Lockfiles are hashes and URLs by the thousand: only provider formats there.
        if kind == ContentKind::Lockfile && compiled.rule.generic {
            return None;
        }
        let start = hit.start.saturating_sub(compiled.window_before);
        let end = (hit.end + compiled.window_after).min(len);
        Some((start, end))
    }

    fn search_window(
        &self,
        idx: usize,
        data: &[u8],
        start: usize,
        end: usize,
        kind: ContentKind,
        out: &mut Vec<RawMatch>,
    ) {
        self.regex_matches(idx, data, start, end, |match_start, s, e| {
            if let Some(found) = self.accept(idx, data, match_start, s, e, kind) {
                out.push(found);
            }
        });
    }

    /// Every match of rule `idx`'s regex that starts in `data[start..end]`, as (start of the
    /// whole match, start and end of the secret).
    fn regex_matches(
        &self,
        idx: usize,
        data: &[u8],
        start: usize,
        end: usize,
        mut found: impl FnMut(usize, usize, usize),
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
            found(m.start(), s, e);
        }
    }

    /// Entropy, placeholder, false-positive and validator checks on one regex match, whose
    /// secret is `start..end` and whose whole match begins at `match_start`.
    fn accept(
        &self,
        idx: usize,
        data: &[u8],
        match_start: usize,
        start: usize,
        end: usize,
        kind: ContentKind,
    ) -> Option<RawMatch> {
        self.judge(idx, data, match_start, start, end, kind).ok()
    }

    /// `accept`, saying why a match is dropped.
    fn judge(
        &self,
        idx: usize,
        data: &[u8],
        match_start: usize,
        mut start: usize,
        mut end: usize,
        kind: ContentKind,
    ) -> Result<RawMatch, Dropped> {
        let rule = &self.rules[idx].rule;
        let secret = &data[start..end];
        if secret.is_empty() {
            return Err(Dropped::Empty);
        }
        let entropy = entropy::shannon(secret);
        if let Some(min) = rule.min_entropy.filter(|&min| entropy < min) {
            return Err(Dropped::Entropy { entropy, min });
        }
        if placeholder::is_placeholder(secret) {
            return Err(Dropped::Placeholder);
        }
        // A code identifier (`getPassword`) is a name, not a secret, unless the provider's
        // format fixes the value's prefix: random capitals after `AKIA` are a key (3.6% of AWS
        // key ids have no digit). A generic rule's keywords name variables, not prefixes.
        // A single word after `password =`, quoted or in a config file, is a (weak) password,
        // not a name in code.
        let quoted = start > 0 && matches!(data[start - 1], b'"' | b'\'' | b'`');
        let literal = quoted || kind == ContentKind::Config;
        let chosen_word = rule.human_chosen && literal && placeholder::is_single_word(secret);
        if placeholder::is_identifier(secret)
            && !chosen_word
            && (rule.generic || !starts_with_keyword(rule, secret))
        {
            return Err(Dropped::Identifier);
        }
        let mut confidence = rule.confidence;
        if rule.generic {
            let name = &data[name_start(data, match_start)..start];
            // Passwords are chosen by people; keys are generated.
            let password = rule.human_chosen;
            let (line_start, line_end) = line_around(data, start, end);
            let (line, after) = (&data[line_start..line_end], &data[end..line_end]);
            if let Some(why) = generic::why_not_a_secret(name, secret, after, line, password) {
                return Err(Dropped::NotASecret(why));
            }
            if kind == ContentKind::Generated {
                confidence = confidence.lower();
            }
        }
        let mut validation = Validation::NotChecked;
        let mut detail = None;
        if let Some(v) = rule.validator {
            let verdict = validate::check(v, secret);
            if verdict.validation == Validation::InvalidStructure {
                confidence = Confidence::Low;
            }
            if let Some((s, e)) = verdict.span {
                (start, end) = (start + s, start + e);
            }
            validation = verdict.validation;
            detail = verdict.detail;
        }
        // A URL's userinfo is percent-encoded: the password is what it decodes to.
        let decoded = rule
            .percent_encoded
            .then(|| decode::unescape_percent(&data[start..end]))
            .flatten()
            .map(|secret| {
                Box::new(DecodedSecret {
                    how: "percent".into(),
                    secret,
                    in_place: true,
                })
            });
        Ok(RawMatch {
            rule: idx,
            start,
            end,
            entropy,
            confidence,
            validation,
            detail,
            decoded,
        })
    }
}

/// Where the variable name around a generic rule's keyword begins: its regex starts at the
/// keyword (`api_key`, `password`), and the name's first part (`stripe_live_`) is found here,
/// up to `NAME_BEFORE` bytes back. A leading `[\w.-]{0,40}` in the regex would find the same
/// start, at several times the search cost: every position could begin a name.
fn name_start(data: &[u8], keyword_start: usize) -> usize {
    let before = &data[keyword_start.saturating_sub(NAME_BEFORE)..keyword_start];
    let run = before
        .iter()
        .rev()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .count();
    keyword_start - run
}

/// Start and end of the line holding `start..end`, at most `LINE_REACH` bytes either side.
fn line_around(data: &[u8], start: usize, end: usize) -> (usize, usize) {
    let from = start.saturating_sub(LINE_REACH);
    let to = (end + LINE_REACH).min(data.len());
    let line_start = memchr::memrchr(b'\n', &data[from..start]).map_or(from, |i| from + i + 1);
    let line_end = memchr::memchr(b'\n', &data[end..to]).map_or(to, |i| end + i);
    (line_start, line_end)
}

/// Keeps one match per secret: among overlapping spans a provider rule wins over a generic one
/// (it knows what the secret is, even a low-risk test key), then the higher confidence, then a
/// match in the text as written over one in decoded text, then the earlier rule.
fn resolve_overlaps(rules: &[CompiledRule], mut candidates: Vec<RawMatch>) -> Vec<RawMatch> {
    if candidates.len() <= 1 {
        return candidates;
    }
    candidates.sort_by(|a, b| {
        let (ra, rb) = (&rules[a.rule].rule, &rules[b.rule].rule);
        ra.generic
            .cmp(&rb.generic)
            .then(rb.confidence.cmp(&ra.confidence))
            .then(found_decoded(a).cmp(&found_decoded(b)))
            .then(a.rule.cmp(&b.rule))
            .then(a.start.cmp(&b.start))
            // A total order, so that the same candidates in any order keep the same matches.
            .then(a.end.cmp(&b.end))
            .then_with(|| decoding(a).cmp(decoding(b)))
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

fn decoding(m: &RawMatch) -> &str {
    m.decoded.as_ref().map_or("", |d| d.how.as_str())
}

/// Whether a match was found in decoded text (not merely shown decoded).
fn found_decoded(m: &RawMatch) -> bool {
    m.decoded.as_ref().is_some_and(|d| !d.in_place)
}

/// Whether `secret` begins with one of the rule's keywords (keywords are lowercase).
fn starts_with_keyword(rule: &Rule, secret: &[u8]) -> bool {
    rule.keywords.iter().any(|k| {
        secret
            .get(..k.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(k.as_bytes()))
    })
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
        let hits = m.scan(b"x = TOK_ nope; y = tok_q8zr2lw0px4v;", ContentKind::Source);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].start, 23);
        assert_eq!(hits[0].end, 35);
    }

    #[test]
    fn a_path_rule_reads_its_files_whole_at_any_depth_and_no_others() {
        let text = r#"[[rules]]
id = "keyfile"
name = "k"
description = "d"
paths = ["conf/*.key"]
regex = '''\A([0-9a-f]{8})\n?\z'''
confidence = "high"
"#;
        let m = Matcher::new(parse_rules("t", text).unwrap());
        let data = b"9f3ab27c\n";
        for path in ["conf/prod.key", "app/conf/prod.key", "/abs/x/conf/a.key"] {
            let hits = m.scan_file(data, ContentKind::Source, path);
            assert_eq!(hits.len(), 1, "{path}");
            assert_eq!((hits[0].start, hits[0].end), (0, 8));
        }
        for path in [
            "conf/prod.key.bak",
            "conf/sub/prod.key",
            "other/prod.key",
            "",
        ] {
            assert!(
                m.scan_file(data, ContentKind::Source, path).is_empty(),
                "{path}"
            );
        }
        assert!(m.scan(data, ContentKind::Source).is_empty());
        // A large file at the path is not a key file, and is not read whole.
        let mut big = data.to_vec();
        big.resize(PATH_RULE_MAX_SIZE + 1, b'\n');
        assert!(m.path_rules_for("conf/prod.key", &big).is_empty());
    }

    #[test]
    fn most_specific_rule_wins_overlap() {
        let text = rule("prov", "tok_", r"(tok_[a-z0-9]{12})", "high", false)
            + &rule("gen", "token", r#"token\s*=\s*"([^"]+)""#, "low", true);
        let rules = parse_rules("t", &text).unwrap();
        let m = Matcher::new(rules);
        // Built at run time so that keyhound scanning its own source does not flag it.
        let text = format!("token = \"{}\"", ["tok", "q8zr2lw0px4v"].join("_"));
        let hits = m.scan(text.as_bytes(), ContentKind::Source);
        assert_eq!(hits.len(), 1);
        assert_eq!(m.rule(hits[0].rule).id, "prov");
        assert_eq!(m.rule(hits[0].rule).confidence, Confidence::High);
    }

    #[test]
    fn identifier_shaped_values_are_kept_only_after_a_fixed_prefix() {
        let text = rule("prefixed", "tok_", r"(tok_[A-Z]{16})", "high", false)
            + &rule(
                "keyed",
                "svc_key",
                r#"svc_key\s*=\s*"([A-Za-z]{16,})""#,
                "high",
                false,
            )
            + &rule("gen", "token", r#"token\s*=\s*"([^"]+)""#, "low", true);
        let m = Matcher::new(parse_rules("t", &text).unwrap());
        // The provider's format fixes the prefix: random capitals after it are a key.
        let hits = m.scan(b"k = tok_QLXUUSIKDPRYPYOJ", ContentKind::Source);
        assert_eq!(hits.len(), 1);
        assert_eq!(m.rule(hits[0].rule).id, "prefixed");
        // A value named by its variable, provider or generic, may be any name.
        for line in [
            &b"svc_key = \"getDiagnosticManifest\""[..],
            b"token = \"getDiagnosticManifest\"",
        ] {
            assert!(m.scan(line, ContentKind::Source).is_empty());
        }
        assert_eq!(
            m.scan(b"svc_key = \"qZrLwpXvNbTmKqWeRtYu\"", ContentKind::Source)
                .len(),
            1
        );
    }

    #[test]
    fn a_percent_encoded_url_password_is_reported_decoded_and_whole() {
        let text = rule(
            "url",
            "://",
            r"[a-z]+://[^\s:@/]{1,64}:([^\s@/]{3,128})@[A-Za-z0-9._-]{2,253}",
            "high",
            false,
        ) + "percent_encoded = true\n";
        let m = Matcher::new(parse_rules("t", &text).unwrap());
        // Assembled at run time, so that keyhound scanning its own source does not flag it.
        let line = [
            "DB=postgres://app:Zq8%40Lm2",
            "%40xR9vT@db.internal:5432/app",
        ]
        .concat();
        let line = line.as_bytes();
        let hits = m.scan(line, ContentKind::Source);
        assert_eq!(hits.len(), 1, "{hits:?}");
        let d = hits[0].decoded.as_ref().expect("shown decoded");
        assert_eq!(d.secret, b"Zq8@Lm2@xR9vT");
        assert_eq!(&line[hits[0].start..hits[0].end], b"Zq8%40Lm2%40xR9vT");
    }

    #[test]
    fn windows_merge_and_matches_are_not_duplicated() {
        let rules = parse_rules("t", &rule("t", "ab", r"ab([0-9]{6})", "high", false)).unwrap();
        let m = Matcher::new(rules);
        let hits = m.scan(b"ab390127 ab390127ab847102", ContentKind::Source);
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
        assert!(m
            .scan(format!("y{zs}key9").as_bytes(), ContentKind::Source)
            .is_empty());
        assert_eq!(
            m.scan(format!(".{zs}key9").as_bytes(), ContentKind::Source)
                .len(),
            1
        );
    }
}
