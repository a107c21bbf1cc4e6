//! The staged index as a source, for pre-commit hooks: each file that the next commit adds or
//! changes, with the line numbers (in the new file) of its added lines. Only the index and
//! HEAD's tree are read, never the history, so it answers in milliseconds.

use std::collections::BTreeSet;

use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Repository};

use super::history::HistoryError;

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

pub fn staged_changes(repo: &Repository) -> Result<Staged, HistoryError> {
    let err = |e: git2::Error| HistoryError::Walk(e.message().to_string());
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
