//! Content: the bytes to scan and their provenance. Every source produces `Content`; the
//! scanner places findings by its provenance, and reporters show each finding's `Origin`.

/// How many leading bytes decide whether content is binary (a NUL byte there means binary,
/// as git and ripgrep decide).
pub const BINARY_SNIFF_LEN: usize = 8192;

/// Bytes to scan and where they came from. Sources lend the bytes (a file just read, a blob
/// inflated by libgit2) for the duration of one scan.
pub struct Content<'a> {
    pub provenance: Provenance,
    pub bytes: &'a [u8],
    /// How the bytes are made from another blob's, when the source knows (a git pack stores
    /// most blobs so): the scanner then reads only what changed.
    pub delta: Option<Delta>,
    /// How many contents still to come are deltas against this one: the scanner keeps what
    /// it found here until they are scanned.
    pub reused_by: u32,
}

/// Content described as pieces of another blob (`base`) and new bytes, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub base: ObjectId,
    pub pieces: Vec<Piece>,
}

/// `len` bytes of content at `at`: copied from the base at `from`, or new (`from` is None).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub at: usize,
    pub len: usize,
    pub from: Option<usize>,
}

/// Where content came from: everything the scanner needs to place findings in it, and the
/// places (one for a file, every (path, commit) of a git blob) that each finding is reported at.
/// A new kind of source adds a variant here and the places it stands at in `origins`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// A file on disk, shown by its path relative to the scan root.
    File {
        path: String,
    },
    Stdin,
    /// A blob of git history, at every path and first commit where it appears (never empty;
    /// earliest commit first).
    Blob {
        id: ObjectId,
        sites: Vec<BlobSite>,
    },
    /// A file staged for the next commit: only findings on the lines it adds count.
    Staged {
        path: String,
        blob: ObjectId,
        added_lines: std::collections::BTreeSet<usize>,
    },
    /// Text a history holds besides files: a commit or tag message, a note, the
    /// repository's configuration. `shown` says which (`<commit ID message>`, `.git/config`);
    /// `commit` is the commit it belongs to, when it belongs to one.
    Metadata {
        shown: String,
        commit: Option<CommitRef>,
    },
    /// A member of an archive (`source::archive`), at `member` inside the content `archive`
    /// came from (which may be a member itself).
    Member {
        archive: std::sync::Arc<Provenance>,
        member: String,
    },
}

/// One place a git blob stands: a path, and the commit that first put it there (none for a
/// blob that no ref reaches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobSite {
    pub path: String,
    pub commit: Option<CommitRef>,
}

impl Provenance {
    /// The path that decides what kind of text this is (a blob's first path).
    pub fn path(&self) -> &str {
        match self {
            Provenance::File { path } | Provenance::Staged { path, .. } => path,
            Provenance::Stdin => STDIN,
            Provenance::Blob { sites, .. } => sites.first().map_or("", |s| s.path.as_str()),
            Provenance::Member { member, .. } => member,
            Provenance::Metadata { shown, .. } => shown,
        }
    }

    /// How many archives deep this content is (0: not in an archive).
    pub fn archive_depth(&self) -> usize {
        match self {
            Provenance::Member { archive, .. } => 1 + archive.archive_depth(),
            _ => 0,
        }
    }

    /// How `-v` and warnings name this content.
    pub fn label(&self) -> String {
        match self {
            Provenance::Blob { id, .. } => format!("blob {id} ({})", self.path()),
            Provenance::Member { archive, member } => format!("{}!{member}", archive.label()),
            _ => self.path().to_string(),
        }
    }

    /// Every place this content stands, where its findings are reported.
    pub fn origins(&self) -> Vec<Origin> {
        match self {
            Provenance::File { path } => vec![Origin::File { path: path.clone() }],
            Provenance::Stdin => vec![Origin::Stdin],
            Provenance::Blob { id, sites } => sites
                .iter()
                .map(|s| Origin::Blob {
                    path: s.path.clone(),
                    blob: *id,
                    commit: s.commit.clone(),
                })
                .collect(),
            Provenance::Staged { path, blob, .. } => vec![Origin::Staged {
                path: path.clone(),
                blob: *blob,
            }],
            Provenance::Metadata { shown, commit } => vec![Origin::Metadata {
                shown: shown.clone(),
                commit: commit.clone(),
            }],
            Provenance::Member { archive, member } => archive
                .origins()
                .into_iter()
                .map(|outer| Origin::Member {
                    shown: format!("{}{MEMBER_SEPARATOR}{member}", outer.path()),
                    outer: Box::new(outer),
                    member: member.clone(),
                })
                .collect(),
        }
    }

    /// Whether a finding on lines `first..=last` is in scope: for staged content, only one
    /// that touches a line the commit adds.
    pub fn in_scope(&self, first: usize, last: usize) -> bool {
        match self {
            Provenance::Staged { added_lines, .. } => {
                added_lines.range(first..=last).next().is_some()
            }
            _ => true,
        }
    }
}

/// How stdin is shown and fingerprinted.
pub const STDIN: &str = "<stdin>";
/// Between an archive's path and a member's: `release.zip!config/.env` (as Java's jar URLs).
pub const MEMBER_SEPARATOR: char = '!';

/// Where one finding is: the place its content stands, and for git, which blob and commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File {
        path: String,
    },
    Stdin,
    Blob {
        path: String,
        blob: ObjectId,
        commit: Option<CommitRef>,
    },
    Staged {
        path: String,
        blob: ObjectId,
    },
    /// A commit or tag message, a note, the repository's configuration.
    Metadata {
        shown: String,
        commit: Option<CommitRef>,
    },
    /// Inside an archive that stands at `outer`: `shown` is the outer path, `!`, and the
    /// member's path.
    Member {
        outer: Box<Origin>,
        member: String,
        shown: String,
    },
}

impl Origin {
    /// The path shown in reports and hashed into fingerprints.
    pub fn path(&self) -> &str {
        match self {
            Origin::File { path } | Origin::Blob { path, .. } | Origin::Staged { path, .. } => path,
            Origin::Stdin => STDIN,
            Origin::Member { shown, .. } | Origin::Metadata { shown, .. } => shown,
        }
    }

    /// The file (or the path in the repository) that holds the content: for an archive
    /// member, the outermost archive's.
    pub fn file(&self) -> &str {
        match self {
            Origin::Member { outer, .. } => outer.file(),
            _ => self.path(),
        }
    }

    /// Where inside the outermost archive, for a member: `inner.tar.gz!settings.json`.
    pub fn member(&self) -> Option<String> {
        match self {
            Origin::Member { outer, member, .. } => Some(match outer.member() {
                Some(m) => format!("{m}{MEMBER_SEPARATOR}{member}"),
                None => member.clone(),
            }),
            _ => None,
        }
    }

    pub fn commit(&self) -> Option<&CommitRef> {
        match self {
            Origin::Blob { commit, .. } | Origin::Metadata { commit, .. } => commit.as_ref(),
            Origin::Member { outer, .. } => outer.commit(),
            _ => None,
        }
    }

    pub fn blob(&self) -> Option<ObjectId> {
        match self {
            Origin::Blob { blob, .. } => Some(*blob),
            Origin::Member { outer, .. } => outer.blob(),
            _ => None,
        }
    }

    /// The commit of a history origin, to fill in who wrote it.
    pub fn commit_mut(&mut self) -> Option<&mut CommitRef> {
        match self {
            Origin::Blob { commit, .. } | Origin::Metadata { commit, .. } => commit.as_mut(),
            Origin::Member { outer, .. } => outer.commit_mut(),
            _ => None,
        }
    }
}

/// Reports show a file's path; a history finding adds its blob, its commit and who wrote it.
impl serde::Serialize for Origin {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("path", self.path())?;
        if let Some(member) = self.member() {
            map.serialize_entry("archive", self.file())?;
            map.serialize_entry("member", &member)?;
        }
        if let Some(blob) = self.blob() {
            map.serialize_entry("blob", &blob.to_string())?;
        }
        if let Some(c) = self.commit() {
            map.serialize_entry("commit", &c.id.to_string())?;
            // Where the commit stands in the walk (parents first): `keyhound merge` keeps the
            // earliest of a secret's findings across shard reports, as one run does.
            if c.order != u32::MAX {
                map.serialize_entry("commit_order", &c.order)?;
            }
            if let Some(info) = &c.info {
                map.serialize_entry("author", &info.author)?;
                map.serialize_entry("email", &info.email)?;
                map.serialize_entry("date", &info.date)?;
                map.serialize_entry("message", &info.message)?;
            }
        }
        map.end()
    }
}

/// A git object id (SHA-1), shown as hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(pub [u8; 20]);

impl std::fmt::Display for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl ObjectId {
    /// From 40 hex digits.
    pub fn from_hex(hex: &str) -> Option<ObjectId> {
        let hex = hex.as_bytes();
        if hex.len() != 40 {
            return None;
        }
        let mut id = [0u8; 20];
        for (i, pair) in hex.chunks(2).enumerate() {
            let digit = |b: u8| (b as char).to_digit(16);
            id[i] = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
        }
        Some(ObjectId(id))
    }
}

impl std::fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// The commit that brought a blob to a path: its place in the walk (parents first, so a lower
/// `order` is earlier), its id, and who wrote it (filled in for reported findings only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRef {
    pub order: u32,
    pub id: ObjectId,
    pub info: Option<CommitInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitInfo {
    pub author: String,
    pub email: String,
    /// Author date, ISO 8601 with the author's UTC offset.
    pub date: String,
    /// The commit message's first line.
    pub message: String,
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
    /// Configuration (YAML, .env, INI, properties, TOML): an unquoted value is a literal, not
    /// a name in code, so `password: sunshine` is a password.
    Config,
}

/// File name endings of configuration files.
const CONFIG_ENDINGS: &[&str] = &[
    ".yaml",
    ".yml",
    ".env",
    ".ini",
    ".cfg",
    ".conf",
    ".properties",
    ".toml",
];

/// Directory names that hold tests and test data (git's own tests live in `t/`).
const TEST_DIRS: &[&str] = &[
    "t",
    "test",
    "tests",
    "__tests__",
    "testing",
    "spec",
    "specs",
    "testdata",
    "test_data",
    "test-data",
    "testfiles",
    "test_files",
    "fixture",
    "fixtures",
    "__fixtures__",
    "test-fixtures",
    "test_fixtures",
    "mocks",
    "__mocks__",
    "mock",
    "e2e",
    "unittests",
    "integration_tests",
    "integration-tests",
];

/// Whether `path` is a test or a test fixture: a directory of tests above it, or a test
/// file's name. Credentials there are mostly made up, so findings there are lowered a level
/// and marked (`test_path`).
pub fn is_test_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let mut parts = lower.split(['/', '\\']);
    let name = parts.next_back().unwrap_or("");
    if parts.any(|d| TEST_DIRS.contains(&d)) {
        return true;
    }
    name.starts_with("test_")
        || [
            "_test.go",
            "_test.py",
            "_test.rb",
            "_test.rs",
            ".test.js",
            ".test.ts",
            ".test.jsx",
            ".test.tsx",
            ".spec.js",
            ".spec.ts",
            ".spec.jsx",
            ".spec.tsx",
            "test.java",
            "tests.java",
            "test.kt",
            "tests.cs",
            "test.cs",
            "_spec.rb",
            "test.php",
        ]
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

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
    // Lists of fingerprints other scanners should ignore: paths, rule ids and line numbers.
    ".gitleaksignore",
    ".secretsignore",
    ".keyhoundignore",
    ".secrets.baseline",
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
        if generated_name || long_lines {
            ContentKind::Generated
        } else if CONFIG_ENDINGS.iter().any(|e| name.ends_with(e)) || name.starts_with(".env") {
            ContentKind::Config
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
            ContentKind::of("src/attestation.rs", b"x"),
            ContentKind::Source
        );
    }

    #[test]
    fn configuration_files() {
        for p in [
            "deploy/values.yaml",
            ".env",
            ".env.production",
            "app.ini",
            "gradle.properties",
        ] {
            assert_eq!(ContentKind::of(p, b"a: b\n"), ContentKind::Config, "{p}");
        }
        assert_eq!(ContentKind::of("app.py", b"a = b\n"), ContentKind::Source);
    }

    #[test]
    fn test_paths() {
        for p in [
            "pkg/auth/token_test.go",
            "test/unit/auth.py",
            "t/t5551-http-fetch-smart.sh",
            "internal/testdata/config.yaml",
            "src/__fixtures__/keys.json",
            "spec/fixtures/creds.yml",
            "web/login.spec.ts",
        ] {
            assert!(is_test_path(p), "{p}");
        }
        for p in [
            "src/attestation.rs",
            "contest/main.go",
            "t.py",
            "latest/app.js",
        ] {
            assert!(!is_test_path(p), "{p}");
        }
    }
}
