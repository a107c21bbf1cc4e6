//! Git history as a source: the unique blobs that a set of commits introduced, each with the
//! paths where it appeared and the first commit that put it at each path.
//!
//! Commits are visited parents first, and each commit's tree is walked with memory: a subtree
//! already walked at the same path is skipped, since every (blob, path) under it is already
//! known. So each distinct (tree, path) is read once, no blob is read, and the first commit
//! that shows a (blob, path) pair is the one that introduced it. (Diffing each commit against
//! its parent with libgit2 found the same pairs 8x slower: 17.7 s against 2 s on
//! rust-lang/cargo.) The scan then reads each unique blob once (Nosey Parker's design),
//! however many commits and paths share it.

use std::collections::{HashMap, HashSet};

use git2::{ObjectType, Oid, Repository, Sort};

/// Which commits to take blobs from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every ref: branches, tags, remote-tracking refs, the stash; and HEAD.
    AllRefs,
    /// The history of one ref.
    Ref(String),
    /// Commits reachable from `include` and not from `exclude`.
    Range { exclude: String, include: String },
}

/// Where a blob appears: a path, and the commit (an index into `History::commits`) that first
/// put the blob there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub path: String,
    pub commit: usize,
}

#[derive(Debug, Default)]
pub struct History {
    /// Commits in the order visited (parents before children).
    pub commits: Vec<Oid>,
    /// Unique blobs, in the order first met, with every path they appeared at.
    pub blobs: Vec<(Oid, Vec<Site>)>,
    pub shallow: bool,
    /// Problems that did not stop the walk (a commit or tree that could not be read).
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("{0}: not a git repository ({1})")]
    NotARepository(String, String),
    #[error("'{0}' does not name a commit in this repository ({1})")]
    BadRevision(String, String),
    #[error("cannot walk the history: {0}")]
    Walk(String),
}

pub fn open(path: &std::path::Path) -> Result<Repository, HistoryError> {
    Repository::open_ext(
        path,
        git2::RepositoryOpenFlags::empty(),
        std::iter::empty::<&std::ffi::OsStr>(),
    )
    .map_err(|e| HistoryError::NotARepository(path.display().to_string(), e.message().into()))
}

fn resolve(repo: &Repository, spec: &str) -> Result<Oid, HistoryError> {
    repo.revparse_single(spec)
        .and_then(|o| o.peel_to_commit())
        .map(|c| c.id())
        .map_err(|e| HistoryError::BadRevision(spec.to_string(), e.message().into()))
}

/// The commits of `scope`, parents before children.
fn commits(repo: &Repository, scope: &Scope) -> Result<Vec<Oid>, HistoryError> {
    let walk_err = |e: git2::Error| HistoryError::Walk(e.message().to_string());
    let mut walk = repo.revwalk().map_err(walk_err)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(walk_err)?;
    match scope {
        Scope::AllRefs => {
            let mut any = false;
            for reference in repo.references().map_err(walk_err)?.flatten() {
                if let Ok(commit) = reference.peel_to_commit() {
                    walk.push(commit.id()).map_err(walk_err)?;
                    any = true;
                }
            }
            if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
                walk.push(head.id()).map_err(walk_err)?;
                any = true;
            }
            if !any {
                // An empty repository: no commits, nothing to scan.
                return Ok(Vec::new());
            }
        }
        Scope::Ref(spec) => walk.push(resolve(repo, spec)?).map_err(walk_err)?,
        Scope::Range { exclude, include } => {
            walk.push(resolve(repo, include)?).map_err(walk_err)?;
            walk.hide(resolve(repo, exclude)?).map_err(walk_err)?;
        }
    }
    walk.map(|r| r.map_err(walk_err)).collect()
}

/// Lists the blobs that the commits of `scope` introduced, with their paths and first commits.
pub fn enumerate(repo: &Repository, scope: &Scope) -> Result<History, HistoryError> {
    let mut walker = TreeWalker {
        repo,
        visited: HashSet::new(),
        seen: HashSet::new(),
        index_of: HashMap::new(),
        history: History {
            shallow: repo.is_shallow(),
            commits: commits(repo, scope)?,
            ..History::default()
        },
    };
    // For a range, what the commits' parents outside the range already had is not new: walk
    // those trees first, recording nothing.
    if matches!(scope, Scope::Range { .. }) {
        let in_range: HashSet<Oid> = walker.history.commits.iter().copied().collect();
        let mut boundary = Vec::new();
        for &id in &walker.history.commits {
            if let Ok(commit) = repo.find_commit(id) {
                boundary.extend(commit.parent_ids().filter(|p| !in_range.contains(p)));
            }
        }
        boundary.sort();
        boundary.dedup();
        for id in boundary {
            walker.walk_commit(id, None);
        }
    }
    for ci in 0..walker.history.commits.len() {
        let id = walker.history.commits[ci];
        walker.walk_commit(id, Some(ci));
    }
    Ok(walker.history)
}

struct TreeWalker<'r> {
    repo: &'r Repository,
    /// (tree, path hash) pairs already walked. A 64-bit hash of the path instead of the path
    /// keeps the sets small and the walk free of allocations.
    visited: HashSet<(Oid, u64)>,
    /// (blob, path hash) pairs already recorded.
    seen: HashSet<(Oid, u64)>,
    index_of: HashMap<Oid, usize>,
    history: History,
}

impl TreeWalker<'_> {
    /// Walks a commit's tree; `commit` is its index in `history.commits`, or None to only
    /// mark what it holds as known.
    fn walk_commit(&mut self, id: Oid, commit: Option<usize>) {
        let tree = match self.repo.find_commit(id).and_then(|c| c.tree()) {
            Ok(t) => t.id(),
            Err(e) => {
                self.history.warnings.push(format!(
                    "commit {id}: cannot read its tree: {}",
                    e.message()
                ));
                return;
            }
        };
        let mut path = Vec::with_capacity(256);
        self.walk_tree(tree, &mut path, commit);
    }

    /// Walks the tree `id` found at `path` (bytes, `/`-separated; restored on return).
    fn walk_tree(&mut self, id: Oid, path: &mut Vec<u8>, commit: Option<usize>) {
        if !self.visited.insert((id, path_hash(path))) {
            return;
        }
        let tree = match self.repo.find_tree(id) {
            Ok(t) => t,
            Err(e) => {
                let at = if path.is_empty() {
                    "/".into()
                } else {
                    String::from_utf8_lossy(path)
                };
                self.history
                    .warnings
                    .push(format!("tree {id} at {at}: cannot read: {}", e.message()));
                return;
            }
        };
        let base = path.len();
        for entry in tree.iter() {
            if base > 0 {
                path.push(b'/');
            }
            path.extend_from_slice(entry.name_bytes());
            match entry.filemode() {
                // Subtrees.
                0o040000 => self.walk_tree(entry.id(), path, commit),
                // Regular and executable files; not symlinks (their content is a path) and
                // not gitlinks (a submodule's commit).
                0o100644 | 0o100755 | 0o100664 => self.record(entry.id(), path, commit),
                _ => {}
            }
            path.truncate(base);
        }
    }

    fn record(&mut self, blob: Oid, path: &[u8], commit: Option<usize>) {
        if !self.seen.insert((blob, path_hash(path))) {
            return;
        }
        let Some(ci) = commit else { return };
        let site = Site {
            path: String::from_utf8_lossy(path).into_owned(),
            commit: ci,
        };
        match self.index_of.get(&blob) {
            Some(&i) => self.history.blobs[i].1.push(site),
            None => {
                self.index_of.insert(blob, self.history.blobs.len());
                self.history.blobs.push((blob, vec![site]));
            }
        }
    }
}

fn path_hash(path: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    h.finish()
}

/// Blobs in the object database that `reachable` does not hold (with `--unreachable`).
pub fn unreachable_blobs(
    repo: &Repository,
    reachable: &HashSet<Oid>,
) -> Result<Vec<Oid>, HistoryError> {
    let odb = repo
        .odb()
        .map_err(|e| HistoryError::Walk(e.message().to_string()))?;
    let mut all = Vec::new();
    odb.foreach(|id| {
        if !reachable.contains(id) {
            all.push(*id);
        }
        true
    })
    .map_err(|e| HistoryError::Walk(e.message().to_string()))?;
    // foreach lists every object; keep the blobs (a header read, no inflating).
    all.retain(|id| {
        odb.read_header(*id)
            .is_ok_and(|(_, kind)| kind == ObjectType::Blob)
    });
    all.sort();
    all.dedup();
    Ok(all)
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
