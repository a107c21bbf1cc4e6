//! `keyhound rules list`, `keyhound rules check FILE` and `keyhound rules score DIR`.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn rules_list_prints_every_rule() {
    let out = keyhound()
        .args(["rules", "list"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for id in [
        "aws-access-key-id",
        "github-pat-classic",
        "private-key-openssh",
        "generic-api-key",
    ] {
        assert!(text.contains(id), "{id} missing");
    }
    let json_out = keyhound()
        .args(["rules", "list", "-f", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let rules = json(&json_out);
    let n = rules.as_array().unwrap().len();
    assert!(n >= 40, "{n} rules");
    assert!(text.contains(&format!("{n} rules")));
    for r in rules.as_array().unwrap() {
        assert!(r["regex"].is_string() && r["keywords"].is_array() && r["examples"].is_array());
    }
}

#[test]
fn rules_check_reports_each_failing_example_with_its_rule() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "mine.toml",
        r#"
[[rules]]
id = "acme-token"
name = "ACME token"
description = "Token for the ACME API."
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{20})\b'''
confidence = "high"
examples = ["ACME=acme_q8zr2lw0px4vn7bt1mk9", "ACME=acme_short"]
negative_examples = ["ACME=acme_q8zr2lw0px4vn7bt1mk0"]
"#,
    );
    keyhound()
        .args(["rules", "check"])
        .arg(dir.path().join("mine.toml"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "acme-token: example does not match: \"ACME=acme_short\"",
        ))
        .stdout(predicate::str::contains(
            "acme-token: negative example matches: \"ACME=acme_q8zr2lw0px4vn7bt1mk0\"",
        ))
        .stdout(predicate::str::contains("1 rules, 2 failing examples"));

    write(
        dir.path(),
        "good.toml",
        r#"
[[rules]]
id = "acme-token"
name = "ACME token"
description = "Token for the ACME API."
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{20})\b'''
confidence = "high"
examples = ["ACME=acme_q8zr2lw0px4vn7bt1mk9"]
negative_examples = ["ACME=acme_tooshort"]
"#,
    );
    keyhound()
        .args(["rules", "check"])
        .arg(dir.path().join("good.toml"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 rules, 0 failing examples"));
}

#[test]
fn rules_check_rejects_a_broken_file_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.toml",
        "[[rules]]\nid = \"x\"\nregex = \"(\"\n",
    );
    keyhound()
        .args(["rules", "check"])
        .arg(dir.path().join("bad.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bad.toml"));
    write(
        dir.path(),
        "badre.toml",
        "[[rules]]\nid = \"bad-re\"\nname = \"n\"\ndescription = \"d\"\nkeywords = [\"ab\"]\nregex = \"a(b\"\nconfidence = \"low\"\n",
    );
    keyhound()
        .args(["rules", "check"])
        .arg(dir.path().join("badre.toml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rule 'bad-re': invalid regex"));
}

#[test]
fn the_accuracy_corpus_meets_its_targets() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/accuracy");
    let out = keyhound().args(["rules", "score", dir]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // "... recall 99.90% (2 missed; ...), false-positive rate 0.00% (...)"
    let number_after = |key: &str| -> f64 {
        let at = text
            .find(key)
            .unwrap_or_else(|| panic!("no {key} in {text}"))
            + key.len();
        text[at..]
            .split('%')
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    assert!(number_after("recall ") >= 98.0, "{text}");
    assert!(number_after("false-positive rate ") <= 1.0, "{text}");
    // Every built-in rule has labelled secrets in the corpus.
    let rules = keyhound().args(["rules", "list"]).output().unwrap();
    let count = String::from_utf8_lossy(&rules.stdout).lines().count() - 1;
    assert!(text.contains(&format!("{count} rules, ")), "{text}");
}

/// The held-out half: fresh values of every rule's shapes, in file kinds the examples do not
/// use (fixtures/accuracy/heldout.py). A rule that only fits its own examples shows here.
#[test]
fn the_held_out_corpus_meets_its_targets() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/accuracy-heldout");
    let out = keyhound()
        .args(["rules", "score", dir, "--min-recall", "0.94"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("false-positive rate 0.00%"), "{text}");
}

#[test]
fn scoring_counts_misses_and_false_positives() {
    let dir = tempfile::tempdir().unwrap();
    let pat = github_pat();
    write(
        dir.path(),
        "pos/a.env",
        format!("GITHUB_TOKEN={pat}\nB=1\n"),
    );
    write(
        dir.path(),
        "neg/b.env",
        format!("AWS_ACCESS_KEY_ID={}\n", aws_key_id()),
    );
    write(
        dir.path(),
        "labels.tsv",
        "pos/a.env\t1\t1\tgithub-pat-classic\npos/a.env\t2\t2\tslack-bot-token\n",
    );
    let out = keyhound()
        .args(["rules", "score", "-v"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("missed: pos/a.env:2 slack-bot-token"),
        "{text}"
    );
    assert!(
        text.contains("false positive: neg/b.env:1 aws-access-key-id"),
        "{text}"
    );
    assert!(text.contains("recall 50.00%"), "{text}");
    assert!(text.contains("false-positive rate 50.00%"), "{text}");
}
