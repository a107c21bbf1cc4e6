//! Sources: each one produces `Content` (bytes with their provenance) and hands it to a
//! `Sink`, the scanner, which runs one pipeline for all of them.
//!
//! - `worktree`: files under the given paths (the `ignore` crate's parallel walker);
//! - `stdin`: standard input, as one piece of content;
//! - `git::history`: every unique blob of a repository's history once, with the (path,
//!   commit) sites where it appears;
//! - `git::staged`: the files staged for the next commit, with the lines they add;
//! - `archive`: the members of an archive that any of them delivered (the scanner opens it),
//!   with `image` naming the layers and config of a saved container image.
//!
//! Adding a source is one module implementing `Source`, plus a `content::Provenance` variant
//! when its content stands somewhere new (an archive member, an image layer).

pub mod archive;
pub mod git;
pub mod image;
pub mod stdin;
pub mod worktree;

use crate::content::{CommitInfo, Content, ObjectId};

/// What a source reads from.
pub trait Source {
    /// Hands every piece of content to `sink`, in parallel where the source allows. Problems
    /// with one item go to the sink and the scan goes on; an error here means the source as a
    /// whole could not be read (not a repository, a bad revision).
    fn scan(&self, sink: &dyn Sink) -> Result<(), SourceError>;

    /// What one item is called in the summary.
    fn unit(&self) -> Unit {
        Unit::File
    }

    /// How many commits the source walked (history sources).
    fn commits(&self) -> u64 {
        0
    }

    /// The commits walked with the earliest and the latest author date, for the summary.
    fn span(&self) -> Option<(ObjectId, ObjectId)> {
        None
    }

    /// Who wrote a commit: looked up for reported findings only, since most blobs' commits are
    /// never shown.
    fn describe_commit(&self, _id: &ObjectId) -> Option<CommitInfo> {
        None
    }
}

/// Where sources deliver content and report what they could not deliver. Implemented by the
/// scanner; called from many threads at once.
pub trait Sink: Sync {
    /// Whether an item of `size` bytes should be read at all (over `--max-file-size` it is
    /// counted and skipped). `what` names it, for `-v`.
    fn wants(&self, what: &dyn Fn() -> String, size: u64) -> bool;
    /// Content to scan.
    fn content(&self, content: Content<'_>);
    /// An item passed over, and why: counted, and named with `-v`.
    fn skipped(&self, what: &str, why: Skip);
    /// `n` items passed over for the same reason, counted without names.
    fn passed_over(&self, why: Skip, n: u64);
    /// An item that could not be read: one line, counted; the scan goes on.
    fn error(&self, message: String);
    /// An item the user asked for by name that could not be read: like `error`, and the run
    /// fails (exit 2) once the report is out.
    fn fatal(&self, message: String);
    /// Something the user should know that is not an error (a shallow clone).
    fn note(&self, message: String);
    /// Whether the content `id` (a blob or commit id), scanned under `path`, held nothing when
    /// an earlier scan with the same rules and options read it (`--cache`): then the source
    /// need not read it again. Counted.
    /// `path` is only made when there is a cache to ask.
    fn known_clean(&self, _id: &ObjectId, _path: &dyn Fn() -> String) -> bool {
        false
    }
    /// How many items are coming, when the source knows ahead (a progress bar's length).
    fn expect(&self, _items: u64) {}
    /// An archive was opened (its members come as content).
    fn opened_archive(&self) {}
    /// An archive was a saved container image (or several), of `layers` layers in all.
    fn opened_image(&self, _images: u64, _layers: u64) {}
    /// Over what size a file that is an archive is still wanted, read as a stream through
    /// `archive_file` (None: such files are too large like any other).
    fn streams_archives_over(&self) -> Option<u64> {
        None
    }
    /// A file too large to hold that is an archive (`format`), to read as it streams.
    fn archive_file(
        &self,
        _provenance: crate::content::Provenance,
        _file: std::fs::File,
        _format: archive::Format,
        _size: u64,
    ) {
    }
}

/// Why an item was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Over `--max-file-size`: its size in bytes.
    TooLarge(u64),
    Binary,
    /// A Git LFS pointer: the content lives elsewhere.
    LfsPointer,
    /// Excluded by `.gitignore`, `.ignore` or git's exclude files (or hidden, with
    /// `--no-hidden`).
    Ignored,
    /// A symbolic link: never followed.
    Symlink,
    /// A FIFO, socket or device: reading one can block forever.
    NotARegularFile,
    /// An encrypted archive member: its text cannot be read without the password.
    Encrypted,
    /// An archive stopped at a limit (its expansion budget, a bomb's ratio, its member
    /// count): the warning says which.
    ArchiveLimit,
    /// An archive nested deeper than `--archive-depth`, not opened.
    TooDeep,
}

impl Skip {
    pub fn reason(self) -> String {
        match self {
            Skip::TooLarge(size) => format!("{size} bytes, over --max-file-size"),
            Skip::Binary => "binary".into(),
            Skip::LfsPointer => "Git LFS pointer".into(),
            Skip::Ignored => "ignored (.gitignore, .ignore, git exclude or --no-hidden)".into(),
            Skip::Symlink => "symbolic link, not followed".into(),
            Skip::NotARegularFile => "not a regular file (FIFO, socket or device)".into(),
            Skip::Encrypted => "an encrypted archive member".into(),
            Skip::ArchiveLimit => "an archive over its limits, not scanned to the end".into(),
            Skip::TooDeep => "an archive nested deeper than --archive-depth".into(),
        }
    }
}

/// What the summary counts a source's items as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    #[default]
    File,
    Blob,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Unit::File => "file",
            Unit::Blob => "blob",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Git(#[from] git::GitError),
    #[error("{what}: cannot read: {source}")]
    Read {
        what: String,
        #[source]
        source: std::io::Error,
    },
}
