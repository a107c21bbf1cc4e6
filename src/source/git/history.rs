//! A repository's history as a source: every unique blob that the commits in scope
//! introduced, read once (Nosey Parker's design) however many commits and paths share it, and
//! handed over with every (path, first commit) site where it appears.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use git2::Repository;

use super::metadata;
use super::pack::{Location, Packs, Reader};
use super::walk::{self, History, Scope, Site};
use super::{commit_info, is_lfs_pointer, object_id, open, submodules, GitError};
use crate::content::{BlobSite, CommitInfo, CommitRef, Content, Delta, ObjectId, Provenance};
use crate::lock;
use crate::source::{Sink, Skip, Source, SourceError, Unit};

/// Blobs a worker takes at a time: runs long enough that deltas find their bases in the
/// worker's cache, short enough to share the work out evenly.
const BLOBS_PER_JOB: usize = 256;
/// Each worker's cache of rebuilt objects, the bases of the deltas that follow them.
const CACHE_BYTES: usize = 8 << 20;

#[derive(Debug, Clone)]
pub struct HistoryOptions {
    pub scope: Scope,
    /// Also scan blobs that no ref reaches.
    pub unreachable: bool,
    pub recurse_submodules: bool,
    /// File names never scanned (keyhound's own config holds rule examples on purpose).
    pub exclude_names: Vec<Vec<u8>>,
    /// `--shard K/N`: only this part of the blobs and commit messages.
    pub shard: Option<Shard>,
}

/// `--shard K/N`: one of N runs that together scan a history once. Each walks the whole
/// history (so each blob keeps the commit a single run gives it) and reads only the blobs,
/// and the commit messages, whose ids fall in part K; tags, notes and the configuration
/// belong to part 1. Ids are SHA-1, so the parts are even.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based.
    pub k: u64,
    pub n: u64,
}

impl Shard {
    /// `K/N`, or `auto/N` for a Kubernetes Indexed Job: K is `index + 1`, the index being
    /// `job_index` (the pod's `JOB_COMPLETION_INDEX`, counted from 0).
    pub fn parse(text: &str, job_index: Option<&str>) -> Result<Shard, String> {
        let bad = || format!("--shard {text}: expected K/N with 1 <= K <= N (e.g. 2/8), or auto/N");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        let k: u64 = if k.trim() == "auto" {
            let index = job_index.ok_or_else(|| {
                format!("--shard {text}: auto takes the part from JOB_COMPLETION_INDEX, which is not set")
            })?;
            let index: u64 = index.trim().parse().map_err(|_| {
                format!("--shard {text}: JOB_COMPLETION_INDEX is '{index}', not a number")
            })?;
            index + 1
        } else {
            k.trim().parse().map_err(|_| bad())?
        };
        if k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// Whether the object `id` is this part's.
    pub fn holds(&self, id: &[u8]) -> bool {
        let mut head = [0u8; 8];
        let len = id.len().min(8);
        head[..len].copy_from_slice(&id[..len]);
        u64::from_be_bytes(head) % self.n == self.k - 1
    }

    pub fn is_first(&self) -> bool {
        self.k == 1
    }
}

fn in_shard(shard: Option<Shard>, id: &git2::Oid) -> bool {
    shard.is_none_or(|s| s.holds(id.as_bytes()))
}

pub struct GitHistory {
    path: PathBuf,
    opts: HistoryOptions,
    commits: AtomicU64,
    /// The superproject's first and last commits walked.
    span: Mutex<Option<(ObjectId, ObjectId)>>,
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
            span: Mutex::new(None),
            repos: Mutex::new(Vec::new()),
        }
    }

    fn scan_repository(
        &self,
        repo: Repository,
        prefix: &str,
        scope: &Scope,
        sink: &dyn Sink,
    ) -> Result<Repository, GitError> {
        let exclude: Vec<&[u8]> = self.opts.exclude_names.iter().map(Vec::as_slice).collect();
        let workers = rayon::current_num_threads();
        let mut hist = walk::enumerate(&repo, scope, &exclude, workers)?;
        for w in hist.warnings.drain(..) {
            sink.error(w);
        }
        if hist.shallow {
            sink.note("the repository is a shallow clone: history before its shallow boundary is not there to scan".into());
        }
        self.commits
            .fetch_add(hist.commits.len() as u64, Ordering::Relaxed);
        if let (true, Some((_, first)), Some((_, last))) =
            (prefix.is_empty(), hist.oldest, hist.newest)
        {
            *lock(&self.span) = Some((object_id(first), object_id(last)));
        }
        if self.opts.unreachable {
            // Unreachable means that no ref reaches it, whatever the scope: the history before
            // a range is reachable, though not scanned.
            let all;
            let reachable = if *scope == Scope::AllRefs {
                &hist
            } else {
                all = walk::enumerate(&repo, &Scope::AllRefs, &exclude, workers)?;
                &all
            };
            for id in walk::unreachable_blobs(&repo, reachable)? {
                hist.add_unreachable(id);
            }
        }
        hist.group();
        let shard = self.opts.shard;
        // This part's blobs, but those an earlier scan found clean (`--cache`).
        let blobs: Vec<&[Site]> = hist
            .by_blob()
            .filter(|sites| in_shard(shard, &hist.blob(&sites[0])))
            .filter(|sites| {
                let id = object_id(hist.blob(&sites[0]));
                !sink.known_clean(&id, &|| placed(&hist, &sites[0], prefix))
            })
            .collect();
        let commits_here = hist.commits.iter().filter(|c| in_shard(shard, c)).count();
        // Blobs, then a message for each commit.
        sink.expect((blobs.len() + commits_here) as u64);

        // Blobs in pack order, so that a worker's run of blobs lies together in the pack and
        // the bases of its deltas are still in its cache. Blobs in no pack (loose objects,
        // alternates) come last and are read by libgit2. Each worker opens its own handle on
        // the repository for those: git2 handles are not shared between threads.
        let git_dir = repo.path().to_path_buf();
        // The walk's pack windows (up to 192 MiB on two cores) stay mapped while any handle
        // on the repository is open; the blobs are read without them.
        drop(repo);
        let packs = Packs::open(&git_dir);
        let mut order: Vec<(Option<Location>, &[Site])> = blobs
            .into_iter()
            .map(|sites| (packs.locate(&hist.blob(&sites[0])), sites))
            .collect();
        order.sort_by_key(|(at, _)| pack_order(*at));
        let reused = delta_bases(&packs, &order, workers);
        // One reader (and one cache) per worker; runs handed out in pack order. (A rayon
        // `for_each_init` made a reader per stolen job, nested ones alive at once, and peaked
        // 250 MiB higher on git/git.)
        let hist = &hist;
        let runs: Vec<_> = order.chunks(BLOBS_PER_JOB).collect();
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..workers.clamp(1, runs.len().max(1)) {
                s.spawn(|| {
                    let local = Repository::open(&git_dir).ok();
                    let mut reader = Reader::new(&packs, CACHE_BYTES);
                    while let Some(run) = runs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        for &(at, sites) in *run {
                            let reused_by = at.and_then(|l| reused.get(&l)).copied().unwrap_or(0);
                            let blob = Blob {
                                at,
                                sites,
                                reused_by,
                            };
                            read_blob(local.as_ref(), &mut reader, blob, hist, prefix, sink);
                        }
                    }
                });
            }
        });
        metadata::commit_messages(
            &git_dir,
            &packs,
            &hist.commits,
            &|id| in_shard(shard, id),
            prefix,
            workers,
            sink,
        );
        // Findings' commits are looked up here after the scan.
        let repo = open(&git_dir)?;
        // What the refs hold now, and the configuration of the repository as it is: an
        // audit's, not a range's (a CI checkout's config holds the job's own token).
        if *scope == Scope::AllRefs && shard.is_none_or(|s| s.is_first()) {
            metadata::tags_and_notes(&repo, &hist.commits, prefix, sink);
            metadata::configuration(&repo, prefix, sink);
        }
        Ok(repo)
    }
}

impl Source for GitHistory {
    fn scan(&self, sink: &dyn Sink) -> Result<(), SourceError> {
        super::tune_for_reading_everything();
        let repo = self.scan_repository(open(&self.path)?, "", &self.opts.scope, sink)?;
        let mut scanned = Vec::new();
        if self.opts.recurse_submodules {
            // A submodule has its own history, which the superproject's refs and ranges do not
            // name: it is scanned whole.
            let mut notes = Vec::new();
            for (prefix, sub) in submodules(&repo, &mut notes) {
                match self.scan_repository(sub, &prefix, &Scope::AllRefs, sink) {
                    Ok(sub) => scanned.push(sub),
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

    fn span(&self) -> Option<(ObjectId, ObjectId)> {
        *lock(&self.span)
    }

    fn describe_commit(&self, id: &ObjectId) -> Option<CommitInfo> {
        lock(&self.repos)
            .iter()
            .find_map(|repo| commit_info(repo, id))
    }
}

/// How many of the blobs to scan are stored as deltas against each blob to scan, from the
/// entries' headers (read on every core): the scanner keeps a blob's analysis for as many.
fn delta_bases(
    packs: &Packs,
    order: &[(Option<Location>, &[Site])],
    workers: usize,
) -> HashMap<Location, u32> {
    let chunk = order.len().div_ceil(workers.max(1)).max(1);
    let bases: Vec<Vec<Location>> = std::thread::scope(|s| {
        let jobs: Vec<_> = order
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter_map(|(at, _)| packs.delta_base((*at)?))
                        .collect()
                })
            })
            .collect();
        jobs.into_iter().filter_map(|j| j.join().ok()).collect()
    });
    let mut count = HashMap::new();
    for base in bases.into_iter().flatten() {
        // Only a base that is scanned too has an analysis to keep.
        if order
            .binary_search_by_key(&pack_order(Some(base)), |(at, _)| pack_order(*at))
            .is_ok()
        {
            *count.entry(base).or_insert(0) += 1;
        }
    }
    count
}

/// Where a blob lies in the packs, for sorting: those in no pack last.
fn pack_order(at: Option<Location>) -> (u32, u64) {
    at.map_or((u32::MAX, 0), |l| (l.pack, l.offset))
}

/// A blob to read: where it is in a pack, where it appears, and how many blobs to scan are
/// deltas against it.
struct Blob<'a> {
    at: Option<Location>,
    sites: &'a [Site],
    reused_by: u32,
}

/// Reads one blob and hands it over with its sites (earliest commit first, never empty):
/// from its pack when it is in one and this reader can rebuild it, else through libgit2.
/// A site's path as reports show it: under its submodule's path, if any.
fn placed(hist: &History, site: &Site, prefix: &str) -> String {
    if prefix.is_empty() {
        hist.path(site).into_owned()
    } else {
        format!("{prefix}/{}", hist.path(site))
    }
}

fn read_blob(
    repo: Option<&Repository>,
    reader: &mut Reader,
    blob: Blob,
    hist: &History,
    prefix: &str,
    sink: &dyn Sink,
) {
    let Blob {
        at,
        sites,
        reused_by,
    } = blob;
    let id = hist.blob(&sites[0]);
    let place = |site: &Site| placed(hist, site, prefix);
    let label = || format!("blob {id} ({})", place(&sites[0]));
    let hand_over = |data: &[u8], delta: Option<Delta>| {
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
            delta,
            reused_by,
        });
    };
    // The size comes first, so that a blob too large to scan is never inflated.
    if let Some(at) = at {
        if let Ok(size) = reader.size(at) {
            if !sink.wants(&label, size) {
                return;
            }
            if let Ok(data) = reader.read(at) {
                hand_over(&data, reader.last_delta());
                return reader.recycle(data);
            }
        }
    }
    let Some(repo) = repo else {
        return sink.error(format!(
            "object {id}: cannot open the repository to read it"
        ));
    };
    // What the pack reader could not rebuild, libgit2 reads, and says why when it cannot.
    match repo.odb().and_then(|odb| odb.read_header(id)) {
        Ok((size, _)) => {
            if !sink.wants(&label, size as u64) {
                return;
            }
        }
        Err(e) => return sink.error(format!("object {id}: cannot read: {}", e.message())),
    }
    match repo.find_blob(id) {
        Ok(blob) => hand_over(blob.content(), None),
        Err(e) => sink.error(format!("object {id}: cannot read: {}", e.message())),
    }
}
