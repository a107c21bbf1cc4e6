//! Filters between findings and reporters. Today: drop exact duplicates (the same file reached
//! through two overlapping roots) and fix a stable order, so every output format is
//! deterministic whatever the thread count. Allowlists and baselines belong here too.

use crate::finding::Finding;

pub fn dedup_and_sort(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by(|a, b| {
        (a.path.as_str(), a.line, a.column, a.rule_id.as_str()).cmp(&(
            b.path.as_str(),
            b.line,
            b.column,
            b.rule_id.as_str(),
        ))
    });
    findings.dedup_by(|a, b| {
        a.path == b.path && a.line == b.line && a.column == b.column && a.rule_id == b.rule_id
    });
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Confidence;

    fn f(path: &str, line: usize) -> Finding {
        Finding {
            rule_id: "r".into(),
            rule_name: "R".into(),
            path: path.into(),
            line,
            column: 1,
            end_line: line,
            end_column: 5,
            secret: "s".into(),
            line_content: "s".into(),
            entropy: 0.0,
            confidence: Confidence::High,
            fingerprint: "x".into(),
            git: None,
        }
    }

    #[test]
    fn sorted_and_unique() {
        let out = dedup_and_sort(vec![f("b", 1), f("a", 9), f("a", 2), f("a", 9)]);
        let keys: Vec<_> = out.iter().map(|f| (f.path.as_str(), f.line)).collect();
        assert_eq!(keys, vec![("a", 2), ("a", 9), ("b", 1)]);
    }
}
