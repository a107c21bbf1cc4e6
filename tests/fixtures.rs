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
    let got = found(&json(&out));
    let want: Vec<(String, String)> = [
        (".env", "aws-access-key-id"),
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
}
