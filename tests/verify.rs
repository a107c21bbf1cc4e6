//! `--verify` against a stand-in for the providers on 127.0.0.1 (`tests/verify_server.py`):
//! live and revoked GitHub tokens with their login and scopes, a Binance key pair verified
//! by a correctly signed request with its withdrawal right, the failures a client must
//! survive, and that nothing at all is sent without `--verify`. No test reaches the internet.

mod common;

use std::path::Path;
use std::process::{Child, Command as Process, Stdio};

use common::*;

struct Server {
    child: Child,
    port: String,
    log: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, state: &serde_json::Value) -> Server {
    let state_path = dir.join("state.json");
    std::fs::write(&state_path, state.to_string()).unwrap();
    let log = dir.join("requests.log");
    std::fs::write(&log, "").unwrap();
    let mut child = Process::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/verify_server.py"
        ))
        .arg(&state_path)
        .arg(&log)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut port,
    )
    .unwrap();
    Server {
        child,
        port: port.trim().to_string(),
        log,
    }
}

/// The `verification` of the first finding in `report` that `which` picks.
fn verification(
    report: &serde_json::Value,
    which: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    report
        .as_array()
        .unwrap()
        .iter()
        .find(|f| which(f))
        .unwrap_or_else(|| panic!("no such finding: {report:#}"))["verification"]
        .clone()
}

/// `keyhound scan -f json --verify TREE`'s report.
fn scan_verified(tree: &Path) -> serde_json::Value {
    let out = keyhound()
        .args(["scan", "-f", "json", "--verify"])
        .arg(tree)
        .output()
        .unwrap();
    json(&out.stdout)
}

fn uuid() -> String {
    let hex = b"0123456789abcdef";
    format!(
        "{}-{}-4{}-a{}-{}",
        random_from(hex, 8),
        random_from(hex, 4),
        random_from(hex, 3),
        random_from(hex, 3),
        random_from(hex, 12)
    )
}

/// A `.keyhound.toml` in `tree` pointing `providers` at the stand-in.
fn point_at(tree: &Path, server: &Server, providers: &[&str]) {
    let mut config = String::from("[verify.endpoints]\n");
    for p in providers {
        config.push_str(&format!("{p} = \"http://127.0.0.1:{}\"\n", server.port));
    }
    std::fs::write(tree.join(".keyhound.toml"), config).unwrap();
}

fn binance_value() -> String {
    random_from(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        64,
    )
}

#[test]
fn verify_asks_each_provider_once_and_reports_what_it_says() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let [live, revoked, rate, error, junk, redirect] = std::array::from_fn(|_| github_pat());
    let (key, secret) = (binance_value(), binance_value());
    let tree = d.join("tree");
    write(&tree, "live.env", format!("GITHUB_TOKEN={live}\n"));
    // The same secret twice: asked once.
    write(&tree, "again.env", format!("GITHUB_TOKEN={live}\n"));
    write(&tree, "revoked.env", format!("GITHUB_TOKEN={revoked}\n"));
    write(&tree, "rate.env", format!("GITHUB_TOKEN={rate}\n"));
    write(&tree, "error.env", format!("GITHUB_TOKEN={error}\n"));
    write(&tree, "junk.env", format!("GITHUB_TOKEN={junk}\n"));
    write(&tree, "redirect.env", format!("GITHUB_TOKEN={redirect}\n"));
    write(
        &tree,
        "bot.env",
        format!("BINANCE_API_KEY={key}\nBINANCE_API_SECRET={secret}\n"),
    );
    let server = serve(
        d,
        &serde_json::json!({
            "github": {"live": {live.clone(): "octocat", rate.clone(): "patient"}, "rate": rate, "error": error,
                       "junk": junk, "redirect": redirect},
            "binance": {key.clone(): {"secret": secret, "withdraw": true}},
        }),
    );
    let base = format!("http://127.0.0.1:{}", server.port);
    std::fs::write(
        tree.join(".keyhound.toml"),
        format!("[verify.endpoints]\ngithub = \"{base}\"\nbinance = \"{base}\"\n"),
    )
    .unwrap();

    // Without --verify, nothing is sent.
    let out = keyhound()
        .args(["scan", "-f", "json"])
        .arg(&tree)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(json(&out.stdout)[0]["verification"].is_null());
    assert_eq!(std::fs::read_to_string(&server.log).unwrap(), "");

    let out = keyhound()
        .args(["scan", "-f", "json", "--verify"])
        .arg(&tree)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let report = json(&out.stdout);
    let at = |path: &str| verification(&report, |f| f["path"] == path);
    let v = at("live.env");
    assert_eq!(v["status"], "live");
    assert_eq!(v["identity"], "octocat");
    assert_eq!(v["permissions"], serde_json::json!(["repo", "read:org"]));
    assert_eq!(at("again.env")["status"], "live");
    assert_eq!(at("revoked.env")["status"], "invalid");
    // 429 with Retry-After: asked again after it, then live.
    assert_eq!(at("rate.env")["identity"], "patient");
    assert_eq!(at("error.env")["status"], "error");
    assert_eq!(at("junk.env")["status"], "error");
    let r = at("redirect.env");
    assert_eq!(r["status"], "error");
    assert!(
        r["detail"].as_str().unwrap().contains("not followed"),
        "{r}"
    );
    // The stand-in's redirect quotes the token: the answer does not.
    assert!(!r.to_string().contains(&redirect), "{r}");
    assert!(r["detail"].as_str().unwrap().contains("[secret]"), "{r}");
    let b = at("bot.env");
    assert_eq!(b["status"], "live", "{b}");
    let rights = b["permissions"].as_array().unwrap();
    for right in [
        "can-trade",
        "can-withdraw",
        "permission:SPOT",
        "no-ip-restriction",
    ] {
        assert!(rights.contains(&serde_json::json!(right)), "{right}: {b}");
    }
    assert_eq!(b["identity"], "uid 354937868");
    // Live first.
    let first = &report.as_array().unwrap()[0];
    assert_eq!(first["verification"]["status"], "live");
    assert!(
        stderr.contains("live,") && stderr.contains("invalid"),
        "{stderr}"
    );
    // Each secret once (the 429 twice), and the redirect not followed.
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert_eq!(log.matches(&live).count(), 1, "{log}");
    assert_eq!(log.matches(&rate).count(), 2, "{log}");
    // 502 is retried once.
    assert_eq!(log.matches(&error).count(), 2, "{log}");
    assert!(!log.contains("evil.example/steal\""));

    // --verify-only: only what is live.
    let out = keyhound()
        .args(["scan", "-f", "json", "--verify", "--verify-only"])
        .arg(&tree)
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let paths: Vec<_> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let mut paths = paths;
    paths.sort();
    assert_eq!(paths, ["again.env", "bot.env", "live.env", "rate.env"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not confirmed live"));

    // Human output says it, SARIF carries it.
    let out = keyhound()
        .args(["scan", "--verify", "--color", "never"])
        .arg(tree.join("bot.env"))
        .output()
        .unwrap();
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains("verified: live (uid 354937868; can-trade, can-withdraw"),
        "{human}"
    );
}

#[test]
fn a_bad_signature_is_invalid_and_plain_http_elsewhere_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (key, secret) = (binance_value(), binance_value());
    let tree = d.join("tree");
    write(
        &tree,
        "bot.env",
        format!("BINANCE_API_KEY={key}\nBINANCE_API_SECRET={secret}\n"),
    );
    // The server knows the key with another secret: the signature cannot match.
    let server = serve(
        d,
        &serde_json::json!({"github": {"live": {}}, "binance": {key.clone(): {"secret": binance_value(), "withdraw": false}}}),
    );
    std::fs::write(
        tree.join(".keyhound.toml"),
        format!(
            "[verify.endpoints]\nbinance = \"http://127.0.0.1:{}\"\n",
            server.port
        ),
    )
    .unwrap();
    let report = scan_verified(&tree);
    assert_eq!(report[0]["verification"]["status"], "invalid", "{report:#}");
    // Plain http to anything but loopback would send the secret in clear: refused.
    std::fs::write(
        tree.join(".keyhound.toml"),
        "[verify.endpoints]\nbinance = \"http://api.binance.com\"\n",
    )
    .unwrap();
    let out = keyhound()
        .args(["scan", "--verify"])
        .arg(&tree)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("verify.endpoints.binance") && err.contains("loopback"),
        "{err}"
    );
}

#[test]
fn aws_keys_are_signed_with_sigv4_and_other_providers_answer_too() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let url62 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let (id, secret) = (aws_key_id(), random_from(b64, 40));
    let (other_id, other_secret) = (aws_key_id(), random_from(b64, 40));
    let sendgrid = format!("SG.{}.{}", random_from(url62, 22), random_from(url62, 43));
    // A bot token starts with its user id (a snowflake's digits) in base64.
    let snowflake = format!("8{}", random_from(b"0123456789", 17));
    let discord = format!(
        "{}.{}.{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD_NO_PAD, snowflake),
        random_from(url62, 6),
        random_from(url62, 30)
    );
    let hex = b"0123456789abcdef";
    let cmc = uuid();
    let mailgun = format!("key-{}", random_from(hex, 32));
    let tree = d.join("tree");
    write(
        &tree,
        "aws.env",
        format!("AWS_ACCESS_KEY_ID={id}\nAWS_SECRET_ACCESS_KEY={secret}\n"),
    );
    write(
        &tree,
        "wrong.env",
        format!("AWS_ACCESS_KEY_ID={other_id}\nAWS_SECRET_ACCESS_KEY={other_secret}\n"),
    );
    write(
        &tree,
        "mail.env",
        format!("SENDGRID_API_KEY={sendgrid}\nMAILGUN_KEY={mailgun}\n"),
    );
    write(
        &tree,
        "bot.env",
        format!("DISCORD_TOKEN={discord}\nCMC_API_KEY={cmc}\n"),
    );
    let server = serve(
        d,
        &serde_json::json!({
            "github": {"live": {}}, "binance": {},
            // The other key id is known with another secret: its signature cannot match.
            "aws": {id.clone(): secret, other_id.clone(): random_from(b64, 40)},
            "bearer": {sendgrid.clone(): "sg", discord.clone(): "hound-bot", cmc.clone(): "cmc",
                       mailgun.clone(): "mg.example.com"},
        }),
    );
    point_at(
        &tree,
        &server,
        &["aws", "sendgrid", "mailgun", "discord", "coinmarketcap"],
    );
    let report = scan_verified(&tree);
    let by_rule = |rule: &str, path: &str| {
        verification(&report, |f| f["rule_id"] == rule && f["path"] == path)
    };
    let v = by_rule("aws-secret-access-key", "aws.env");
    assert_eq!(v["status"], "live", "{v}");
    assert!(v["identity"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:iam::123456789012:user/"));
    let v = by_rule("aws-secret-access-key", "wrong.env");
    assert_eq!(
        (v["status"].as_str(), v["detail"].as_str()),
        (Some("invalid"), Some("SignatureDoesNotMatch"))
    );
    let v = by_rule("sendgrid-api-key", "mail.env");
    assert_eq!(
        v["permissions"],
        serde_json::json!(["mail.send", "alerts.read"]),
        "{v}"
    );
    assert_eq!(
        by_rule("mailgun-api-key", "mail.env")["identity"],
        "mg.example.com"
    );
    assert_eq!(
        by_rule("discord-bot-token", "bot.env")["identity"],
        "hound-bot"
    );
    let v = by_rule("coinmarketcap-api-key", "bot.env");
    assert_eq!(
        v["permissions"],
        serde_json::json!(["9321 credits left this month"]),
        "{v}"
    );
}

#[test]
fn exchange_keys_are_signed_as_each_exchange_asks_and_their_rights_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let hex = b"0123456789abcdef";
    let upper_hex = b"0123456789ABCDEF";
    let b64 = |n: usize| {
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            random_from(alnum, n).as_bytes(),
        )
    };
    let (bybit_key, bybit_secret) = (random_from(alnum, 18), random_from(alnum, 36));
    let (okx_key, okx_secret, okx_pass) = (
        uuid(),
        random_from(upper_hex, 32),
        "Zq8w!Tr4d3rX".to_string(),
    );
    let (kc_key, kc_secret, kc_pass) = (random_from(hex, 24), uuid(), "Tr4d3t312Wd!".to_string());
    let (kr_key, kr_secret) = (
        format!("{}/{}", random_from(alnum, 20), random_from(alnum, 35)),
        b64(64),
    );
    let tree = d.join("tree");
    write(
        &tree,
        "bybit.env",
        format!("BYBIT_API_KEY={bybit_key}\nBYBIT_API_SECRET={bybit_secret}\n"),
    );
    write(
        &tree,
        "okx.env",
        format!("OKX_API_KEY={okx_key}\nOKX_SECRET_KEY={okx_secret}\nOKX_PASSPHRASE={okx_pass}\n"),
    );
    write(
        &tree,
        "kucoin.env",
        format!("KUCOIN_API_KEY={kc_key}\nKUCOIN_API_SECRET={kc_secret}\nKUCOIN_API_PASSPHRASE={kc_pass}\n"),
    );
    write(
        &tree,
        "kraken.env",
        format!("KRAKEN_API_KEY={kr_key}\nKRAKEN_PRIVATE_KEY={kr_secret}\n"),
    );
    let server = serve(
        d,
        &serde_json::json!({
            "github": {"live": {}}, "binance": {},
            "exchanges": {
                bybit_key.clone(): {"secret": bybit_secret},
                okx_key.clone(): {"secret": okx_secret, "pass": okx_pass},
                kc_key.clone(): {"secret": kc_secret, "pass": kc_pass},
                kr_key.clone(): {"secret": kr_secret},
            },
        }),
    );
    point_at(&tree, &server, &["bybit", "okx", "kucoin", "kraken"]);
    let report = scan_verified(&tree);
    let verdict = |path: &str| {
        verification(&report, |f| {
            f["path"] == path
                && !f["verification"].is_null()
                && f["verification"]["status"] != "skipped"
        })
    };
    let v = verdict("bybit.env");
    assert_eq!(v["status"], "live", "{v}");
    assert_eq!(
        v["permissions"],
        serde_json::json!(["can-trade", "can-withdraw", "ip-restricted"])
    );
    let v = verdict("okx.env");
    assert_eq!(v["status"], "live", "{v}");
    assert_eq!(
        v["permissions"],
        serde_json::json!(["can-trade", "no-ip-restriction"])
    );
    let v = verdict("kucoin.env");
    assert_eq!(v["status"], "live", "{v}");
    assert_eq!(
        v["permissions"],
        serde_json::json!(["can-trade", "can-withdraw", "no-ip-restriction"])
    );
    assert_eq!(verdict("kraken.env")["status"], "live");
}

#[test]
fn twilio_pairs_and_a_provider_that_does_not_answer_in_time() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hex = b"0123456789abcdef";
    let (sid, token) = (format!("AC{}", random_from(hex, 32)), random_from(hex, 32));
    let slow = github_pat();
    let tree = d.join("tree");
    write(
        &tree,
        "twilio.env",
        format!("TWILIO_ACCOUNT_SID={sid}\nTWILIO_AUTH_TOKEN={token}\n"),
    );
    write(&tree, "slow.env", format!("GITHUB_TOKEN={slow}\n"));
    let server = serve(
        d,
        &serde_json::json!({"github": {"live": {}, "slow": slow}, "binance": {},
                            "twilio": {sid.clone(): token}}),
    );
    point_at(&tree, &server, &["twilio", "github"]);
    // One second a call: the stand-in takes three to answer the slow token.
    let mut config = std::fs::read_to_string(tree.join(".keyhound.toml")).unwrap();
    config.insert_str(0, "[verify]\ntimeout = 1\n\n");
    std::fs::write(tree.join(".keyhound.toml"), config).unwrap();
    let report = scan_verified(&tree);
    let at = |rule: &str| verification(&report, |f| f["rule_id"] == rule);
    let v = at("twilio-auth-token");
    assert_eq!(
        (v["status"].as_str(), v["identity"].as_str()),
        (Some("live"), Some("Acme prod")),
        "{v}"
    );
    let v = at("github-pat-classic");
    assert_eq!(v["status"], "error", "{v}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("time"),
        "{v}"
    );
}

#[test]
fn coinbase_keys_sign_an_es256_jwt_for_the_one_request() {
    use p256::ecdsa::signature::Verifier as _;
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let seed = sha2::Sha256::digest(github_pat().as_bytes());
    let key = p256::SecretKey::from_slice(&seed).unwrap();
    let pem = key.to_sec1_pem(p256::pkcs8::LineEnding::LF).unwrap();
    let name = format!("organizations/{}/apiKeys/{}", uuid(), uuid());
    let tree = d.join("tree");
    // As Coinbase's download holds it: JSON, newlines escaped.
    write(
        &tree,
        "cdp_api_key.json",
        serde_json::json!({"name": name, "privateKey": pem.as_str()}).to_string(),
    );
    let server = serve(
        d,
        &serde_json::json!({"github": {"live": {}}, "binance": {}}),
    );
    point_at(&tree, &server, &["coinbase"]);
    let report = scan_verified(&tree);
    let v = verification(&report, |f| f["rule_id"] == "coinbase-cdp-ec-private-key");
    assert_eq!(v["status"], "live", "{v}");
    assert_eq!(
        v["permissions"],
        serde_json::json!(["can-view", "can-trade", "can-withdraw"])
    );
    // The JWT the stand-in got: signed by this key, for this request only.
    let log = std::fs::read_to_string(&server.log).unwrap();
    let entry: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    let jwt = entry["headers"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, v)| v.as_str())
        .unwrap()
        .trim_start_matches("Bearer ")
        .to_string();
    let (message, signature) = jwt.rsplit_once('.').unwrap();
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let signature = base64::Engine::decode(&b64, signature).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&signature).unwrap();
    let public = p256::ecdsa::VerifyingKey::from(p256::ecdsa::SigningKey::from(key));
    assert!(public.verify(message.as_bytes(), &signature).is_ok());
    let claims = message.split('.').nth(1).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&base64::Engine::decode(&b64, claims).unwrap()).unwrap();
    assert_eq!(claims["sub"], name.as_str());
    assert_eq!(claims["iss"], "cdp");
    assert_eq!(
        claims["uri"],
        format!(
            "GET 127.0.0.1:{}/api/v3/brokerage/key_permissions",
            server.port
        )
    );
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["nbf"].as_u64().unwrap(),
        120
    );
}

#[test]
fn a_key_that_failed_its_structure_check_is_never_sent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A classic token whose checksum is wrong: its last six characters changed.
    let good = github_pat();
    let bad = format!(
        "{}{}",
        &good[..good.len() - 6],
        if good.ends_with("zzzzzz") {
            "yyyyyy"
        } else {
            "zzzzzz"
        }
    );
    let tree = d.join("tree");
    write(&tree, "bad.env", format!("GITHUB_TOKEN={bad}\n"));
    let server = serve(
        d,
        &serde_json::json!({"github": {"live": {bad.clone(): "nobody"}}, "binance": {}}),
    );
    point_at(&tree, &server, &["github"]);
    let out = keyhound()
        .args(["scan", "-f", "json", "--verify", "--include-invalid"])
        .arg(&tree)
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let v = &report[0]["verification"];
    assert_eq!(report[0]["validation"], "invalid-structure", "{report:#}");
    assert_eq!(v["status"], "skipped", "{v}");
    assert_eq!(
        std::fs::read_to_string(&server.log).unwrap(),
        "",
        "it was sent"
    );
}
