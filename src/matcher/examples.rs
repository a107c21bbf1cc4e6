//! Rule examples as tests: every example of a rule must produce a finding of that rule, and
//! no negative example may. `keyhound rules check` and the test suite run them.

use super::Matcher;
use crate::rules::{self, Rule};

/// A failed example check: which rule, which example, what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule_id: String,
    pub example: String,
    pub problem: String,
}

/// Runs every rule's examples through a matcher made of exactly these rules: each example must
/// produce a finding of that rule, each negative example must not.
pub fn check(rules: &[Rule]) -> Vec<ExampleFailure> {
    let matcher = Matcher::new(rules.to_vec());
    let mut failures = Vec::new();
    for (idx, rule) in rules.iter().enumerate() {
        if let Err(e) = rules::compile_regex(&rule.regex) {
            failures.push(ExampleFailure {
                rule_id: rule.id.clone(),
                example: String::new(),
                problem: format!(
                    "regex does not compile: {}",
                    rules::one_line(&e.to_string())
                ),
            });
            continue;
        }
        if rule.examples.is_empty() {
            failures.push(ExampleFailure {
                rule_id: rule.id.clone(),
                example: String::new(),
                problem: "has no examples".into(),
            });
        }
        for ex in &rule.examples {
            let hits = matcher.scan_rule(idx, ex.as_bytes());
            if hits.is_empty() {
                failures.push(ExampleFailure {
                    rule_id: rule.id.clone(),
                    example: ex.clone(),
                    problem: "example does not match".into(),
                });
            }
        }
        for ex in &rule.negative_examples {
            if !matcher.scan_rule(idx, ex.as_bytes()).is_empty() {
                failures.push(ExampleFailure {
                    rule_id: rule.id.clone(),
                    example: ex.clone(),
                    problem: "negative example matches".into(),
                });
            }
        }
    }
    failures
}

#[cfg(test)]
mod embedded_tests {
    use super::*;
    use crate::rules::{embedded, embedded_full};

    #[test]
    fn every_embedded_rule_passes_its_examples() {
        let rules = embedded_full();
        assert!(rules.len() >= 40, "only {} rules", rules.len());
        let failures = check(&rules);
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn embedded_rule_ids_are_unique_and_documented() {
        let rules = embedded_full();
        // The compact form the scanner loads is the same rules in the same order.
        let compact: Vec<String> = embedded().into_iter().map(|r| r.id).collect();
        let full: Vec<String> = rules.iter().map(|r| r.id.clone()).collect();
        assert_eq!(compact, full);
        let mut ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "duplicate rule ids");
        assert!(rules.len() >= 150, "only {} rules", rules.len());
        for r in &rules {
            assert!(!r.references.is_empty(), "{} has no references", r.id);
            assert!(r.examples.len() >= 2, "{} needs two examples", r.id);
            assert!(
                r.negative_examples.len() >= 2,
                "{} needs two negative examples",
                r.id
            );
            assert!(r.remediation.is_some(), "{} has no remediation", r.id);
            for other in &r.pairs_with {
                assert!(
                    ids.binary_search(&other.as_str()).is_ok(),
                    "{} pairs with unknown rule {other}",
                    r.id
                );
            }
        }
    }
}
