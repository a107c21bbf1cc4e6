//! Content: the bytes to scan and where they came from. Every source produces these; the
//! matcher and reporters never need to know whether bytes came from a file or a pipe.

/// How many leading bytes decide whether content is binary (a NUL byte there means binary,
/// as git and ripgrep decide).
pub const BINARY_SNIFF_LEN: usize = 8192;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file on disk, shown by its path relative to the scan root.
    File {
        display: String,
    },
    Stdin,
}

impl Origin {
    /// The path shown in reports and hashed into fingerprints.
    pub fn display(&self) -> &str {
        match self {
            Origin::File { display } => display,
            Origin::Stdin => "<stdin>",
        }
    }
}

pub struct Content {
    pub origin: Origin,
    pub bytes: Vec<u8>,
}

/// What kind of text the content is, as far as false positives go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContentKind {
    #[default]
    Source,
    /// Dependency lockfiles: thousands of hashes and URLs, no hand-written secrets.
    Lockfile,
    /// Minified or generated code: generic matches there are less likely to be real.
    Generated,
    /// Tests and fixtures: full of made-up credentials; generic matches there are less likely
    /// to be real too.
    Test,
}

/// Directory names that hold tests and test data.
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "spec",
    "specs",
    "testdata",
    "test_data",
    "fixtures",
    "mocks",
    "__mocks__",
];

/// File names of dependency lockfiles.
const LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "cargo.lock",
    "go.sum",
    "poetry.lock",
    "pipfile.lock",
    "uv.lock",
    "pdm.lock",
    "composer.lock",
    "gemfile.lock",
    "podfile.lock",
    "packages.lock.json",
    "flake.lock",
    "mix.lock",
    "pubspec.lock",
    "gradle.lockfile",
    "package.resolved",
];

impl ContentKind {
    /// Decided by the file name, and for generated code by the line lengths: minified files
    /// have few, very long lines.
    pub fn of(path: &str, bytes: &[u8]) -> ContentKind {
        let name = path
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(path)
            .to_ascii_lowercase();
        if LOCKFILES.contains(&name.as_str()) {
            return ContentKind::Lockfile;
        }
        let generated_name = [
            ".min.js",
            ".min.css",
            ".min.mjs",
            ".bundle.js",
            ".js.map",
            ".css.map",
            ".pb.go",
            "_pb2.py",
            ".g.dart",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix));
        // Fewer than one newline per 1000 bytes; counting stops at that many, so ordinary
        // source is decided in its first few percent instead of a pass over all of it.
        let enough = bytes.len() / 1000;
        let long_lines =
            bytes.len() > 4096 && memchr::memchr_iter(b'\n', bytes).take(enough).count() < enough;
        let lower = path.to_ascii_lowercase();
        let mut dirs = lower.split(['/', '\\']);
        dirs.next_back();
        let test_dir = dirs.any(|d| TEST_DIRS.contains(&d));
        let test_file = name.starts_with("test_")
            || [
                "_test.go",
                "_test.py",
                ".test.js",
                ".test.ts",
                ".spec.js",
                ".spec.ts",
                "test.java",
                "_spec.rb",
            ]
            .iter()
            .any(|suffix| name.ends_with(suffix));
        if generated_name || long_lines {
            ContentKind::Generated
        } else if test_dir || test_file {
            ContentKind::Test
        } else {
            ContentKind::Source
        }
    }
}

/// UTF-16 text as UTF-8: with a byte-order mark, or without one when the start is ASCII with
/// every other byte NUL (Windows tools write `.reg`, PowerShell and `.ini` files so). `None`
/// for anything else. Secrets in UTF-16 files are otherwise invisible: the NULs make the file
/// look binary.
pub fn utf16_text(bytes: &[u8]) -> Option<Vec<u8>> {
    let (little_endian, body) = utf16_layout(bytes)?;
    let units = body.chunks_exact(2).map(|c| {
        if little_endian {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Some(text.into_bytes())
}

/// Whether `bytes` are UTF-16 text (see `utf16_text`), without transcoding them.
pub fn is_utf16(bytes: &[u8]) -> bool {
    utf16_layout(bytes).is_some()
}

/// Byte order (little-endian?) and the code units after any byte-order mark.
fn utf16_layout(bytes: &[u8]) -> Option<(bool, &[u8])> {
    Some(match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => {
            let sample = &bytes[..bytes.len().min(512) & !1];
            if sample.len() < 8 {
                return None;
            }
            let pairs = sample.len() / 2;
            let zero_at = |parity: usize| {
                sample
                    .iter()
                    .skip(parity)
                    .step_by(2)
                    .filter(|&&b| b == 0)
                    .count()
            };
            let (even, odd) = (zero_at(0), zero_at(1));
            if odd * 10 >= pairs * 9 && even == 0 {
                (true, bytes)
            } else if even * 10 >= pairs * 9 && odd == 0 {
                (false, bytes)
            } else {
                return None;
            }
        }
    })
}

pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF_LEN)]).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_means_nul_in_the_first_block() {
        assert!(!is_binary(b"plain text\n"));
        assert!(is_binary(b"PK\x03\x04\x00\x00"));
        let mut late = vec![b'a'; BINARY_SNIFF_LEN];
        late.push(0);
        assert!(!is_binary(&late));
    }

    #[test]
    fn utf16_is_text() {
        let le: Vec<u8> = "\u{feff}token = abc\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(utf16_text(&le).unwrap(), "token = abc\r\n".as_bytes());
        let be_no_bom: Vec<u8> = "[Settings]\nname=value1234\n"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(
            utf16_text(&be_no_bom).unwrap(),
            "[Settings]\nname=value1234\n".as_bytes()
        );
        assert!(utf16_text(b"plain ascii text here").is_none());
        assert!(utf16_text(&[0u8; 64]).is_none());
    }

    #[test]
    fn lockfiles_and_generated_code() {
        assert_eq!(
            ContentKind::of("web/package-lock.json", b"{}"),
            ContentKind::Lockfile
        );
        assert_eq!(ContentKind::of("Cargo.lock", b""), ContentKind::Lockfile);
        assert_eq!(ContentKind::of("app.min.js", b"x"), ContentKind::Generated);
        let minified = vec![b'a'; 10_000];
        assert_eq!(
            ContentKind::of("bundle.js", &minified),
            ContentKind::Generated
        );
        assert_eq!(
            ContentKind::of("src/main.rs", b"fn main() {}\n"),
            ContentKind::Source
        );
        assert_eq!(
            ContentKind::of("pkg/auth/token_test.go", b"x"),
            ContentKind::Test
        );
        assert_eq!(
            ContentKind::of("test/unit/auth.py", b"x"),
            ContentKind::Test
        );
        assert_eq!(
            ContentKind::of("src/attestation.rs", b"x"),
            ContentKind::Source
        );
    }
}
