//! Filters between findings and reporters. Today: drop exact duplicates (the same file reached
//! through two overlapping roots) and fix a total order, so every output format is
//! deterministic whatever the thread count. Allowlists and baselines belong here too.

use crate::finding::Finding;

pub fn dedup_and_sort(mut findings: Vec<Finding>) -> Vec<Finding> {
    // Two versions of a file can hold different secrets at the same place: the fingerprint
    // (rule, path, secret) and the blob keep them apart, and make the order total.
    let key = |f: &Finding| {
        (
            f.path.clone(),
            f.line,
            f.column,
            f.rule_id.clone(),
            f.fingerprint.clone(),
            f.git.as_ref().map(|g| g.blob.clone()),
        )
    };
    findings.sort_by_cached_key(key);
    findings.dedup_by(|a, b| key(a) == key(b));
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
    fn same_place_different_secret_is_kept() {
        let mut other = f("a", 9);
        other.fingerprint = "y".into();
        let out = dedup_and_sort(vec![other, f("a", 9), f("a", 9)]);
        let fps: Vec<_> = out.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(fps, vec!["x", "y"]);
    }

    #[test]
    fn sorted_and_unique() {
        let out = dedup_and_sort(vec![f("b", 1), f("a", 9), f("a", 2), f("a", 9)]);
        let keys: Vec<_> = out.iter().map(|f| (f.path.as_str(), f.line)).collect();
        assert_eq!(keys, vec![("a", 2), ("a", 9), ("b", 1)]);
    }
}
