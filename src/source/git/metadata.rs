//! What a history holds besides files: commit messages, annotated tag messages and notes,
//! each scanned once and attributed to its commit or tag; and the repository's own
//! configuration, which travels with a clone or a CI workspace (`.git/config`'s remote URLs
//! with credentials in them, `http.extraHeader` tokens, the credential store files that its
//! `credential.helper store` names).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::{Oid, Repository};

use super::object_id;
use super::pack::{Packs, Reader};
use crate::content::{CommitRef, Content, Provenance};
use crate::source::Sink;

/// Commits a worker takes at a time.
const COMMITS_PER_JOB: usize = 512;

/// Every message of `commits` that is `wanted` (in walk order, as `CommitRef::order` counts), on `workers`
/// threads: read from the packs like the blobs (libgit2's pack windows would map the packs
/// again), through libgit2 when a commit is in no pack.
pub fn commit_messages(
    git_dir: &Path,
    packs: &Packs,
    commits: &[Oid],
    wanted: &(dyn Fn(&Oid) -> bool + Sync),
    prefix: &str,
    workers: usize,
    sink: &dyn Sink,
) {
    let next = AtomicUsize::new(0);
    let jobs = commits.len().div_ceil(COMMITS_PER_JOB);
    let p = dir_prefix(prefix);
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, jobs.max(1)) {
            s.spawn(|| {
                let mut reader = Reader::new(packs, 1 << 20);
                let mut repo = None;
                loop {
                    let job = next.fetch_add(1, Ordering::Relaxed);
                    let Some(chunk) = commits.chunks(COMMITS_PER_JOB).nth(job) else {
                        break;
                    };
                    for (i, id) in chunk.iter().enumerate() {
                        if !wanted(id) {
                            continue;
                        }
                        let order = (job * COMMITS_PER_JOB + i) as u32;
                        let shown = || format!("{p}<commit {id} message>");
                        if sink.known_clean(&object_id(*id), &shown) {
                            continue;
                        }
                        let packed = packs.locate(id).and_then(|at| reader.read(at).ok());
                        if let Some(object) = packed {
                            deliver(
                                sink,
                                shown(),
                                Some(commit_ref(order, *id)),
                                message(&object),
                            );
                            reader.recycle(object);
                            continue;
                        }
                        let repo = repo.get_or_insert_with(|| Repository::open(git_dir));
                        let found = match repo {
                            Ok(r) => r.find_commit(*id),
                            Err(e) => Err(git2::Error::from_str(e.message())),
                        };
                        match found {
                            Ok(c) => deliver(
                                sink,
                                shown(),
                                Some(commit_ref(order, *id)),
                                c.message_raw_bytes(),
                            ),
                            Err(e) => {
                                sink.error(format!("commit {id}: cannot read: {}", e.message()))
                            }
                        }
                    }
                }
            });
        }
    });
}

/// A commit object's message: what follows the blank line that ends its headers.
fn message(object: &[u8]) -> &[u8] {
    memchr::memmem::find(object, b"\n\n").map_or(&[], |i| &object[i + 2..])
}

/// Annotated tags' messages and the notes on objects: the ones the refs hold now.
pub fn tags_and_notes(repo: &Repository, commits: &[Oid], prefix: &str, sink: &dyn Sink) {
    let order: HashMap<Oid, u32> = commits
        .iter()
        .enumerate()
        .map(|(i, id)| (*id, i as u32))
        .collect();
    let p = dir_prefix(prefix);
    if let Ok(refs) = repo.references_glob("refs/tags/*") {
        for r in refs.flatten() {
            let Some(tag) = r.target().and_then(|id| repo.find_tag(id).ok()) else {
                continue;
            };
            let name = String::from_utf8_lossy(tag.name_bytes()).into_owned();
            // The tag is attributed to the commit it tags, when the walk has it.
            let commit = order
                .get(&tag.target_id())
                .map(|&o| commit_ref(o, tag.target_id()));
            deliver(
                sink,
                format!("{p}<tag {name} message>"),
                commit,
                tag.message_bytes().unwrap_or_default(),
            );
        }
    }
    let Ok(notes_refs) = repo.references_glob("refs/notes/*") else {
        return;
    };
    for r in notes_refs.flatten() {
        let Ok(notes_ref) = r.name().map(str::to_string) else {
            continue;
        };
        let Ok(notes) = repo.notes(Some(&notes_ref)) else {
            continue;
        };
        for (note_id, on) in notes.flatten() {
            match repo.find_blob(note_id) {
                Ok(blob) => deliver(
                    sink,
                    format!("{p}<note on {on} ({notes_ref})>"),
                    order.get(&on).map(|&o| commit_ref(o, on)),
                    blob.content(),
                ),
                Err(e) => sink.error(format!("note {note_id}: cannot read: {}", e.message())),
            }
        }
    }
}

/// The repository's configuration files, and the credential store files they name.
pub fn configuration(repo: &Repository, prefix: &str, sink: &dyn Sink) {
    let git_dir = repo.path();
    let p = dir_prefix(prefix);
    let shown = |name: &str| {
        if repo.is_bare() {
            format!("{p}{name}")
        } else {
            format!("{p}.git/{name}")
        }
    };
    let mut stores = Vec::new();
    for name in ["config", "config.worktree"] {
        let path = git_dir.join(name);
        let Ok(text) = std::fs::read(&path) else {
            continue;
        };
        if let Ok(config) = git2::Config::open(&path) {
            stores.extend(credential_stores(&config));
        }
        deliver(sink, shown(name), None, &text);
    }
    stores.sort();
    stores.dedup();
    for store in stores {
        // The store's default place may simply not exist.
        if let Ok(text) = std::fs::read(&store) {
            deliver(sink, store.display().to_string(), None, &text);
        }
    }
}

/// The files that `credential.helper store` settings name: `--file PATH`, or git's
/// defaults (`~/.git-credentials`, `$XDG_CONFIG_HOME/git/credentials`).
fn credential_stores(config: &git2::Config) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(mut entries) = config.entries(Some(r"credential\..*helper")) else {
        return out;
    };
    let home = std::env::var_os("HOME").map(PathBuf::from);
    while let Some(Ok(entry)) = entries.next() {
        let Ok(value) = entry.value() else { continue };
        let mut words = value.split_whitespace();
        if words.next() != Some("store") {
            continue;
        }
        let rest: Vec<&str> = words.collect();
        let file = rest.iter().enumerate().find_map(|(i, w)| {
            w.strip_prefix("--file=").map(str::to_string).or_else(|| {
                (*w == "--file")
                    .then(|| rest.get(i + 1).map(|s| s.to_string()))
                    .flatten()
            })
        });
        match file {
            Some(f) => out.push(match (f.strip_prefix("~/"), &home) {
                (Some(rel), Some(h)) => h.join(rel),
                _ => PathBuf::from(f),
            }),
            None => {
                if let Some(h) = &home {
                    out.push(h.join(".git-credentials"));
                }
                let xdg = std::env::var_os("XDG_CONFIG_HOME")
                    .map(PathBuf::from)
                    .or_else(|| home.as_ref().map(|h| h.join(".config")));
                if let Some(x) = xdg {
                    out.push(x.join("git").join("credentials"));
                }
            }
        }
    }
    out
}

fn commit_ref(order: u32, id: Oid) -> CommitRef {
    CommitRef {
        order,
        id: object_id(id),
        info: None,
    }
}

fn dir_prefix(prefix: &str) -> String {
    if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    }
}

fn deliver(sink: &dyn Sink, shown: String, commit: Option<CommitRef>, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    sink.content(Content {
        provenance: Provenance::Metadata { shown, commit },
        bytes,
        delta: None,
        reused_by: 0,
    });
}
