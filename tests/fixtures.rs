//! The committed fixture tree: fake, format-valid secrets in the file types where real ones
//! leak, plus placeholders and references that must stay quiet.

mod common;

use common::*;

#[test]
fn leaky_app_fixture_is_found_exactly() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/leaky-app");
    let out = keyhound()
        .args(["scan", "-f", "json", root])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let report = json(&out);
    let got = found(&report);
    // The AWS key id and secret sit on adjacent lines: one paired finding.
    let want: Vec<(String, String)> = [
        (".env", "aws-secret-access-key"),
        (".env", "postgres-connection-string"),
        (".env", "slack-webhook-url"),
        ("app.py", "github-pat-classic"),
        ("app.py", "openai-api-key"),
        ("app.py", "stripe-secret-key"),
        ("config.yaml", "gitlab-personal-access-token"),
        ("config.yaml", "sendgrid-api-key"),
        ("config.yaml", "slack-bot-token"),
        ("id_ed25519", "private-key-openssh"),
        ("main.tf", "digitalocean-token"),
    ]
    .iter()
    .map(|(p, r)| (p.to_string(), r.to_string()))
    .collect();
    assert_eq!(got, want);
    let aws = report
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "aws-secret-access-key")
        .unwrap();
    assert_eq!(aws["paired"][0]["rule_id"], "aws-access-key-id");
    let key = report
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "private-key-openssh")
        .unwrap();
    assert_eq!(key["validation"], "valid-structure");
    assert_eq!(key["validation_detail"], "unencrypted");
}
