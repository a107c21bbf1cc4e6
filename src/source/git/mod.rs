//! Git as a source: the plumbing that history and staged scans share (opening a repository,
//! libgit2's tuning, submodules, commit metadata), the history walk, and the two sources.

pub mod history;
pub mod metadata;
pub mod pack;
pub mod staged;
pub mod walk;

use std::path::{Path, PathBuf};

use git2::{Oid, Repository};

use crate::content::{CommitInfo, ObjectId};

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{0}: not a git repository ({1})")]
    NotARepository(String, String),
    #[error("'{0}' does not name a commit in this repository ({1})")]
    BadRevision(String, String),
    #[error("cannot walk the history: {0}")]
    Walk(String),
}

pub fn open(path: &Path) -> Result<Repository, GitError> {
    Repository::open_ext(
        path,
        git2::RepositoryOpenFlags::empty(),
        std::iter::empty::<&std::ffi::OsStr>(),
    )
    .map_err(|e| GitError::NotARepository(path.display().to_string(), e.message().into()))
}

/// The top of the work tree holding `path` (where `.keyhound.toml` and `.keyhoundignore`
/// live), if any: none for a bare repository or a path outside git.
pub fn work_tree_top(path: &Path) -> Option<PathBuf> {
    let repo = open(path).ok()?;
    repo.workdir().map(Path::to_path_buf)
}

/// The URL of the repository's `origin` remote, else of its first remote.
pub fn remote_url(path: &Path) -> Option<String> {
    let repo = open(path).ok()?;
    let remotes = repo.remotes().ok()?;
    let names: Vec<String> = remotes
        .iter()
        .filter_map(|n| n.ok().flatten().map(str::to_string))
        .collect();
    let name = names
        .iter()
        .find(|n| *n == "origin")
        .or_else(|| names.first())?;
    let remote = repo.find_remote(name).ok()?;
    remote.url().ok().map(str::to_string)
}

/// libgit2 maps pack files in windows of 1 GiB, up to 8 GiB (its 64-bit defaults), and
/// unmaps none below that: a history scan touches every page of every pack, so its resident
/// memory grew with the repository (peak RSS on git/git: 658 MiB with the defaults). Windows
/// of 32 MiB, three per worker (192 MiB on 2 cores), bound it at 250 MiB on git/git. Fewer
/// remap: the tree walk reads all over the pack, and with 16 MiB, two per worker, git/git's
/// scan spent 12 s of system time in mmap and munmap and took 33 s instead of 26.
///
/// It also lets libgit2 open a repository that another user owns (a checkout mounted into a
/// container, a CI workspace): that check (git's `safe.directory`) guards against running
/// programs a planted config names, and keyhound only reads objects and never runs any.
///
/// # Safety
/// This writes three of libgit2's process-wide settings without a lock: call it before any
/// thread that may use libgit2 starts (keyhound's `main` calls it first thing).
pub unsafe fn configure_libgit2(workers: usize) {
    const WINDOW: usize = 32 << 20;
    let limit = WINDOW.saturating_mul(3).saturating_mul(workers.max(2));
    // SAFETY: the caller guarantees that no other thread uses libgit2 yet.
    let set = unsafe {
        git2::opts::set_mwindow_size(WINDOW)
            .and_then(|()| git2::opts::set_mwindow_mapped_limit(limit))
            .and_then(|()| git2::opts::set_verify_owner_validation(false))
    };
    // Only ever fails on an unknown option: memory would then be unbounded, not wrong.
    debug_assert!(set.is_ok());
}

/// Settings for reading every object once.
fn tune_for_reading_everything() {
    // libgit2's object cache (256 MiB by default) would keep trees that the walk never asks
    // for again: without it, peak memory on git/git fell from 1.14 GiB to 0.66 GiB.
    git2::opts::enable_caching(false);
    // libgit2 re-hashes every object it reads (SHA-1 with collision detection: a third of the
    // walk's time on git/git). `git cat-file` does not; zlib's checksum still catches damage.
    git2::opts::strict_hash_verification(false);
}

/// Checked-out submodules, recursively, with their paths in the superproject; one note for
/// each that is not checked out.
fn submodules(repo: &Repository, notes: &mut Vec<String>) -> Vec<(String, Repository)> {
    let mut out = Vec::new();
    for sm in repo.submodules().unwrap_or_default() {
        let prefix = sm.path().to_string_lossy().into_owned();
        match sm.open() {
            Ok(sub) => {
                for (inner, r) in submodules(&sub, notes) {
                    out.push((format!("{prefix}/{inner}"), r));
                }
                out.push((prefix, sub));
            }
            Err(e) => notes.push(format!(
                "submodule {prefix}: not checked out, skipped ({})",
                e.message()
            )),
        }
    }
    out
}

fn commit_info(repo: &Repository, id: &ObjectId) -> Option<CommitInfo> {
    let commit = repo.find_commit(Oid::from_bytes(&id.0).ok()?).ok()?;
    let author = commit.author();
    let when = author.when();
    Some(CommitInfo {
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: crate::time::iso8601(when.seconds(), when.offset_minutes()),
        message: commit
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
    })
}

fn object_id(id: Oid) -> ObjectId {
    let mut raw = [0u8; 20];
    let bytes = id.as_bytes();
    let n = bytes.len().min(20);
    raw[..n].copy_from_slice(&bytes[..n]);
    ObjectId(raw)
}

/// A Git LFS pointer file: the content lives elsewhere, so it is reported as skipped.
pub fn is_lfs_pointer(data: &[u8]) -> bool {
    data.len() < 1024 && data.starts_with(b"version https://git-lfs.github.com/spec/v1")
}

#[cfg(test)]
mod tests {
    use super::is_lfs_pointer;

    #[test]
    fn lfs_pointers() {
        assert!(is_lfs_pointer(
            b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n"
        ));
        assert!(!is_lfs_pointer(b"hello"));
    }
}
