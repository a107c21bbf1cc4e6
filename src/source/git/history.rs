//! A repository's history as a source: every unique blob that the commits in scope
//! introduced, read once (Nosey Parker's design) however many commits and paths share it, and
//! handed over with every (path, first commit) site where it appears.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use git2::Repository;
use rayon::prelude::*;

use super::walk::{self, History, Scope, Site};
use super::{commit_info, is_lfs_pointer, object_id, open, submodules, GitError};
use crate::content::{BlobSite, CommitInfo, CommitRef, Content, ObjectId, Provenance};
use crate::lock;
use crate::source::{Sink, Skip, Source, SourceError, Unit};

#[derive(Debug, Clone)]
pub struct HistoryOptions {
    pub scope: Scope,
    /// Also scan blobs that no ref reaches.
    pub unreachable: bool,
    pub recurse_submodules: bool,
    /// File names never scanned (keyhound's own config holds rule examples on purpose).
    pub exclude_names: Vec<Vec<u8>>,
}

pub struct GitHistory {
    path: PathBuf,
    opts: HistoryOptions,
    commits: AtomicU64,
    /// The repositories scanned (the superproject, then submodules): where commits are
    /// looked up for reported findings.
    repos: Mutex<Vec<Repository>>,
}

impl GitHistory {
    pub fn new(path: PathBuf, opts: HistoryOptions) -> GitHistory {
        GitHistory {
            path,
            opts,
            commits: AtomicU64::new(0),
            repos: Mutex::new(Vec::new()),
        }
    }

    fn scan_repository(
        &self,
        repo: &Repository,
        prefix: &str,
        scope: &Scope,
        sink: &dyn Sink,
    ) -> Result<(), GitError> {
        let exclude: Vec<&[u8]> = self.opts.exclude_names.iter().map(Vec::as_slice).collect();
        let workers = rayon::current_num_threads();
        let mut hist = walk::enumerate(repo, scope, &exclude, workers)?;
        for w in hist.warnings.drain(..) {
            sink.error(w);
        }
        if hist.shallow {
            sink.note("the repository is a shallow clone: history before its shallow boundary is not there to scan".into());
        }
        self.commits
            .fetch_add(hist.commits.len() as u64, Ordering::Relaxed);
        if self.opts.unreachable {
            // Unreachable means that no ref reaches it, whatever the scope: the history before
            // a range is reachable, though not scanned.
            let all;
            let reachable = if *scope == Scope::AllRefs {
                &hist
            } else {
                all = walk::enumerate(repo, &Scope::AllRefs, &exclude, workers)?;
                &all
            };
            for id in walk::unreachable_blobs(repo, reachable)? {
                hist.add_unreachable(id);
            }
        }
        hist.group();
        sink.expect(hist.blobs_to_scan() as u64);

        // Each worker opens its own handle on the repository: git2 handles are not shared
        // between threads.
        let git_dir = repo.path().to_path_buf();
        let hist = &hist;
        hist.par_by_blob().for_each_init(
            || Repository::open(&git_dir).ok(),
            |local, sites| match local {
                Some(r) => read_blob(r, hist, sites, prefix, sink),
                None => sink.error(format!("{}: cannot open the repository", git_dir.display())),
            },
        );
        Ok(())
    }
}

impl Source for GitHistory {
    fn scan(&self, sink: &dyn Sink) -> Result<(), SourceError> {
        super::tune_for_reading_everything();
        let repo = open(&self.path)?;
        self.scan_repository(&repo, "", &self.opts.scope, sink)?;
        let mut scanned = Vec::new();
        if self.opts.recurse_submodules {
            // A submodule has its own history, which the superproject's refs and ranges do not
            // name: it is scanned whole.
            let mut notes = Vec::new();
            for (prefix, sub) in submodules(&repo, &mut notes) {
                match self.scan_repository(&sub, &prefix, &Scope::AllRefs, sink) {
                    Ok(()) => scanned.push(sub),
                    Err(e) => sink.error(format!("submodule {prefix}: {e}")),
                }
            }
            for n in notes {
                sink.note(n);
            }
        }
        scanned.insert(0, repo);
        *lock(&self.repos) = scanned;
        Ok(())
    }

    fn unit(&self) -> Unit {
        Unit::Blob
    }

    fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    fn describe_commit(&self, id: &ObjectId) -> Option<CommitInfo> {
        lock(&self.repos)
            .iter()
            .find_map(|repo| commit_info(repo, id))
    }
}

/// Reads one blob and hands it over with its sites (earliest commit first, never empty).
fn read_blob(repo: &Repository, hist: &History, sites: &[Site], prefix: &str, sink: &dyn Sink) {
    let id = hist.blob(&sites[0]);
    let place = |site: &Site| {
        if prefix.is_empty() {
            hist.path(site).into_owned()
        } else {
            format!("{prefix}/{}", hist.path(site))
        }
    };
    let label = || format!("blob {id} ({})", place(&sites[0]));
    // The header gives the size without inflating the blob.
    match repo.odb().and_then(|odb| odb.read_header(id)) {
        Ok((size, _)) => {
            if !sink.wants(&label, size as u64) {
                return;
            }
        }
        Err(e) => return sink.error(format!("object {id}: cannot read: {}", e.message())),
    }
    let blob = match repo.find_blob(id) {
        Ok(b) => b,
        Err(e) => return sink.error(format!("object {id}: cannot read: {}", e.message())),
    };
    let data = blob.content();
    if is_lfs_pointer(data) {
        return sink.skipped(&label(), Skip::LfsPointer);
    }
    let sites = sites
        .iter()
        .map(|s| BlobSite {
            path: place(s),
            commit: (s.commit != Site::NO_COMMIT).then(|| CommitRef {
                order: s.commit,
                id: object_id(hist.commits[s.commit as usize]),
                info: None,
            }),
        })
        .collect();
    sink.content(Content {
        provenance: Provenance::Blob {
            id: object_id(id),
            sites,
        },
        bytes: data,
    });
}
