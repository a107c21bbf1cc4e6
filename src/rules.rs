//! Rules are data: TOML files in `rules/`, embedded at build time. This module loads and checks
//! them; compiling their regexes is the matcher's job (lazily, on first use).

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

// `EMBEDDED`: (file name, text) of every rule file, in the order `build.rs` lists them.
include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// The same rules as compact JSON, without their examples (written by `build.rs`).
const EMBEDDED_COMPACT: &str = include_str!(concat!(env!("OUT_DIR"), "/rules.json"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    /// One level down (low stays low): for generic matches in generated files.
    pub fn lower(self) -> Confidence {
        match self {
            Confidence::High => Confidence::Medium,
            _ => Confidence::Low,
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        })
    }
}

/// The offline structure checks a rule can name in `validator = "…"` (implemented in
/// `matcher::validate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Validator {
    #[serde(rename = "jwt")]
    Jwt,
    #[serde(rename = "base62-crc32")]
    Base62Crc32,
    #[serde(rename = "aws-key-id")]
    AwsKeyId,
    #[serde(rename = "pem-private-key")]
    PemPrivateKey,
    #[serde(rename = "openssh-private-key")]
    OpensshPrivateKey,
    #[serde(rename = "pgp-private-key")]
    PgpPrivateKey,
    #[serde(rename = "slack-token")]
    SlackToken,
    #[serde(rename = "basic-auth")]
    BasicAuth,
    #[serde(rename = "base64-64-bytes")]
    Base64Of64Bytes,
    #[serde(rename = "discord-bot-token")]
    DiscordBotToken,
    #[serde(rename = "pypi-macaroon")]
    PypiMacaroon,
    #[serde(rename = "bip39-mnemonic")]
    Bip39Mnemonic,
    #[serde(rename = "base58check-extended-key")]
    Base58CheckExtendedKey,
    #[serde(rename = "base58check-wif")]
    Base58CheckWif,
    #[serde(rename = "secp256k1-private-key")]
    Secp256k1PrivateKey,
    #[serde(rename = "solana-keypair")]
    SolanaKeypair,
}

impl Validator {
    /// Every validator, for tests and fuzzing.
    pub const ALL: [Validator; 16] = [
        Validator::Jwt,
        Validator::Base62Crc32,
        Validator::AwsKeyId,
        Validator::PemPrivateKey,
        Validator::OpensshPrivateKey,
        Validator::PgpPrivateKey,
        Validator::SlackToken,
        Validator::BasicAuth,
        Validator::Base64Of64Bytes,
        Validator::DiscordBotToken,
        Validator::PypiMacaroon,
        Validator::Bip39Mnemonic,
        Validator::Base58CheckExtendedKey,
        Validator::Base58CheckWif,
        Validator::Secp256k1PrivateKey,
        Validator::SolanaKeypair,
    ];
}

/// One detection rule, exactly as written in a rules file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Lowercase literals; one of them must occur near a match. They drive the prefilter.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Globs of the files this rule reads whole, matched at any depth (`config/master.key`
    /// matches `app/config/master.key`), for a file that is nothing but a key and so has no
    /// keyword. A rule has keywords or paths, not both.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Capture group 1 (if present) is the secret; otherwise the whole match.
    pub regex: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_entropy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator: Option<Validator>,
    pub confidence: Confidence,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
    #[serde(default)]
    pub negative_examples: Vec<String>,
    /// How far (bytes) after a keyword hit a match may end. Most tokens are short; PEM blocks
    /// are not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<usize>,
    /// How far (bytes) before a keyword hit a match may start, for rules whose keyword sits
    /// deep inside the secret (OpenAI's `T3BlbkFJ`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_before: Option<usize>,
    /// Generic rules (a secret-named assignment, a password in a URL) get placeholder filtering
    /// and lose ties against provider rules.
    #[serde(default)]
    pub generic: bool,
    /// The secret is percent-encoded where it stands (a URL's userinfo): it is reported as it
    /// decodes (`p%40ss` is the password `p@ss`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub percent_encoded: bool,
    /// The secret is chosen by a person (a password), not generated: generic filtering judges
    /// it as a password, not by how random it looks.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub human_chosen: bool,
    /// What to do about a leak: where to revoke and rotate. Shown in every output format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// Rules that find the other halves of the same credential (a key id for this secret, a
    /// passphrase). Found near each other, they are reported as one high-confidence finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs_with: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rules: Vec<Rule>,
}

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: rule '{id}': {message}")]
    Invalid {
        file: String,
        id: String,
        message: String,
    },
}

/// Parses one rules file and checks each rule's shape (not its examples: see `matcher::examples`).
pub fn parse_rules(file: &str, text: &str) -> Result<Vec<Rule>, RuleError> {
    let parsed: RuleFile = toml::from_str(text).map_err(|e| RuleError::Parse {
        file: file.to_string(),
        message: one_line(&e.to_string()),
    })?;
    for rule in &parsed.rules {
        validate(rule).map_err(|e| RuleError::Invalid {
            file: file.to_string(),
            id: rule.id.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(parsed.rules)
}

pub fn load_file(path: &Path) -> Result<Vec<Rule>, RuleError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| RuleError::Parse {
        file: name.clone(),
        message: e.to_string(),
    })?;
    parse_rules(&name, &text)
}

/// All rules shipped in the binary, ready to scan with: loaded from the compact form, without
/// their examples. The tests check the full files (`embedded_full`), so they are not checked
/// again at every start.
pub fn embedded() -> Vec<Rule> {
    match serde_json::from_str(EMBEDDED_COMPACT) {
        Ok(rules) => rules,
        Err(e) => panic!("embedded rules are invalid: {e}"),
    }
}

/// All rules shipped in the binary, with their examples: parsed and checked from the TOML.
pub fn embedded_full() -> Vec<Rule> {
    let mut all = Vec::new();
    for (file, text) in EMBEDDED {
        // The embedded files are checked by tests; a failure here is a build defect.
        match parse_rules(file, text) {
            Ok(rules) => all.extend(rules),
            Err(e) => panic!("embedded rules are invalid: {e}"),
        }
    }
    all
}

/// A path rule's glob as the matcher applies it: at any depth (`config/master.key` matches
/// `app/config/master.key`), `*` inside one path component.
pub fn path_glob(path: &str) -> Result<globset::Glob, globset::Error> {
    globset::GlobBuilder::new(&format!("**/{path}"))
        .literal_separator(true)
        .build()
}

/// What is wrong with a rule's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ShapeError(String);

/// Checks one rule's shape: id, keywords, regex syntax (serde already checked the validator).
pub fn validate(rule: &Rule) -> Result<(), ShapeError> {
    check_shape(rule).map_err(ShapeError)
}

fn check_shape(rule: &Rule) -> Result<(), String> {
    let id_ok = !rule.id.is_empty()
        && rule
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !rule.id.starts_with('-')
        && !rule.id.ends_with('-');
    if !id_ok {
        return Err("id must be kebab-case (a-z, 0-9, '-')".into());
    }
    match (rule.keywords.is_empty(), rule.paths.is_empty()) {
        (true, true) => {
            return Err("needs at least one keyword (keywords drive the prefilter)".into())
        }
        (false, false) => {
            return Err("has keywords and paths: a path rule reads its files whole".into())
        }
        _ => {}
    }
    for glob in &rule.paths {
        path_glob(glob).map_err(|e| format!("path '{glob}': {e}"))?;
    }
    for kw in &rule.keywords {
        if kw.len() < 2 {
            return Err(format!("keyword '{kw}' is shorter than 2 bytes"));
        }
        if !kw.is_ascii() || kw.to_ascii_lowercase() != *kw {
            return Err(format!("keyword '{kw}' must be lowercase ASCII"));
        }
    }
    // Parsing checks the syntax at a fraction of the cost of compiling; the matcher compiles
    // each regex on first use, and `matcher::examples` compiles them all.
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(&expand(&rule.regex))
        .map_err(|e| format!("invalid regex: {}", one_line(&e.to_string())))?;
    if hir.properties().explicit_captures_len() > 1 {
        return Err("regex must have at most one capture group (the secret)".into());
    }
    Ok(())
}

/// What `{assign}` in a rule regex stands for: everything between a secret's name and its
/// value, in the syntaxes code and config files use. After a name (its closing quote, if
/// quoted, and a string type: Go's `string`, TypeScript's, Kotlin's and Swift's `: string`,
/// Rust's `: &str`, Python's `: str`): an operator (`=`, `:`, `:=`, `::=`, `:::=`, `?=`,
/// `+=`, `.=`, `=>`, `<-`), the next argument of a call (`setProperty("KEY", "value")`,
/// `ENV.fetch("KEY", "…")`), an XML element's text (`<Pass>…</Pass>`) or the `value`
/// attribute beside a `key` one (`<add key="ApiSecret" value="…"/>`); then the value's
/// opening quote, if any (Python's `r"`, `b"`, `f"` too). Spaces and tabs only: a name with
/// nothing after it on its line never takes the next line as its value.
pub const ASSIGN: &str = r#"(?:["'`]?(?:[ \t]*:[ \t]*|[ \t]+)(?-i:&(?:'static[ \t]+)?str|str|[Ss]tring|Option<String>|Optional\[str\])[ \t]*=[ \t]*|["'`]?[ \t]*(?::::=|::=|:=|\?=|\+=|\.=|=>|<-|=|:)[ \t]*|["'`][ \t]*,[ \t]*|["'][ \t]+value[ \t]*=[ \t]*|>[ \t]*)(?:[rbfRBF]?["'`])?"#;

/// A rule regex with its shared pieces (`{assign}`) written out.
pub fn expand(pattern: &str) -> std::borrow::Cow<'_, str> {
    if pattern.contains("{assign}") {
        std::borrow::Cow::Owned(pattern.replace("{assign}", ASSIGN))
    } else {
        std::borrow::Cow::Borrowed(pattern)
    }
}

/// Compiles a rule regex the way the matcher does: bytes, Unicode off (10x faster, see
/// MEASURED.md), so `\w`, `\d`, `\s` and `(?i)` are ASCII-only; shared pieces expanded.
pub fn compile_regex(pattern: &str) -> Result<regex::bytes::Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(&expand(pattern))
        .unicode(false)
        .size_limit(8 << 20)
        .dfa_size_limit(2 << 20)
        .build()
}

pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    include!("rule_files.rs");

    #[test]
    fn the_assignment_grammar_reads_every_syntax_and_never_crosses_a_line() {
        let re = compile_regex(r"(?i)acme_?key{assign}([A-Za-z0-9]{12})\b").unwrap();
        let value = |line: &str| {
            re.captures(line.as_bytes())
                .map(|c| String::from_utf8_lossy(&c[1]).into_owned())
        };
        for line in [
            "ACME_KEY=Q8zr2Lw0pX4v",
            "ACME_KEY = 'Q8zr2Lw0pX4v'",
            "acme_key: Q8zr2Lw0pX4v",
            "\"acme_key\": \"Q8zr2Lw0pX4v\"",
            "ACME_KEY ?= Q8zr2Lw0pX4v",
            "ACME_KEY := Q8zr2Lw0pX4v",
            "ACME_KEY ::= Q8zr2Lw0pX4v",
            "ACME_KEY :::= Q8zr2Lw0pX4v",
            "ACME_KEY += Q8zr2Lw0pX4v",
            "$acme_key .= 'Q8zr2Lw0pX4v';",
            "'acme_key' => 'Q8zr2Lw0pX4v',",
            "acmeKey <- \"Q8zr2Lw0pX4v\"",
            "var acmeKey string = \"Q8zr2Lw0pX4v\"",
            "const acmeKey: string = \"Q8zr2Lw0pX4v\";",
            "val acmeKey: String = \"Q8zr2Lw0pX4v\"",
            "const ACME_KEY: &str = \"Q8zr2Lw0pX4v\";",
            "acme_key: str = \"Q8zr2Lw0pX4v\"",
            "acme_key = r\"Q8zr2Lw0pX4v\"",
            "acme_key = `Q8zr2Lw0pX4v`",
            "props.setProperty(\"acme_key\", \"Q8zr2Lw0pX4v\");",
            "ENV.fetch('ACME_KEY', 'Q8zr2Lw0pX4v')",
            "<AcmeKey>Q8zr2Lw0pX4v</AcmeKey>",
            "<add key=\"AcmeKey\" value=\"Q8zr2Lw0pX4v\" />",
            "acme_key=\"Q8zr2Lw0pX4v\"",
        ] {
            assert_eq!(value(line).as_deref(), Some("Q8zr2Lw0pX4v"), "{line}");
        }
        // An empty assignment does not take the next line as its value.
        assert_eq!(value("ACME_KEY=\nQ8zr2Lw0pX4vAbc"), None);
        assert_eq!(value("acme_key:\n  Q8zr2Lw0pX4v"), None);
    }

    /// Large counted repetitions (`[\s\S]{0,300}?`, `[A-Za-z0-9]{20,2048}`) compile to one NFA
    /// state per count and multiply the lazy DFA's states. A rule's regex only ever runs on
    /// the window around its keyword, which already bounds the match, so the built-in rules
    /// write such runs unbounded (`*?`, `{20,}`). On git/git's tree this halved the time spent
    /// compiling the woken rules and made the command-line rules 50x cheaper a window.
    #[test]
    fn built_in_regexes_leave_long_runs_to_the_window() {
        use regex_syntax::hir::{Hir, HirKind};
        fn worst(hir: &Hir, found: &mut Vec<(u32, u32)>) {
            match hir.kind() {
                HirKind::Repetition(r) => {
                    if let Some(max) = r.max {
                        if (r.min == 0 && max >= 100) || max >= 1000 {
                            found.push((r.min, max));
                        }
                    }
                    worst(&r.sub, found);
                }
                HirKind::Capture(c) => worst(&c.sub, found),
                HirKind::Concat(v) | HirKind::Alternation(v) => {
                    v.iter().for_each(|h| worst(h, found))
                }
                _ => {}
            }
        }
        let mut offenders = Vec::new();
        for rule in embedded_full() {
            let hir = regex_syntax::ParserBuilder::new()
                .unicode(false)
                .utf8(false)
                .build()
                .parse(&expand(&rule.regex))
                .unwrap();
            let mut found = Vec::new();
            worst(&hir, &mut found);
            if !found.is_empty() {
                offenders.push(format!("{}: {found:?}", rule.id));
            }
        }
        assert!(offenders.is_empty(), "{offenders:#?}");
    }

    #[test]
    fn every_file_in_rules_is_embedded_and_a_new_one_would_be() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let embedded: Vec<&str> = EMBEDDED.iter().map(|(name, _)| *name).collect();
        assert_eq!(embedded, rule_files(&dir).unwrap());
        assert_eq!(embedded.last(), Some(&"generic.toml"));
        // A file added to rules/ is listed, in name order, still before the generic rules.
        let tmp = tempfile::tempdir().unwrap();
        for name in [
            "generic.toml",
            "cloud.toml",
            "zz-new-family.toml",
            "notes.md",
        ] {
            std::fs::write(tmp.path().join(name), "").unwrap();
        }
        assert_eq!(
            rule_files(tmp.path()).unwrap(),
            ["cloud.toml", "zz-new-family.toml", "generic.toml"]
        );
    }

    #[test]
    fn rejects_bad_ids_and_regexes() {
        let bad_id = r#"[[rules]]
id = "Bad_ID"
name = "x"
description = "x"
keywords = ["ab"]
regex = "ab"
confidence = "low"
"#;
        let err = parse_rules("f.toml", bad_id).unwrap_err().to_string();
        assert!(err.contains("kebab-case"), "{err}");
        let bad_re = bad_id
            .replace("Bad_ID", "ok-id")
            .replace("\"ab\"\nconf", "\"a(b\"\nconf");
        let err = parse_rules("f.toml", &bad_re).unwrap_err().to_string();
        assert!(err.contains("rule 'ok-id': invalid regex"), "{err}");
    }

    #[test]
    fn a_rule_has_keywords_or_paths_and_its_paths_are_globs() {
        let base = "[[rules]]\nid = \"x\"\nname = \"x\"\ndescription = \"x\"\nregex = \"ab\"\nconfidence = \"low\"\n";
        let err = |extra: &str| {
            parse_rules("f", &format!("{base}{extra}"))
                .err()
                .map(|e| e.to_string())
        };
        assert!(err("").unwrap().contains("at least one keyword"));
        let both = err("keywords = [\"ab\"]\npaths = [\"a.key\"]\n").unwrap();
        assert!(both.contains("keywords and paths"), "{both}");
        let glob = err("paths = [\"a[.key\"]\n").unwrap();
        assert!(glob.contains("path 'a[.key'"), "{glob}");
        assert_eq!(err("paths = [\"config/*.key\"]\n"), None);
    }

    #[test]
    fn rejects_uppercase_keywords_and_unknown_fields() {
        let text = r#"[[rules]]
id = "x"
name = "x"
description = "x"
keywords = ["AB"]
regex = "ab"
confidence = "low"
"#;
        assert!(parse_rules("f", text)
            .unwrap_err()
            .to_string()
            .contains("lowercase"));
        let text = text.replace("[\"AB\"]", "[\"ab\"]") + "colour = \"red\"\n";
        assert!(parse_rules("f", &text)
            .unwrap_err()
            .to_string()
            .contains("colour"));
    }
}
