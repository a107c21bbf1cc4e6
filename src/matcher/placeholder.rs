//! Rejects values that are shaped like a secret but are documentation, templates or code:
//! `your_api_key_here`, `xxxx…`, `${VAR}`, `<token>`, `changeme`, `aaaaaaaa`, `12345678`,
//! `process.env.TOKEN`. False positives are why users switch scanners off.

use std::sync::OnceLock;

use aho_corasick::AhoCorasick;

/// Substrings (lowercase) that mark a value as a placeholder or a reference, not a secret.
const MARKERS: &[&str] = &[
    "example",
    "xxxx",
    "****",
    "....",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpass",
    "changeme",
    "change_me",
    "change-me",
    "replaceme",
    "replace_me",
    "redacted",
    "dummy",
    "insert_",
    "insert-",
    "${",
    "$(",
    "%(",
    "%s",
    "process.env",
    "os.environ",
    "getenv",
    "env(",
    "env[",
    "secrets.",
    "config.",
    "settings.",
    // The signature of jwt.io's and RFC 7519-style documentation tokens: a public example.
    "sflkxwrjsmekkf2qt4fwpmejf36pok6yjv_adqssw5c",
];

/// Whole values (lowercase) that are words, not secrets.
const STOPWORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "true",
    "false",
    "null",
    "none",
    "nil",
    "undefined",
    "string",
    "required",
    "optional",
    "empty",
    "default",
    "test",
    "testing",
    "admin",
    "root",
    "user",
    "username",
    "login",
    "private",
    "public",
    "bearer",
    "basic",
    "guest",
    // Passwords that documentation and tutorials use (MongoDB's, PostgreSQL's, git's).
    "abc123",
    "xyz123",
    "pass123",
    "mypassword",
    "mysecretpassword",
    "mysecret",
    "p@ssw0rd",
    "passw0rd",
    "p4ssw0rd",
    "pa55w0rd",
    "pa55word",
    "hunter2",
    "letmein",
    "qwerty",
    "s3cr3t",
    "sekret",
    "foobar",
];

fn markers() -> &'static AhoCorasick {
    static MARKERS_AC: OnceLock<AhoCorasick> = OnceLock::new();
    MARKERS_AC.get_or_init(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(MARKERS)
            .expect("markers are plain literals")
    })
}

pub fn is_placeholder(value: &[u8]) -> bool {
    if has_marker(value) || is_template(value) {
        return true;
    }
    let start = value.iter().position(u8::is_ascii_alphanumeric);
    let end = value.iter().rposition(u8::is_ascii_alphanumeric);
    if let (Some(s), Some(e)) = (start, end) {
        let core = &value[s..=e];
        // `secret`, and `secret123` / `password1`: a word with a number on the end.
        let word = match core.iter().rposition(|b| !b.is_ascii_digit()) {
            Some(last) => &core[..=last],
            None => core,
        };
        if STOPWORDS.iter().any(|w| {
            core.eq_ignore_ascii_case(w.as_bytes()) || word.eq_ignore_ascii_case(w.as_bytes())
        }) {
            return true;
        }
    }
    if is_reference(value) || is_elided(value) {
        return true;
    }
    is_low_variety(value) || is_sequential(value) || has_sequential_run(value)
}

/// `$VAR`, `$PWD/askpass`, `$config.db.password`, `@var`, `%VAR%`: a reference to where the
/// secret really lives. A crypt hash starts with `$` too, but its scheme is followed by
/// another `$` (`$2b$12$…`, `$6$salt$…`, `$apr1$…`, `$P$…`).
fn is_reference(value: &[u8]) -> bool {
    let (Some(&sigil), Some(&next)) = (value.first(), value.get(1)) else {
        return false;
    };
    if !(next.is_ascii_alphabetic() || next == b'_') {
        return false;
    }
    let name_end = value[1..]
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .map_or(value.len(), |i| i + 1);
    match sigil {
        b'$' => value.get(name_end) != Some(&b'$'),
        b'@' | b'%' => value[name_end..]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'%' | b'-')),
        _ => false,
    }
}

/// Whether a marker is in `value`. Four `x`s in a row turn up by chance in long random values
/// (about once in a 10 kB key), so past 64 bytes a run of them must be eight long.
fn has_marker(value: &[u8]) -> bool {
    const XXXX: usize = 1;
    debug_assert_eq!(MARKERS[XXXX], "xxxx");
    markers().find_overlapping_iter(value).any(|m| {
        m.pattern().as_usize() != XXXX
            || value.len() <= 64
            || value[m.start()..]
                .iter()
                .take_while(|b| b.eq_ignore_ascii_case(&b'x'))
                .count()
                >= 8
    })
}

/// `<token>`, `<your api key>`, `{{ .Values.token }}`: a slot to fill in. A bare `<` or `{`
/// is just a character (WordPress salts have them).
fn is_template(value: &[u8]) -> bool {
    let angle = value.iter().position(|&b| b == b'<').is_some_and(|open| {
        value[open + 1..]
            .iter()
            .position(|&b| b == b'>')
            .is_some_and(|len| {
                let inner = &value[open + 1..open + 1 + len];
                !inner.is_empty()
                    && inner.iter().all(|b| {
                        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b' ' | b'.')
                    })
            })
    });
    let braces = memchr::memmem::find(value, b"{{")
        .is_some_and(|open| memchr::memmem::find(&value[open..], b"}}").is_some());
    // `%TestSource%Password%`, `%DB_PASSWORD%`: Windows and NuGet environment references.
    let percent = value.split(|&b| b == b'%').skip(1).any(|name| {
        name.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    }) && value.iter().filter(|&&b| b == b'%').count() >= 2;
    angle || braces || percent
}

/// `ghp_abc123...`, `sk_live_…`: a value cut short in documentation.
fn is_elided(value: &[u8]) -> bool {
    value.ends_with(b"...") || value.ends_with("…".as_bytes())
}

/// Eight or more consecutive letters or digits in order somewhere in the value, counting its
/// letters and its digits apart: `sk_abcdefgh…`, `…1234567890`, `a1b2c3d4e5f6g7h8`, and the
/// SDK samples' `AbC123dEf456GhI789jKl012`. Random text holds such a run about once in
/// 26^7 positions.
fn has_sequential_run(value: &[u8]) -> bool {
    const RUN: usize = 8;
    let letters = value
        .iter()
        .filter(|b| b.is_ascii_alphabetic())
        .map(u8::to_ascii_lowercase);
    let digits = value.iter().copied().filter(u8::is_ascii_digit);
    let longest = |seq: &mut dyn Iterator<Item = u8>| {
        let (mut best, mut run, mut prev) = (0, 0, None::<u8>);
        for b in seq {
            let next = prev.map(|p| if p == b'9' { b'0' } else { p + 1 });
            run = if next == Some(b) { run + 1 } else { 1 };
            best = best.max(run);
            prev = Some(b);
        }
        best
    };
    longest(&mut { letters }) >= RUN || longest(&mut { digits }) >= RUN
}

/// Fewer than four distinct bytes (`aaaaaaaa`, `abababab`, `00000000`).
fn is_low_variety(value: &[u8]) -> bool {
    let mut seen = [false; 256];
    let mut distinct = 0;
    for &b in value {
        if !seen[b as usize] {
            seen[b as usize] = true;
            distinct += 1;
            if distinct >= 4 {
                return false;
            }
        }
    }
    true
}

/// The whole value is a run of consecutive bytes (`abcdefgh`, `12345678`, `987654321`).
fn is_sequential(value: &[u8]) -> bool {
    if value.len() < 4 {
        return false;
    }
    // `1234567890` counts too: keyboards put 0 after 9.
    let up = value
        .windows(2)
        .all(|w| w[1] == w[0].wrapping_add(1) || (w[0] == b'9' && w[1] == b'0'));
    let down = value.windows(2).all(|w| w[1] == w[0].wrapping_sub(1));
    up || down
}

/// A word, code identifier or dotted path (`directly`, `get_password`, `myApiToken`,
/// `DiagnosticManifest`, `config.db.password`): letters and `_ . - :` only, with words of
/// several letters (at most one lower-to-upper hump per five letters). Random secrets almost
/// always contain a digit, and mixed-case random letters hump about once per four letters.
/// Not for values after a fixed prefix: one case of random letters, as in 3.6% of AWS key
/// ids (16 base32 characters without one of its six digits), is shaped like an identifier.
pub fn is_identifier(value: &[u8]) -> bool {
    if !value
        .iter()
        .all(|&b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'.' | b'-' | b':'))
    {
        return false;
    }
    let letters = value.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let humps = value
        .windows(2)
        .filter(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
        .count();
    humps * 5 <= letters
}

/// One word of letters (`sunshine`, `Dragonfly`), not a compound name (`userPassword`,
/// `newpassword`): what people choose as a weak password.
pub fn is_single_word(value: &[u8]) -> bool {
    const NAMES: &[&[u8]] = &[b"pass", b"word", b"secret", b"token", b"key", b"auth"];
    let lower = value.to_ascii_lowercase();
    value.iter().all(u8::is_ascii_alphabetic)
        && value[1..].iter().all(u8::is_ascii_lowercase)
        && !NAMES
            .iter()
            .any(|n| lower.windows(n.len()).any(|w| w == *n))
}

#[cfg(test)]
mod tests {
    use super::{is_identifier, is_placeholder, is_single_word};

    #[test]
    fn single_words() {
        assert!(is_single_word(b"sunshine"));
        assert!(is_single_word(b"Dragonfly"));
        assert!(!is_single_word(b"userPassword"));
        assert!(!is_single_word(b"newpassword"));
        assert!(!is_single_word(b"hunter22"));
    }

    #[test]
    fn rejects_placeholders() {
        for v in [
            "your_api_key_here",
            "xxxxxxxxxxxxxxxxxxxx",
            "${API_TOKEN}",
            "{{ .Values.token }}",
            "<token>",
            "changeme",
            "aaaaaaaaaaaaaaaa",
            "abcdefghijklmnop",
            "1234567890",
            "process.env.GITHUB_TOKEN",
            "$SECRET_KEY",
            "AKIAIOSFODNN7EXAMPLE",
            "password",
            "$config.db.password",
            "sk_live_abcdefghXq9Z2mLw",
            "token_x9Q1234567890",
            "a1b2c3d4e5f6g7h8i9j0",
            "AIzaSyDOCAbC123dEf456GhI789jKl012-MnO",
            "ghp_Zx81kLq0...",
            "TestSource%Password%",
        ] {
            assert!(is_placeholder(v.as_bytes()), "{v} should be a placeholder");
        }
        // A crypt hash starts with `$` but names nothing. Assembled at run time, so that
        // keyhound scanning its own source does not flag them.
        for hash in [
            [
                "$2b$12$R9h/cIPz0gi.URNNX3kh2",
                "OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
            ]
            .concat(),
            ["$apr1$Qb2xT4zK$0mWqH7", "vN3pL8sD1fG6jR9."].concat(),
            ["$P$B4zQx9Lm2Rv7Kp1", "Wn8Ts3Hy6Jd0Fa5/"].concat(),
        ] {
            assert!(!is_placeholder(hash.as_bytes()), "{hash}");
        }
        assert!(is_placeholder(b"$PWD/askpass"));
    }

    #[test]
    fn keeps_random_values() {
        // Random letters of one case: not a placeholder, though shaped like an identifier.
        // Assembled at run time, so that keyhound scanning its own source does not flag it.
        let key_id = ["AKIA", "QLXUUSIKDPRYPYOJ"].concat();
        for v in [
            "q8Zr2Lw0pX4vN7bT1mK9",
            "hunter2Correct7Horse",
            "9f86d081884c7d659a2feaa0c55ad015",
            "Zm9vYmFyYmF6cXV4MTIzNDU2",
            "qWeRtYuIoPaSdFgHjKlZxCvB",
            &key_id,
        ] {
            assert!(!is_placeholder(v.as_bytes()), "{v} should be kept");
        }
    }

    #[test]
    fn identifiers() {
        for v in [
            "get_password_from_vault",
            "myApiTokenValue",
            "DiagnosticManifest",
            "directly",
            "config.db.password",
        ] {
            assert!(is_identifier(v.as_bytes()), "{v} is an identifier");
        }
        for v in ["q8Zr2Lw0pX4vN7bT1mK9", "qWeRtYuIoPaSdFgHjKlZxCvB"] {
            assert!(!is_identifier(v.as_bytes()), "{v} is not an identifier");
        }
    }
}
