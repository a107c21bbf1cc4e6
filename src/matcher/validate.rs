//! Offline structural validators: they prove a match has the shape of a real credential
//! without contacting anyone. A rule names its validator in `validator = "…"`. A match that
//! fails its validator is `invalid-structure`: dropped unless the user asks for it.

use base64::Engine;
use serde::Serialize;

use crate::rules::Validator;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Validation {
    ValidStructure,
    InvalidStructure,
    #[default]
    NotChecked,
}

impl Validation {
    pub fn as_str(self) -> &'static str {
        match self {
            Validation::ValidStructure => "valid-structure",
            Validation::InvalidStructure => "invalid-structure",
            Validation::NotChecked => "not-checked",
        }
    }
}

/// A validator's answer, with what it learned on the way (expiry, encryption, account).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub validation: Validation,
    pub detail: Option<String>,
    /// The part of the match that is the secret, when the validator found it inside a longer
    /// match (a mnemonic inside a sentence).
    pub span: Option<(usize, usize)>,
}

impl Verdict {
    pub(super) fn valid(detail: Option<String>) -> Verdict {
        Verdict {
            validation: Validation::ValidStructure,
            detail,
            span: None,
        }
    }

    pub(super) fn invalid(reason: &str) -> Verdict {
        Verdict {
            validation: Validation::InvalidStructure,
            detail: Some(reason.to_string()),
            span: None,
        }
    }

    fn from_check(ok: bool, reason: &str) -> Verdict {
        if ok {
            Verdict::valid(None)
        } else {
            Verdict::invalid(reason)
        }
    }
}

/// Runs validator `v` on `secret`.
pub fn check(v: Validator, secret: &[u8]) -> Verdict {
    match v {
        Validator::Jwt => jwt(secret),
        Validator::Base62Crc32 => Verdict::from_check(base62_crc32(secret), "checksum mismatch"),
        Validator::AwsKeyId => aws_key_id(secret),
        Validator::PemPrivateKey => pem_private_key(secret),
        Validator::OpensshPrivateKey => openssh_private_key(secret),
        Validator::PgpPrivateKey => pgp_private_key(secret),
        Validator::SlackToken => {
            Verdict::from_check(slack_token(secret), "malformed Slack token ids")
        }
        Validator::BasicAuth => basic_auth(secret),
        Validator::Base64Of64Bytes => Verdict::from_check(
            decode_base64(secret).is_some_and(|b| b.len() == 64),
            "does not decode to a 512-bit key",
        ),
        Validator::DiscordBotToken => Verdict::from_check(
            discord_bot_token(secret),
            "first part is not a base64 user id",
        ),
        Validator::PypiMacaroon => {
            Verdict::from_check(pypi_macaroon(secret), "not a PyPI macaroon")
        }
        Validator::Bip39Mnemonic => super::wallet::bip39(secret),
        Validator::Base58CheckExtendedKey => super::wallet::extended_key(secret),
        Validator::Base58CheckWif => super::wallet::wif(secret),
        Validator::Secp256k1PrivateKey => super::wallet::secp256k1_key(secret),
        Validator::SolanaKeypair => super::wallet::solana_keypair(secret),
    }
}

/// A JWT's header is base64url JSON naming an `alg`; its payload is base64url JSON too. The
/// expiry, if any, is reported: an expired token is still a leak (it may be refreshed, and
/// its signing key is what matters), but it is worth knowing.
fn jwt(secret: &[u8]) -> Verdict {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return Verdict::invalid("not three dot-separated parts");
    };
    let header_ok = decode_json(header)
        .and_then(|v| v.get("alg").map(|a| a.is_string()))
        .unwrap_or(false);
    if !header_ok {
        return Verdict::invalid("header is not JSON with an alg");
    }
    let Some(payload) = decode_json(payload).filter(|v| v.is_object()) else {
        return Verdict::invalid("payload is not a JSON object");
    };
    let detail = match payload.get("exp").and_then(|e| e.as_i64()) {
        Some(exp) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let when = crate::time::iso8601(exp, 0);
            if exp < now {
                format!("expired {when}")
            } else {
                format!("expires {when}")
            }
        }
        None => "no expiry".to_string(),
    };
    Verdict::valid(Some(detail))
}

fn decode_json(part: &[u8]) -> Option<serde_json::Value> {
    let trimmed: Vec<u8> = part.iter().copied().filter(|&b| b != b'=').collect();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// GitHub's and npm's token format: `prefix_` + random base62 + the CRC32 of the random part
/// in six base62 digits (github.blog, 2021-04-05 and 2021-09-23).
fn base62_crc32(secret: &[u8]) -> bool {
    let body = match memchr::memrchr(b'_', secret) {
        Some(i) => &secret[i + 1..],
        None => secret,
    };
    if body.len() <= 6 {
        return false;
    }
    let (random, sum) = body.split_at(body.len() - 6);
    let mut value: u64 = 0;
    for &c in sum {
        let Some(digit) = BASE62.iter().position(|&d| d == c) else {
            return false;
        };
        value = value * 62 + digit as u64;
    }
    value == u64::from(crc32fast::hash(random))
}

/// An AWS access key id encodes the owning account in its base32 body (documented by
/// security researchers, not by AWS): decoding it proves the shape and names the account.
fn aws_key_id(secret: &[u8]) -> Verdict {
    if secret.len() != 20 {
        return Verdict::invalid("not 20 characters");
    }
    let mut bits: u128 = 0;
    for &c in &secret[4..] {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return Verdict::invalid("not base32"),
        };
        bits = (bits << 5) | u128::from(v);
    }
    // 16 characters are 80 bits; the first 48 hold the account id shifted left by 7.
    let head = (bits >> 32) as u64;
    let account = (head & 0x7fff_ffff_ff80) >> 7;
    Verdict::valid(Some(format!("AWS account {account:012}")))
}

/// The base64 body of a PEM block, with its headers (`Proc-Type: …`) and the escapes of a
/// key pasted into a string literal (`\n`) taken out.
fn pem_body(secret: &[u8]) -> Option<(Vec<u8>, bool)> {
    let text = std::str::from_utf8(secret).ok()?;
    let text = text.replace("\\r", "\n").replace("\\n", "\n");
    let mut encrypted = text.contains("ENCRYPTED");
    let mut body = String::new();
    for line in text.lines() {
        let line = line
            .trim()
            .trim_matches(|c| c == '"' || c == '\'' || c == '\\');
        if line.starts_with("-----") || line.is_empty() {
            continue;
        }
        if line.contains(':') {
            encrypted |= line.starts_with("Proc-Type") && line.contains("ENCRYPTED");
            continue;
        }
        // PGP armour's CRC24 line.
        if line.starts_with('=') && line.len() == 5 {
            continue;
        }
        body.push_str(line);
    }
    Some((decode_base64(body.as_bytes())?, encrypted))
}

/// A DER SEQUENCE whose length field matches the data: what PKCS#1, SEC1, PKCS#8 and DSA keys
/// all start with.
fn der_sequence(der: &[u8]) -> bool {
    if der.len() < 2 || der[0] != 0x30 {
        return false;
    }
    let (len, header) = match der[1] {
        n if n < 0x80 => (n as usize, 2),
        0x81 if der.len() > 2 => (der[2] as usize, 3),
        0x82 if der.len() > 3 => (((der[2] as usize) << 8) | der[3] as usize, 4),
        0x83 if der.len() > 4 => (
            ((der[2] as usize) << 16) | ((der[3] as usize) << 8) | der[4] as usize,
            5,
        ),
        _ => return false,
    };
    header + len == der.len()
}

fn pem_private_key(secret: &[u8]) -> Verdict {
    let Some((der, encrypted)) = pem_body(secret) else {
        return Verdict::invalid("body is not base64");
    };
    // A key encrypted the old OpenSSL way (a `Proc-Type` header) is block-cipher output, not
    // DER, until decrypted.
    let legacy_encrypted = secret.windows(9).any(|w| w == b"Proc-Type");
    let structure_ok = if legacy_encrypted {
        !der.is_empty() && der.len() % 8 == 0
    } else {
        der_sequence(&der)
    };
    if !structure_ok {
        return Verdict::invalid("body is not a DER key structure");
    }
    Verdict::valid(Some(
        if encrypted {
            "encrypted"
        } else {
            "unencrypted"
        }
        .to_string(),
    ))
}

/// `openssh-key-v1\0`, then the cipher name: `none` means anyone can use the key.
fn openssh_private_key(secret: &[u8]) -> Verdict {
    let Some((raw, _)) = pem_body(secret) else {
        return Verdict::invalid("body is not base64");
    };
    let Some(rest) = raw.strip_prefix(b"openssh-key-v1\0") else {
        return Verdict::invalid("no openssh-key-v1 magic");
    };
    let Some(cipher) = ssh_string(rest) else {
        return Verdict::invalid("truncated key");
    };
    match cipher {
        b"none" => Verdict::valid(Some("unencrypted".into())),
        c => Verdict::valid(Some(format!("encrypted ({})", String::from_utf8_lossy(c)))),
    }
}

fn ssh_string(data: &[u8]) -> Option<&[u8]> {
    let len = u32::from_be_bytes(data.get(..4)?.try_into().ok()?) as usize;
    data.get(4..4 + len)
}

/// OpenPGP armour: the body decodes to a secret-key packet (tag 5), and the armour's CRC24
/// line, when present, matches.
fn pgp_private_key(secret: &[u8]) -> Verdict {
    let Some((raw, _)) = pem_body(secret) else {
        return Verdict::invalid("body is not base64");
    };
    let Some(&first) = raw.first() else {
        return Verdict::invalid("empty body");
    };
    let tag = if first & 0x40 != 0 {
        first & 0x3f
    } else {
        (first >> 2) & 0x0f
    };
    if first & 0x80 == 0 || tag != 5 {
        return Verdict::invalid("not a secret-key packet");
    }
    let text = String::from_utf8_lossy(secret).replace("\\n", "\n");
    let crc_line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with('=') && l.len() == 5);
    if let Some(line) = crc_line {
        let expected = decode_base64(&line.as_bytes()[1..]);
        let crc = crc24(&raw);
        if expected.as_deref() != Some(&crc.to_be_bytes()[1..]) {
            return Verdict::invalid("armour checksum mismatch");
        }
    }
    Verdict::valid(None)
}

/// RFC 4880 section 6.1.
fn crc24(data: &[u8]) -> u32 {
    let mut crc: u32 = 0xB704CE;
    for &b in data {
        crc ^= u32::from(b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x1000000 != 0 {
                crc ^= 0x1864CFB;
            }
        }
    }
    crc & 0xFFFFFF
}

/// Slack ids are decimal numbers without leading zeros.
fn slack_token(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'-').skip(1);
    let mut ids = 0;
    for part in parts.by_ref() {
        if part.iter().all(u8::is_ascii_digit) {
            if part.first() == Some(&b'0') {
                return false;
            }
            ids += 1;
        } else {
            break;
        }
    }
    ids >= 2
}

/// Basic auth (`Authorization: Basic`, docker `"auth"`): base64 of `user:password`.
fn basic_auth(secret: &[u8]) -> Verdict {
    let Some(raw) = decode_base64(secret) else {
        return Verdict::invalid("not base64");
    };
    let printable = raw.iter().all(|&b| (0x20..0x7f).contains(&b));
    match raw.iter().position(|&b| b == b':') {
        Some(i) if printable && i > 0 && i + 1 < raw.len() => {
            let (user, password) = (&raw[..i], &raw[i + 1..]);
            // `foo:bar`, `user:password`, `admin:admin`: documentation, not a login.
            if password.len() < 6
                || password == user
                || super::placeholder::is_placeholder(password)
            {
                return Verdict::invalid("a placeholder user:password");
            }
            let user = String::from_utf8_lossy(user).into_owned();
            Verdict::valid(Some(format!("user {user}")))
        }
        _ => Verdict::invalid("does not decode to user:password"),
    }
}

/// A bot token's first part is the bot's user id (a decimal snowflake) in base64.
fn discord_bot_token(secret: &[u8]) -> bool {
    let first = secret.split(|&b| b == b'.').next().unwrap_or_default();
    decode_base64(first).is_some_and(|id| id.len() >= 17 && id.iter().all(u8::is_ascii_digit))
}

/// PyPI tokens are `pypi-` + a base64url macaroon whose location is pypi.org.
fn pypi_macaroon(secret: &[u8]) -> bool {
    let body = secret.strip_prefix(b"pypi-").unwrap_or(secret);
    decode_base64(body).is_some_and(|raw| raw.windows(8).any(|w| w == b"pypi.org"))
}

/// Standard or URL-safe base64, padded or not.
pub fn decode_base64(data: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let trimmed = match data.iter().rposition(|&b| b != b'=') {
        Some(i) => &data[..=i],
        None => return None,
    };
    if trimmed.iter().any(|&b| b == b'-' || b == b'_') {
        URL_SAFE_NO_PAD.decode(trimmed).ok()
    } else {
        STANDARD_NO_PAD.decode(trimmed).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    fn is_valid(name: &str, secret: &[u8]) -> bool {
        let v: Validator = serde_json::from_value(serde_json::json!(name)).expect("a validator");
        check(v, secret).validation == Validation::ValidStructure
    }

    #[test]
    fn jwt_structure_and_expiry() {
        let good = format!(
            "{}.{}.c2lnbmF0dXJl",
            b64(r#"{"alg":"HS256","typ":"JWT"}"#),
            b64(r#"{"sub":"1","exp":1000000000}"#)
        );
        let v = check(Validator::Jwt, good.as_bytes());
        assert_eq!(v.validation, Validation::ValidStructure);
        assert_eq!(
            v.detail.as_deref(),
            Some("expired 2001-09-09T01:46:40+00:00")
        );
        let no_alg = format!("{}.{}.sig", b64(r#"{"typ":"JWT"}"#), b64(r#"{"sub":"1"}"#));
        assert!(!is_valid("jwt", no_alg.as_bytes()));
        let not_json = format!("{}.{}.sig", b64("hello"), b64(r#"{"sub":"1"}"#));
        assert!(!is_valid("jwt", not_json.as_bytes()));
        assert!(!is_valid("jwt", b"eyJhbGciOi"));
    }

    /// Makes a token the way GitHub documents it, so the test does not depend on a stored one.
    fn base62_token(prefix: &str, random: &str) -> String {
        let mut n = u64::from(crc32fast::hash(random.as_bytes()));
        let mut sum = [b'0'; 6];
        for slot in sum.iter_mut().rev() {
            *slot = BASE62[(n % 62) as usize];
            n /= 62;
        }
        format!("{prefix}{random}{}", String::from_utf8_lossy(&sum))
    }

    #[test]
    fn base62_checksum_accepts_real_shape_and_rejects_one_changed_character() {
        let token = base62_token("ghp_", "R8xk2PzqL0vWm3NcT6yHbJ9dFs1GaE");
        assert!(is_valid("base62-crc32", token.as_bytes()));
        let npm = base62_token("npm_", "Qw7Er5Ty3Ui1Op9As8Df6Gh4Jk2Lz0");
        assert!(is_valid("base62-crc32", npm.as_bytes()));
        let mut corrupted = token.clone().into_bytes();
        corrupted[10] = if corrupted[10] == b'a' { b'b' } else { b'a' };
        assert!(!is_valid("base62-crc32", &corrupted));
        let mut bad_sum = token.into_bytes();
        let last = bad_sum.len() - 1;
        bad_sum[last] = if bad_sum[last] == b'0' { b'1' } else { b'0' };
        assert!(!is_valid("base62-crc32", &bad_sum));
    }

    #[test]
    fn aws_key_id_names_the_account() {
        // Encodes account 123456789012 the way the key id layout does.
        let account: u128 = 123_456_789_012;
        let bits: u128 = (account << 7 | 0x800000000000) << 32 | 0x1234_5678;
        let mut id = String::from("AKIA");
        for i in (0..16).rev() {
            let v = ((bits >> (i * 5)) & 31) as u8;
            id.push(if v < 26 {
                (b'A' + v) as char
            } else {
                (b'2' + v - 26) as char
            });
        }
        let v = check(Validator::AwsKeyId, id.as_bytes());
        assert_eq!(v.validation, Validation::ValidStructure);
        assert_eq!(v.detail.as_deref(), Some("AWS account 123456789012"));
        assert!(!is_valid("aws-key-id", b"AKIA0000000000000000"));
    }

    fn pem(label: &str, der: &[u8]) -> String {
        let body = STANDARD.encode(der);
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----",
            lines.join("\n")
        )
    }

    #[test]
    fn pem_keys_need_a_der_body() {
        let mut der = vec![0x30, 0x81, 0x90, 0x02, 0x01, 0x00, 0x02, 0x81, 0x8a];
        der.extend((0..0x8a).map(|i| (i * 7 + 3) as u8));
        assert_eq!(der.len(), 0x93);
        let good = pem("RSA PRIVATE KEY", &der);
        let v = check(Validator::PemPrivateKey, good.as_bytes());
        assert_eq!(v.detail.as_deref(), Some("unencrypted"));
        assert_eq!(v.validation, Validation::ValidStructure);
        // Escaped newlines, as in a JSON string.
        assert!(is_valid(
            "pem-private-key",
            good.replace('\n', "\\n").as_bytes()
        ));
        let enc = pem("ENCRYPTED PRIVATE KEY", &der);
        assert_eq!(
            check(Validator::PemPrivateKey, enc.as_bytes())
                .detail
                .as_deref(),
            Some("encrypted")
        );
        let mut truncated = der.clone();
        truncated.truncate(100);
        assert!(!is_valid(
            "pem-private-key",
            pem("RSA PRIVATE KEY", &truncated).as_bytes()
        ));
        assert!(!is_valid(
            "pem-private-key",
            pem("RSA PRIVATE KEY", &[0x41; 120]).as_bytes()
        ));
    }

    #[test]
    fn openssh_keys_say_whether_they_are_encrypted() {
        let mut raw = b"openssh-key-v1\0".to_vec();
        raw.extend(4u32.to_be_bytes());
        raw.extend(b"none");
        raw.extend([7; 40]);
        let v = check(
            Validator::OpensshPrivateKey,
            pem("OPENSSH PRIVATE KEY", &raw).as_bytes(),
        );
        assert_eq!(v.detail.as_deref(), Some("unencrypted"));
        let mut enc = b"openssh-key-v1\0".to_vec();
        enc.extend(10u32.to_be_bytes());
        enc.extend(b"aes256-ctr");
        let v = check(
            Validator::OpensshPrivateKey,
            pem("OPENSSH PRIVATE KEY", &enc).as_bytes(),
        );
        assert_eq!(v.detail.as_deref(), Some("encrypted (aes256-ctr)"));
        assert!(!is_valid(
            "openssh-private-key",
            pem("OPENSSH PRIVATE KEY", &[9; 60]).as_bytes()
        ));
    }

    #[test]
    fn pgp_armour_checksum() {
        let packet: Vec<u8> = [0x95, 0x01, 0x10].into_iter().chain(0..200).collect();
        let crc = crc24(&packet).to_be_bytes();
        let armour = format!(
            "{}\n={}",
            pem("PGP PRIVATE KEY BLOCK", &packet).replace("\n-----END", "\n=XXXX\n-----END"),
            ""
        );
        let fixed = armour.replace("=XXXX", &format!("={}", STANDARD.encode(&crc[1..])));
        assert!(is_valid("pgp-private-key", fixed.as_bytes()));
        let wrong = armour.replace("=XXXX", "=AAAA");
        assert!(!is_valid("pgp-private-key", wrong.as_bytes()));
        // A public key packet (tag 6) is not a private key.
        let public: Vec<u8> = [0x99, 0x01, 0x10].into_iter().chain(0..200).collect();
        assert!(!is_valid(
            "pgp-private-key",
            pem("PGP PRIVATE KEY BLOCK", &public).as_bytes()
        ));
    }

    #[test]
    fn placeholder_basic_auth_is_not_a_valid_structure() {
        for pair in [
            "foo:bar",
            "user:password",
            "admin:admin",
            "alice:changeme",
            "a:b",
        ] {
            let v = check(Validator::BasicAuth, STANDARD.encode(pair).as_bytes());
            assert_eq!(v.validation, Validation::InvalidStructure, "{pair}");
        }
    }

    #[test]
    fn basic_auth_and_slack_and_discord() {
        let auth = STANDARD.encode("deploy:s3cr3t-pa55");
        assert_eq!(
            check(Validator::BasicAuth, auth.as_bytes())
                .detail
                .as_deref(),
            Some("user deploy")
        );
        assert!(!is_valid(
            "basic-auth",
            STANDARD.encode("nocolon").as_bytes()
        ));
        assert!(is_valid(
            "slack-token",
            b"xoxb-526018159083-1166131860913-abc"
        ));
        assert!(!is_valid(
            "slack-token",
            b"xoxb-026018159083-1166131860913-abc"
        ));
        let id = STANDARD.encode("123456789012345678");
        assert!(is_valid(
            "discord-bot-token",
            format!(
                "{}.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB",
                id.trim_end_matches('=')
            )
            .as_bytes()
        ));
        assert!(!is_valid(
            "discord-bot-token",
            b"TVRJek5EVTJOemc1TURFeU16UTE.GhIjKl.abcdef"
        ));
    }
}
