//! False-positive filters for the generic rules (a secret-named assignment, a password): the
//! values people assign to such names that are not secrets. Provider rules do not need these:
//! their formats are specific enough.

use super::randomness;

/// Whether a generic rule's candidate `value`, assigned to `name` (the text the regex matched
/// before the value) on `line`, and followed by `after` (the rest of the line), is something
/// other than a secret.
pub fn is_not_a_secret(
    name: &[u8],
    value: &[u8],
    after: &[u8],
    line: &[u8],
    password: bool,
) -> bool {
    why_not_a_secret(name, value, after, line, password).is_some()
}

/// `is_not_a_secret`, saying what the value is instead.
pub fn why_not_a_secret(
    name: &[u8],
    value: &[u8],
    after: &[u8],
    line: &[u8],
    password: bool,
) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    // Code, not configuration: `NAME: Type = …` (the value is a type), `a::b::C` paths,
    // `self.field` references, `…Fn` callback types.
    let next = after.iter().position(|b| !b.is_ascii_whitespace());
    let assigned = next.is_some_and(|i| after[i] == b'=' && after.get(i + 1) != Some(&b'='));
    if assigned
        || value.windows(2).any(|w| w == b"::")
        || value.starts_with(b"_")
        || is_reference(value)
    {
        return Some("code: a type, a path or a reference");
    }
    // `key_id`, `api_key_id`, `tokenId`: identifiers of a secret, not the secret.
    let trimmed: Vec<u8> = name
        .iter()
        .copied()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        .collect();
    if trimmed.ends_with(b"id") || trimmed.ends_with(b"ids") {
        return Some("the name says it is an id");
    }
    // `"timePasswordChanged": 1589282475000`, `PASSWORD_MAX_AGE = 7776000`: a number under a
    // name that says it counts or dates something.
    if value.iter().all(u8::is_ascii_digit)
        && contains_any(
            &name,
            &[
                b"time",
                b"date",
                b"changed",
                b"created",
                b"updated",
                b"expir",
                b"count",
                b"length",
                b"len",
                b"size",
                b"min",
                b"max",
                b"age",
                b"ttl",
                b"timeout",
                b"retr",
                b"attempt",
                b"port",
                b"version",
                b"interval",
                b"period",
                b"days",
                b"seconds",
            ],
        )
    {
        return Some("a number that counts or dates something");
    }
    // `#password-field`, `.token-input`: a CSS selector; `@host/db`: the rest of a URL;
    // `users#update`: a route;
    // `required|string|min:8`: a validation rule.
    if matches!(value.first(), Some(b'#' | b'.' | b'@'))
        || is_route(value)
        || value
            .split(|&b| b == b'|')
            .filter(|p| !p.is_empty())
            .count()
            >= 2
            && value.split(|&b| b == b'|').all(|p| {
                p.iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b':' || *b == b'_')
            })
    {
        return Some("a selector, a route or a validation rule");
    }
    // `2fFZuXXX_CXB5XXXDGMRXXX…`: a value masked by hand.
    let lower = value.to_ascii_lowercase();
    if lower.windows(3).filter(|w| w == b"xxx").count() >= 2 {
        return Some("masked by hand");
    }
    if is_uuid(value) {
        // Some providers' keys are UUIDs (Heroku, Snyk): keep them only where the name says
        // secret.
        let secret_name = contains_any(
            &name,
            &[
                b"secret",
                b"token",
                b"password",
                b"apikey",
                b"api_key",
                b"api-key",
            ],
        );
        return (!secret_name).then_some("a UUID under a name that does not say secret");
    }
    if contains_any(
        &name,
        &[
            b"hash",
            b"address",
            b"checksum",
            b"digest",
            b"integrity",
            b"sha1",
            b"sha256",
            b"sha512",
            b"etag",
            b"commit",
            b"revision",
            b"nonce",
            b"public",
            // Keys that are public by design: Stripe's publishable keys, Algolia's
            // search-only keys, Supabase's anon key, reCAPTCHA site keys.
            b"publishable",
            b"search_key",
            b"searchkey",
            b"search-key",
            b"search_api_key",
            b"searchapikey",
            b"search_only",
            b"anon_key",
            b"anonkey",
            b"site_key",
            b"sitekey",
        ],
    ) || contains_any(line, &[b"data:image/", b"data:font/", b"data:application/"])
        || is_integrity(value)
    {
        return Some("a hash, an address, a public key or a data URI");
    }
    if is_version(value) {
        return Some("a version");
    }
    if is_path(value) {
        return Some("a path");
    }
    if is_dotted_identifier(value) || is_identifier(value) {
        return Some("an identifier");
    }
    if has_test_word(value) {
        return Some("a made-up value (test, fake, mock, dummy, sample, demo)");
    }
    // Passwords are chosen by people: they need not look random, only not look like code.
    (!password && !randomness::looks_random(value)).then_some("does not look random")
}

fn contains_any(haystack: &[u8], needles: &[&[u8]]) -> bool {
    needles
        .iter()
        .any(|n| haystack.windows(n.len()).any(|w| w == *n))
}

/// 8-4-4-4-12 hex digits.
pub fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Subresource-integrity and lockfile hashes: `sha512-…`, `sha256:…`.
fn is_integrity(v: &[u8]) -> bool {
    [
        &b"sha1-"[..],
        b"sha256-",
        b"sha384-",
        b"sha512-",
        b"sha256:",
        b"sha1:",
        b"md5-",
        b"h1:",
    ]
    .iter()
    .any(|p| v.starts_with(p))
}

/// `controller#action` (Rails routes), `Class#method` (documentation).
fn is_route(v: &[u8]) -> bool {
    let mut parts = v.split(|&b| b == b'#');
    let (Some(a), Some(b), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let word = |p: &[u8]| {
        !p.is_empty()
            && p.iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b':' | b'.'))
    };
    word(a) && word(b)
}

/// `1.2.3`, `v10.4.0-beta.1`, and with a name before it: `artifact-1.2.3`,
/// `spring-boot-starter-3.2.1`.
fn is_version(v: &[u8]) -> bool {
    let v = v.strip_prefix(b"v").unwrap_or(v);
    // A name, then `-` or `_`, then the version.
    let named = v
        .iter()
        .position(u8::is_ascii_digit)
        .filter(|&i| i > 1 && matches!(v[i - 1], b'-' | b'_'))
        .filter(|&i| {
            v[..i - 1]
                .iter()
                .all(|b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'_'))
        });
    if let Some(i) = named {
        if is_version(&v[i..]) {
            return true;
        }
    }
    let core_end = v
        .iter()
        .position(|&b| b == b'-' || b == b'+')
        .unwrap_or(v.len());
    let core = &v[..core_end];
    let parts: Vec<&[u8]> = core.split(|&b| b == b'.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit))
}

/// `/usr/local/bin`, `./src/main.rs`, `assets/img/logo.png`.
fn is_path(v: &[u8]) -> bool {
    if [&b"/"[..], b"./", b"../", b"~/"]
        .iter()
        .any(|p| v.starts_with(p))
    {
        return true;
    }
    let Some(slash) = v.iter().rposition(|&b| b == b'/') else {
        return false;
    };
    let file = &v[slash + 1..];
    match file.iter().rposition(|&b| b == b'.') {
        Some(dot) => {
            let ext = &file[dot + 1..];
            (1..=5).contains(&ext.len()) && ext.iter().all(u8::is_ascii_lowercase)
        }
        None => false,
    }
}

/// `test-api-key-12345`, `fake_token_for_ci`: a word that says the value is made up, as a
/// part of its own between separators.
fn has_test_word(v: &[u8]) -> bool {
    const WORDS: &[&[u8]] = &[b"test", b"fake", b"mock", b"dummy", b"sample", b"demo"];
    v.split(|&b| matches!(b, b'-' | b'_' | b'.' | b':' | b'/'))
        .any(|part| WORDS.iter().any(|w| part.eq_ignore_ascii_case(w)))
}

/// `self.token`, `config.api.secret`: a name in code, not a value.
fn is_reference(v: &[u8]) -> bool {
    const RECEIVERS: &[&[u8]] = &[
        b"self",
        b"this",
        b"cls",
        b"ctx",
        b"config",
        b"cfg",
        b"settings",
        b"env",
        b"props",
        b"state",
        b"options",
        b"opts",
        b"args",
        b"params",
        b"req",
        b"request",
        b"res",
        b"app",
    ];
    let mut parts = v.split(|&b| b == b'.');
    let first = parts.next().unwrap_or_default();
    RECEIVERS.contains(&first) && parts.next().is_some() && is_dotted_name(v)
}

fn is_dotted_name(v: &[u8]) -> bool {
    v.split(|&b| b == b'.').all(|p| {
        p.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && p.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    })
}

/// `com.example.service.Client`, `os.path.join`: three or more dotted names.
fn is_dotted_identifier(v: &[u8]) -> bool {
    v.split(|&b| b == b'.').count() >= 3 && is_dotted_name(v)
}

/// camelCase, PascalCase, snake_case, kebab-case or SCREAMING_CASE made of words and
/// acronyms: `accessTokenStorageKey`, `PBKDF2WithHmacSHA256`, `database_master_password`.
fn is_identifier(v: &[u8]) -> bool {
    if !v
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
    {
        return false;
    }
    // Segments: a capitalised or lowercase word, an acronym (with digits, like SHA256), or a
    // number; separators and case changes split them.
    let mut segments: Vec<&[u8]> = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let start = i;
        let c = v[i];
        if c == b'_' || c == b'-' {
            i += 1;
            continue;
        }
        if c.is_ascii_uppercase() {
            i += 1;
            if i < v.len() && v[i].is_ascii_lowercase() {
                while i < v.len() && v[i].is_ascii_lowercase() {
                    i += 1;
                }
            } else {
                // An acronym runs until the capital that starts the next word.
                while i < v.len()
                    && v[i].is_ascii_uppercase()
                    && !(i + 1 < v.len() && v[i + 1].is_ascii_lowercase())
                {
                    i += 1;
                }
                while i < v.len() && v[i].is_ascii_digit() {
                    i += 1;
                }
            }
        } else if c.is_ascii_lowercase() {
            while i < v.len() && v[i].is_ascii_lowercase() {
                i += 1;
            }
        } else {
            while i < v.len() && v[i].is_ascii_digit() {
                i += 1;
            }
        }
        segments.push(&v[start..i]);
    }
    let wordlike = |seg: &&[u8]| {
        let letters = seg.iter().filter(|b| b.is_ascii_alphabetic()).count();
        let upper = seg.iter().all(|b| !b.is_ascii_lowercase());
        let vowel = seg.iter().any(|b| b"aeiouyAEIOUY".contains(b));
        (letters >= 3 && vowel) || (upper && (2..=6).contains(&letters))
    };
    let number = |seg: &&[u8]| seg.len() <= 4 && seg.iter().all(u8::is_ascii_digit);
    // A couple of short odd segments are allowed (`SpGetContextTokenFn`, `D3DVSD_TOKENTYPE`)
    // if words outnumber them; random tokens are mostly odd segments.
    let odd: Vec<_> = segments
        .iter()
        .filter(|seg| !wordlike(seg) && !number(seg))
        .collect();
    let words = segments.iter().filter(|seg| wordlike(seg)).count();
    // Digits between letters, twice or more (`x3v7`, `Ruy7SA5h`), come from random
    // generators; names put digits at the end or once (`PBKDF2WithHmacSHA256`, `D3DVSD`).
    let interior_digits = {
        let mut n = 0;
        let mut i = 0;
        while i < v.len() {
            if v[i].is_ascii_digit() {
                let start = i;
                while i < v.len() && v[i].is_ascii_digit() {
                    i += 1;
                }
                let letter_before = start > 0 && v[start - 1].is_ascii_alphabetic();
                let letter_after = i < v.len() && v[i].is_ascii_alphabetic();
                n += usize::from(letter_before && letter_after);
            } else {
                i += 1;
            }
        }
        n
    };
    // Words are a third or more vowels; random lowercase letters a sixth.
    let lower = v.iter().filter(|b| b.is_ascii_lowercase()).count();
    let vowels = v.iter().filter(|b| b"aeiou".contains(b)).count();
    let voweled = lower < 8 || vowels * 4 >= lower;
    interior_digits < 2
        && voweled
        && (2..=8).contains(&segments.len())
        && odd.len() <= 2
        && odd.iter().all(|seg| seg.len() <= 3)
        && words >= 2
        && words > odd.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(name: &str, value: &str) -> bool {
        is_not_a_secret(name.as_bytes(), value.as_bytes(), b"", b"", false)
    }

    #[test]
    fn keeps_random_values() {
        assert!(!rejected(
            "api_key = \"",
            "ajAIxNKu8iS2G8NPRVdD53X83RZJzzzz"
        ));
        assert!(!rejected(
            "SECRET_KEY: ",
            "n9ZhyiA4uoRgnatmUdjAWtGSU8po-799NksnRH9u"
        ));
        assert!(!rejected("token = ", "Hbn88HxjSI6bWHtP3fS2qHx6"));
        assert!(!is_not_a_secret(
            b"password = \"",
            b"Tr0ub4dor&3xx",
            b"\"",
            b"",
            true
        ));
        // Random passwords whose letters happen to split into word-like runs: digits
        // between letters twice, or too few vowels for words.
        for v in ["Zq3W6Ruy7SA5haxu", "ZqWTTRYmx3v7djab", "ZqYXKfyguqp3tRev"] {
            assert!(!rejected("DB_PASSWORD=\"", v), "{v}");
        }
        // A UUID where the name says secret.
        assert!(!rejected(
            "client_secret=",
            "0f8b3c2e-5a1d-4c7e-9b2a-6d4e8f1a3c5b"
        ));
    }

    #[test]
    fn drops_values_that_are_not_secrets() {
        assert!(rejected(
            "key_id = ",
            "0f8b3c2e-5a1d-4c7e-9b2a-6d4e8f1a3c5b"
        ));
        assert!(rejected(
            "integrity: ",
            "sha512-Zk3b1Lq8x0PsYv2Wn5Mc7Rt9Ud4Fe6Hg1Ji3Ko5Lp7=="
        ));
        assert!(rejected("token_version = ", "v10.4.0-beta.1"));
        assert!(rejected("key_path = ", "/etc/ssl/private/server.key"));
        assert!(rejected("key_file: ", "config/keys/signing.pem"));
        assert!(rejected("token_class = ", "com.example.auth.TokenProvider"));
        assert!(rejected("secret_name = ", "database_master_password"));
        assert!(rejected("tokenKey = ", "accessTokenStorageKey"));
        assert!(rejected(
            "cache_key_hash = ",
            "5b7a767c76fb008f86bebb2737f6a6f0fb23c6f5"
        ));
        assert!(rejected("auth_token = ", "thisisnotarealtokenvalue"));
        assert!(rejected("ALGORITHM = ", "PBKDF2WithHmacSHA256"));
        assert!(rejected("api_key = ", "test-api-key-perpetual-12345"));
        assert!(rejected("'api_key': '", "2fFZuXXX_CXB5XXXDGMRXXXDiCKTer"));
        assert!(rejected(
            "\"tokenId\": \"",
            "0x6d1e7cde53ba9467b783cb7c530ce054"
        ));
        assert!(rejected(
            "quoteTokenAddress=",
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
        ));
        assert!(rejected("pub GetContextToken: ", "SpGetContextTokenFn"));
        assert!(rejected(
            "pub Password: ",
            "super::Win32::Foundation::UNICODE_STRING"
        ));
        assert!(rejected("utf8_passthru: ", "self.utf8_passthru"));
        assert!(rejected("\"timePasswordChanged\":", "1589282475000"));
        assert!(rejected("password_selector = '", "#password-field"));
        assert!(rejected("token_route: '", "sessions#refresh"));
        assert!(rejected("'password' => '", "required|string|confirmed"));
        assert!(rejected("secret_artifact = ", "artifact-1.2.3"));
        assert!(rejected("token_lib = ", "spring-security-oauth2-2.5.2"));
        assert!(rejected(
            "ALGOLIA_SEARCH_KEY=",
            "6be0576ff61c053d5f9a3225e2a90f76"
        ));
        assert!(rejected(
            "NEXT_PUBLIC_SUPABASE_ANON_KEY=",
            "sb_publishable_Qx9Lm2Zr8Kp4Wn7Tv3Yh"
        ));
        // `NAME: Type = value`: the candidate is a type.
        assert!(is_not_a_secret(
            b"D3DVSD_TOKEN_END: ",
            b"D3DVSD_TOKENTYPE",
            b" = 7i32;",
            b"",
            false
        ));
        assert!(rejected(
            "api_key_id: ",
            "0f8b3c2e-5a1d-4c7e-9b2a-6d4e8f1a3c5b"
        ));
    }
}
