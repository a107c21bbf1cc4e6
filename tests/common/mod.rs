//! Helpers shared by the integration tests: the real binary, temporary trees, and generated
//! fake secrets (random each run, format-valid, never live).
#![allow(dead_code)]

use std::cell::Cell;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use assert_cmd::Command;

/// `git ARGS` in `dir`, with a fixed identity and no system or user config.
pub fn git_command(dir: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "A")
        .env("GIT_AUTHOR_EMAIL", "a@example.com")
        .env("GIT_COMMITTER_NAME", "A")
        .env("GIT_COMMITTER_EMAIL", "a@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir);
    cmd
}

/// Runs `git ARGS` in `dir`, which must succeed; returns its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir, args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn keyhound() -> Command {
    let mut cmd = Command::cargo_bin("keyhound").expect("binary built");
    cmd.env_remove("NO_COLOR");
    cmd
}

thread_local! {
    static SEED: Cell<u64> = Cell::new(
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1
    );
}

/// xorshift64*: enough randomness for fake tokens without a dependency.
fn next() -> u64 {
    SEED.with(|s| {
        let mut x = s.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

pub fn random_from(alphabet: &[u8], n: usize) -> String {
    loop {
        let s: String = (0..n)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize] as char)
            .collect();
        // Real tokens of this length always mix digits and letters; so must ours, or the
        // placeholder filter may (rightly) reject them.
        let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
        let mixed_alphabet =
            alphabet.iter().any(u8::is_ascii_digit) && alphabet.iter().any(u8::is_ascii_alphabetic);
        if n < 8 || !mixed_alphabet || (digits > 0 && digits < n) {
            return s;
        }
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A classic GitHub token with a correct checksum: base62 of the CRC32 of its random part.
pub fn github_pat() -> String {
    let random = random_from(ALNUM, 30);
    let mut n = crc32fast::hash(random.as_bytes());
    let mut sum = String::new();
    for _ in 0..6 {
        sum.insert(0, BASE62[(n % 62) as usize] as char);
        n /= 62;
    }
    format!("ghp_{random}{sum}")
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// An AWS access key id. About 1 random draw in 5,000 repeats enough characters to fall below
/// the rule's minimum entropy (3.0 bits a character), as real ids rarely do: drawn again.
pub fn aws_key_id() -> String {
    loop {
        let id = format!(
            "AKIA{}",
            random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
        );
        if keyhound::matcher::entropy::shannon(id.as_bytes()) >= 3.0 {
            return id;
        }
    }
}

pub fn stripe_key() -> String {
    format!("sk_live_{}", random_from(ALNUM, 32))
}

/// A Stripe test-mode key: a low-confidence rule.
pub fn stripe_test_key() -> String {
    format!("sk_test_{}", random_from(ALNUM, 24))
}

pub fn slack_bot_token() -> String {
    format!(
        "xoxb-{}{}-{}{}-{}",
        random_from(b"123456789", 1),
        random_from(b"0123456789", 11),
        random_from(b"123456789", 1),
        random_from(b"0123456789", 12),
        random_from(ALNUM, 24)
    )
}

/// Runs `keyhound ARGS… PATH`, expects findings (exit 1) and returns the JSON report on stdout.
pub fn findings_of(args: &[&str], path: &Path) -> serde_json::Value {
    let out = keyhound()
        .args(args)
        .arg(path)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    json(&out)
}

pub fn write(dir: &Path, rel: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

pub fn json(out: &[u8]) -> serde_json::Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

/// `(path, rule_id)` of every finding in a JSON report, sorted.
pub fn found(report: &serde_json::Value) -> Vec<(String, String)> {
    pairs(report, "path", "rule_id")
}

/// Two string fields of every finding in a JSON report, sorted.
pub fn pairs(report: &serde_json::Value, a: &str, b: &str) -> Vec<(String, String)> {
    let field = |f: &serde_json::Value, k: &str| {
        f[k].as_str()
            .unwrap_or_else(|| panic!("no string {k} in {f}"))
            .to_string()
    };
    let mut v: Vec<(String, String)> = report
        .as_array()
        .expect("JSON report is an array")
        .iter()
        .map(|f| (field(f, a), field(f, b)))
        .collect();
    v.sort();
    v
}
