//! The staged index as a source, for pre-commit hooks: each file that the next commit adds or
//! changes, with the line numbers (in the new file) of its added lines. Only the index and
//! HEAD's tree are read, never the history, so it answers in milliseconds.

use std::collections::BTreeSet;

use std::path::PathBuf;

use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Repository};

use super::{object_id, open, GitError};
use crate::content::{Content, Provenance};
use crate::source::{Sink, Source, SourceError};

/// What is staged in a repository's index for the next commit.
pub struct StagedChanges {
    repo: PathBuf,
}

impl StagedChanges {
    pub fn new(repo: PathBuf) -> StagedChanges {
        StagedChanges { repo }
    }
}

impl Source for StagedChanges {
    fn scan(&self, sink: &dyn Sink) -> Result<(), SourceError> {
        let repo = open(&self.repo)?;
        let staged = staged_changes(&repo)?;
        for note in staged.notes {
            sink.note(note);
        }
        for file in staged.files {
            let blob = match repo.find_blob(file.blob) {
                Ok(b) => b,
                Err(e) => {
                    sink.error(format!(
                        "{}: cannot read the staged blob {}: {}",
                        file.path,
                        file.blob,
                        e.message()
                    ));
                    continue;
                }
            };
            let data = blob.content();
            if !sink.wants(&|| file.path.clone(), data.len() as u64) {
                continue;
            }
            sink.content(Content {
                provenance: Provenance::Staged {
                    path: file.path,
                    blob: object_id(file.blob),
                    added_lines: file.added_lines,
                },
                bytes: data,
                delta: None,
                reused_by: 0,
            });
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct StagedFile {
    pub path: String,
    pub blob: Oid,
    /// 1-based line numbers, in the staged file, of the lines this commit adds or changes.
    pub added_lines: BTreeSet<usize>,
}

#[derive(Debug, Default)]
pub struct Staged {
    pub files: Vec<StagedFile>,
    /// Files skipped and why (unresolved merge conflicts).
    pub notes: Vec<String>,
}

fn staged_changes(repo: &Repository) -> Result<Staged, GitError> {
    let err = |e: git2::Error| GitError::Walk(e.message().to_string());
    // No HEAD yet (the first commit): everything staged is new.
    let head_tree = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().map_err(err)?),
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            None
        }
        Err(e) => return Err(err(e)),
    };
    let index = repo.index().map_err(err)?;
    let mut opts = DiffOptions::new();
    opts.context_lines(0).ignore_submodules(true);
    let mut diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .map_err(err)?;
    // A renamed file only shows the lines that changed, not every line as new.
    diff.find_similar(Some(DiffFindOptions::new().renames(true).copies(false)))
        .map_err(err)?;

    let mut staged = Staged::default();
    let mut by_delta: Vec<Option<usize>> = Vec::new();
    for delta in diff.deltas() {
        let file = delta.new_file();
        let path = file
            .path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned());
        match (delta.status(), path) {
            (
                Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange,
                Some(path),
            ) if matches!(
                file.mode(),
                git2::FileMode::Blob | git2::FileMode::BlobExecutable
            ) =>
            {
                by_delta.push(Some(staged.files.len()));
                staged.files.push(StagedFile {
                    path,
                    blob: file.id(),
                    added_lines: BTreeSet::new(),
                });
            }
            (Delta::Conflicted, Some(path)) => {
                staged
                    .notes
                    .push(format!("{path}: unresolved merge conflict, not scanned"));
                by_delta.push(None);
            }
            _ => by_delta.push(None),
        }
    }
    // The added lines of each file, from the patch (zero lines of context).
    for (i, slot) in by_delta.iter().enumerate() {
        let Some(fi) = *slot else { continue };
        let Ok(Some(patch)) = git2::Patch::from_diff(&diff, i) else {
            continue;
        };
        staged.files[fi].added_lines = added_lines(&patch);
    }
    Ok(staged)
}

/// The 1-based numbers, in the new file, of the lines a patch adds.
pub fn added_lines(patch: &git2::Patch) -> BTreeSet<usize> {
    let mut added = BTreeSet::new();
    for h in 0..patch.num_hunks() {
        let Ok(lines) = patch.num_lines_in_hunk(h) else {
            continue;
        };
        for l in 0..lines {
            if let Ok(line) = patch.line_in_hunk(h, l) {
                if line.origin() == '+' {
                    if let Some(n) = line.new_lineno() {
                        added.insert(n as usize);
                    }
                }
            }
        }
    }
    added
}
