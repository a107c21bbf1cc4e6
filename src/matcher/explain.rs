//! Why the matcher kept or dropped each candidate on a line: for `keyhound explain`, the
//! answer to "why is keyhound silent about this?".

use super::{ContentKind, Dropped, Matcher, RawMatch};

/// One rule's candidate on the lines asked about.
#[derive(Debug, Clone)]
pub struct Trace {
    pub rule: usize,
    /// What ran the rule's regex (`keyword "api_key"`, or `path "config/master.key"` for a
    /// rule that reads its files whole), and where that keyword is.
    pub woken_by: String,
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
    /// Every rule whose keyword occurs in `data[from..to]` (or that reads the file at `path`
    /// whole), and what became of its regex's matches there: the same windows and checks as
    /// `scan_file`, one candidate at a time.
    pub fn explain(
        &self,
        data: &[u8],
        kind: ContentKind,
        path: &str,
        from: usize,
        to: usize,
    ) -> Vec<Trace> {
        let mut hits = Vec::new();
        self.keywords.find_all(data, &mut hits);
        // (rule, window, what woke it, where)
        let mut runs: Vec<(usize, usize, usize, String, usize)> = Vec::new();
        for hit in hits.iter().filter(|h| h.start < to && h.end > from) {
            for &rule in &self.keyword_rules[hit.keyword as usize] {
                if let Some((start, end)) = self.window(rule, hit, data.len(), kind) {
                    let kw = &self.keyword_names[hit.keyword as usize];
                    runs.push((rule, start, end, format!("keyword \"{kw}\""), hit.start));
                }
            }
        }
        for rule in self.path_rules_for(path, data) {
            runs.push((rule, 0, data.len(), format!("path \"{path}\""), 0));
        }
        let mut out: Vec<Trace> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (rule, start, end, woken_by, keyword_at) in runs {
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
                    woken_by: woken_by.clone(),
                    keyword_at,
                    outcome,
                });
            });
            let listed = out.iter().any(|t| t.rule == rule);
            if !any && !listed && seen.insert((rule, usize::MAX, usize::MAX)) {
                out.push(Trace {
                    rule,
                    woken_by,
                    keyword_at,
                    outcome: Outcome::NoMatch,
                });
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
