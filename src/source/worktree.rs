//! The working tree: a parallel walk with the `ignore` crate (the walker ripgrep uses), which
//! honours .gitignore, .ignore and git's exclude files, and never enters `.git`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use crate::lock;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Honour .gitignore / .ignore / git excludes.
    pub respect_ignore: bool,
    /// Scan dot-files and dot-directories (`.env`, `.npmrc`, `.github/`): that is where secrets
    /// live, so the default is to scan them.
    pub hidden: bool,
    pub threads: usize,
}

#[derive(Debug, Clone)]
pub struct FileEntry {
    pub path: PathBuf,
    /// The path relative to the scan root, with `/` separators.
    pub display: String,
    pub size: u64,
}

/// What the walk could not read, and what it did not hand over (path and reason).
#[derive(Debug, Default)]
pub struct Walk {
    pub errors: Vec<String>,
    /// Entries that are not scanned, and why: symbolic links (never followed), FIFOs, sockets
    /// and devices (reading a FIFO can block forever).
    pub skipped: Vec<(String, &'static str)>,
}

/// Hands each regular file under `root` (or `root` itself when it is a file) to `visit`, on
/// the walker's own threads, as ripgrep searches inside its walker: no list of the tree is
/// kept, so memory does not grow with it. The errors and skipped entries come back sorted.
pub fn walk(root: &Path, opts: &WalkOptions, visit: &(dyn Fn(FileEntry) + Sync)) -> Walk {
    let out = Mutex::new(Walk::default());
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(!opts.hidden)
        .ignore(opts.respect_ignore)
        .git_ignore(opts.respect_ignore)
        .git_global(opts.respect_ignore)
        .git_exclude(opts.respect_ignore)
        .parents(opts.respect_ignore)
        // Honour a .gitignore even outside a git checkout: users expect it to apply.
        .require_git(false)
        .follow_links(false)
        .threads(opts.threads)
        // `.git` is history, not tree. keyhound's own config holds rule examples on purpose.
        .filter_entry(|e| e.file_name() != ".git" && e.file_name() != crate::config::FILE_NAME);
    builder.build_parallel().run(|| {
        let out = &out;
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    let Some(kind) = entry.file_type() else {
                        return WalkState::Continue;
                    };
                    if !kind.is_file() {
                        let why = if kind.is_symlink() {
                            "symbolic link, not followed"
                        } else if kind.is_dir() {
                            return WalkState::Continue;
                        } else {
                            "not a regular file (FIFO, socket or device)"
                        };
                        let display = relative_display(root, entry.path());
                        lock(out).skipped.push((display, why));
                        return WalkState::Continue;
                    }
                    match entry.metadata() {
                        Ok(meta) => {
                            let display = relative_display(root, entry.path());
                            visit(FileEntry {
                                path: entry.into_path(),
                                display,
                                size: meta.len(),
                            });
                        }
                        Err(e) => lock(out).errors.push(walk_error(&e)),
                    }
                }
                Err(e) => lock(out).errors.push(walk_error(&e)),
            }
            WalkState::Continue
        })
    });
    let mut walk = out.into_inner().unwrap_or_else(|p| p.into_inner());
    walk.errors.sort();
    walk.skipped.sort();
    walk
}

/// `ignore` errors read "IO error for operation on PATH: reason"; keep them to one line.
fn walk_error(e: &ignore::Error) -> String {
    e.to_string().replace('\n', " ")
}

/// How a path is shown and fingerprinted: relative to an absolute root (`/tmp/x/a.txt` under
/// `/tmp/x` is `a.txt`); under a relative root, as walked (`src/a.rs` under `src`), so that
/// `keyhound scan src tests` from a repository's top keeps repository-relative paths, which is
/// what SARIF consumers expect.
fn relative_display(root: &Path, path: &Path) -> String {
    let rel = match path.strip_prefix(root) {
        Ok(rel) if root.is_absolute() && !rel.as_os_str().is_empty() => rel,
        _ => path,
    };
    let text = rel.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    if std::path::MAIN_SEPARATOR == '/' {
        text.to_string()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

#[cfg(test)]
mod tests {
    use super::relative_display;
    use std::path::Path;

    #[test]
    fn display_is_relative_to_the_root() {
        assert_eq!(
            relative_display(Path::new("/r"), Path::new("/r/a/b.txt")),
            "a/b.txt"
        );
        assert_eq!(
            relative_display(Path::new("f.txt"), Path::new("f.txt")),
            "f.txt"
        );
        assert_eq!(
            relative_display(Path::new("./f.txt"), Path::new("./f.txt")),
            "f.txt"
        );
    }
}
