//! Why the matcher kept or dropped each candidate on a line: for `keyhound explain`, the
//! answer to "why is keyhound silent about this?".

use super::{ContentKind, Dropped, Matcher, RawMatch};

/// One rule's candidate on the lines asked about.
#[derive(Debug, Clone)]
pub struct Trace {
    pub rule: usize,
    /// The keyword whose hit ran the rule's regex, and where it is.
    pub keyword: String,
    pub keyword_at: usize,
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
pub enum Outcome {
    /// The keyword is there, but the regex matched nothing near it.
    NoMatch,
    /// The regex matched `start..end`; the matcher dropped it.
    Dropped {
        start: usize,
        end: usize,
        why: Dropped,
    },
    /// The matcher accepted it (it may still lose an overlap, or fail its validator).
    Accepted(RawMatch),
}

impl Matcher {
    /// Every rule whose keyword occurs in `data[from..to]`, and what became of its regex's
    /// matches there: the same windows and checks as `scan`, one candidate at a time.
    pub fn explain(&self, data: &[u8], kind: ContentKind, from: usize, to: usize) -> Vec<Trace> {
        let mut hits = Vec::new();
        self.keywords.find_all(data, &mut hits);
        let mut out: Vec<Trace> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for hit in hits.iter().filter(|h| h.start < to && h.end > from) {
            for &rule in &self.keyword_rules[hit.keyword as usize] {
                let Some((start, end)) = self.window(rule, hit, data.len(), kind) else {
                    continue;
                };
                let mut any = false;
                self.regex_matches(rule, data, start, end, |match_start, s, e| {
                    if e <= from || s >= to || !seen.insert((rule, s, e)) {
                        return;
                    }
                    any = true;
                    let outcome = match self.judge(rule, data, match_start, s, e, kind) {
                        Ok(m) => Outcome::Accepted(m),
                        Err(why) => Outcome::Dropped {
                            start: s,
                            end: e,
                            why,
                        },
                    };
                    out.push(Trace {
                        rule,
                        keyword: self.keyword_names[hit.keyword as usize].clone(),
                        keyword_at: hit.start,
                        outcome,
                    });
                });
                let listed = out.iter().any(|t| t.rule == rule);
                if !any && !listed && seen.insert((rule, usize::MAX, usize::MAX)) {
                    out.push(Trace {
                        rule,
                        keyword: self.keyword_names[hit.keyword as usize].clone(),
                        keyword_at: hit.start,
                        outcome: Outcome::NoMatch,
                    });
                }
            }
        }
        // A rule whose keyword hit twice may have matched near one hit and not the other.
        let matched: std::collections::HashSet<usize> = out
            .iter()
            .filter(|t| !matches!(t.outcome, Outcome::NoMatch))
            .map(|t| t.rule)
            .collect();
        out.retain(|t| !matches!(t.outcome, Outcome::NoMatch) || !matched.contains(&t.rule));
        out
    }
}
