//! The working tree: a parallel walk with the `ignore` crate (the walker ripgrep uses), which
//! honours .gitignore, .ignore and git's exclude files, and never enters `.git`. Each file is
//! read and scanned inside the walker thread that finds it, as ripgrep does, so no list of
//! the tree is kept and memory does not grow with it.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use ignore::{WalkBuilder, WalkState};

use super::{image, Sink, Skip, Source, SourceError};
use crate::content::{Content, Provenance};
use crate::lock;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Honour .gitignore / .ignore / git excludes.
    pub respect_ignore: bool,
    /// Scan dot-files and dot-directories (`.env`, `.npmrc`, `.github/`): that is where secrets
    /// live, so the default is to scan them.
    pub hidden: bool,
    pub threads: usize,
    /// File names never scanned (keyhound's own config holds rule examples on purpose).
    pub exclude_names: Vec<OsString>,
    /// Name every ignored path (`-v`), not only count them: keeps a set of the tree's names.
    pub name_ignored: bool,
}

/// Files and directories given on the command line.
pub struct Worktree {
    roots: Vec<PathBuf>,
    opts: WalkOptions,
}

impl Worktree {
    pub fn new(roots: Vec<PathBuf>, opts: WalkOptions) -> Worktree {
        Worktree { roots, opts }
    }
}

impl Source for Worktree {
    fn scan(&self, sink: &dyn Sink) -> Result<(), SourceError> {
        // One root is shown relative to itself when absolute; several keep their roots, so
        // `a/x.env` and `b/x.env` stay apart.
        let strip = self.roots.len() == 1;
        for root in &self.roots {
            let named_file = root.is_file();
            walk(root, strip, &self.opts, sink, &|path, provenance| {
                read(path, provenance, named_file, sink)
            });
        }
        Ok(())
    }
}

/// Reads one file the walk found and hands it over. Its size comes from the open file, so a
/// file costs one open, one fstat and its reads (through `Take`: `File`'s own `read_to_end`
/// asks for the size and position again, a statx and an lseek per file). A file can vanish
/// or change between the walk and the read: that is an error line, and the scan goes on.
fn read(path: &Path, provenance: Provenance, named: bool, sink: &dyn Sink) {
    use std::io::Read;
    let fail = |e: std::io::Error| {
        let message = format!("{}: {e}", path.display());
        if named {
            sink.fatal(message)
        } else {
            sink.error(message)
        }
    };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(e),
    };
    let size = match file.metadata() {
        Ok(m) => m.len(),
        Err(e) => return fail(e),
    };
    // An archive too large to hold (a saved image) is read as it streams.
    if sink.streams_archives_over().is_some_and(|over| size > over) {
        let mut head = Vec::with_capacity(512);
        let sniffed = (&mut file)
            .take(512)
            .read_to_end(&mut head)
            .and_then(|_| std::io::Seek::rewind(&mut file));
        if let Err(e) = sniffed {
            return fail(e);
        }
        if let Some(format) = crate::source::archive::sniff(&head) {
            return sink.archive_file(provenance, file, format, size);
        }
    }
    if !sink.wants(&|| provenance.label(), size) {
        return;
    }
    let mut bytes = Vec::with_capacity(size as usize + 1);
    if let Err(e) = (&mut file).take(u64::MAX).read_to_end(&mut bytes) {
        return fail(e);
    }
    sink.content(Content {
        provenance,
        bytes: &bytes,
        delta: None,
        reused_by: 0,
    });
}

/// Counts (and with `name_ignored`, names) the entries the walker's ignore rules leave out:
/// the `ignore` crate drops them silently, so each directory it enters is listed once more and
/// what it then hands over is taken away.
#[derive(Default)]
struct IgnoredTally {
    listed: AtomicU64,
    handed: AtomicU64,
    names: Option<Mutex<HashSet<PathBuf>>>,
}

impl IgnoredTally {
    fn directory(&self, dir: &Path, exclude: &[OsString]) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut n = 0;
        for e in entries.flatten() {
            let name = e.file_name();
            if name == ".git" || exclude.contains(&name) {
                continue;
            }
            n += 1;
            if let Some(names) = &self.names {
                lock(names).insert(e.path());
            }
        }
        self.listed.fetch_add(n, Ordering::Relaxed);
    }

    fn handed(&self, path: &Path, depth: usize) {
        if depth == 0 {
            return;
        }
        self.handed.fetch_add(1, Ordering::Relaxed);
        if let Some(names) = &self.names {
            lock(names).remove(path);
        }
    }
}

/// OCI image layout directories met in the walk: their blobs are named like the parts of a
/// saved image (`DIR!TAG layer sha256:…`, `DIR!TAG config`). A directory is visited before
/// its entries, so a layout is known before any of its blobs is read.
#[derive(Default)]
struct Layouts {
    any: AtomicBool,
    found: RwLock<Vec<(PathBuf, Arc<Provenance>, image::Names)>>,
}

impl Layouts {
    fn directory(&self, dir: &Path, display: impl FnOnce() -> String, sink: &dyn Sink) {
        if !image::is_layout(dir) {
            return;
        }
        let Some(names) = image::layout_names(dir) else {
            return;
        };
        sink.opened_image(names.images as u64, names.layers as u64);
        let layout = Arc::new(Provenance::File { path: display() });
        let mut found = self.found.write().unwrap_or_else(|p| p.into_inner());
        found.push((dir.to_path_buf(), layout, names));
        self.any.store(true, Ordering::Release);
    }

    /// How the file at `path` (shown as `display`) is named: as an image's part when it is
    /// one, else as itself.
    fn provenance(&self, path: &Path, display: String) -> Provenance {
        if self.any.load(Ordering::Acquire) {
            let found = self.found.read().unwrap_or_else(|p| p.into_inner());
            for (dir, layout, names) in found.iter() {
                let Ok(rel) = path.strip_prefix(dir) else {
                    continue;
                };
                let rel = rel
                    .to_string_lossy()
                    .replace(std::path::MAIN_SEPARATOR, "/");
                if let Some(shown) = names.parts.get(&rel) {
                    return Provenance::Member {
                        archive: layout.clone(),
                        member: shown.clone(),
                    };
                }
            }
        }
        Provenance::File { path: display }
    }
}

/// Hands each regular file under `root` (or `root` itself when it is a file) to `visit` with
/// its provenance, on the walker's own threads; tells `sink` what it passes over.
fn walk(
    root: &Path,
    strip: bool,
    opts: &WalkOptions,
    sink: &dyn Sink,
    visit: &(dyn Fn(&Path, Provenance) + Sync),
) {
    let layouts = Layouts::default();
    let layouts = &layouts;
    let tally = (opts.respect_ignore || !opts.hidden).then(|| IgnoredTally {
        names: opts.name_ignored.then(Mutex::default),
        ..IgnoredTally::default()
    });
    let exclude = &opts.exclude_names;
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
        // `.git` is history, not tree.
        .filter_entry({
            let exclude = exclude.clone();
            move |e| e.file_name() != ".git" && !exclude.iter().any(|x| x == e.file_name())
        });
    let tally_ref = tally.as_ref();
    builder.build_parallel().run(|| {
        Box::new(move |entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    sink.error(walk_error(&e));
                    return WalkState::Continue;
                }
            };
            if let Some(t) = tally_ref {
                t.handed(entry.path(), entry.depth());
            }
            let Some(kind) = entry.file_type() else {
                return WalkState::Continue;
            };
            let display = || relative_display(root, entry.path(), strip);
            if kind.is_dir() {
                if let Some(t) = tally_ref {
                    t.directory(entry.path(), exclude);
                }
                layouts.directory(entry.path(), display, sink);
                return WalkState::Continue;
            }
            if kind.is_symlink() {
                sink.skipped(&display(), Skip::Symlink);
            } else if !kind.is_file() {
                sink.skipped(&display(), Skip::NotARegularFile);
            } else {
                visit(entry.path(), layouts.provenance(entry.path(), display()));
            }
            WalkState::Continue
        })
    });
    if let Some(t) = tally {
        let ignored = t
            .listed
            .load(Ordering::Relaxed)
            .saturating_sub(t.handed.load(Ordering::Relaxed));
        match t.names {
            Some(names) => {
                let mut names: Vec<PathBuf> = names
                    .into_inner()
                    .unwrap_or_else(|p| p.into_inner())
                    .into_iter()
                    .collect();
                names.sort();
                for n in names {
                    sink.skipped(&relative_display(root, &n, strip), Skip::Ignored);
                }
            }
            None => sink.passed_over(Skip::Ignored, ignored),
        }
    }
}

/// `ignore` errors read "IO error for operation on PATH: reason"; keep them to one line.
fn walk_error(e: &ignore::Error) -> String {
    e.to_string().replace('\n', " ")
}

/// How a path is shown and fingerprinted: with `strip`, relative to an absolute root
/// (`/tmp/x/a.txt` under `/tmp/x` is `a.txt`); otherwise, and under a relative root, as walked
/// (`src/a.rs` under `src`), so that `keyhound scan src tests` from a repository's top keeps
/// repository-relative paths, which is what SARIF consumers expect.
fn relative_display(root: &Path, path: &Path, strip: bool) -> String {
    let rel = match path.strip_prefix(root) {
        Ok(rel) if strip && root.is_absolute() && !rel.as_os_str().is_empty() => rel,
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
    use super::*;

    /// Keeps what a source hands over.
    #[derive(Default)]
    struct Kept {
        paths: Mutex<Vec<String>>,
        errors: Mutex<Vec<String>>,
    }

    impl Sink for Kept {
        fn wants(&self, _: &dyn Fn() -> String, _: u64) -> bool {
            true
        }
        fn content(&self, c: Content<'_>) {
            lock(&self.paths).push(c.provenance.path().to_string());
        }
        fn skipped(&self, _: &str, _: Skip) {}
        fn passed_over(&self, _: Skip, _: u64) {}
        fn error(&self, m: String) {
            lock(&self.errors).push(m);
        }
        fn fatal(&self, m: String) {
            lock(&self.errors).push(m);
        }
        fn note(&self, _: String) {}
    }

    /// The fault matrix's "file deleted during the walk", made deterministic: the walk has
    /// found `c.env` (listed, its size read) and it is deleted just before it is read. It is
    /// reported in one line, and the other files are still handed over.
    #[test]
    fn a_file_deleted_during_the_walk_is_reported_and_the_rest_scanned() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.env", "b.env", "c.env"] {
            std::fs::write(dir.path().join(name), "x\n").unwrap();
        }
        let opts = WalkOptions {
            respect_ignore: false,
            hidden: true,
            threads: 2,
            exclude_names: Vec::new(),
            name_ignored: false,
        };
        let kept = Kept::default();
        walk(dir.path(), true, &opts, &kept, &|path, provenance| {
            if provenance.path() == "c.env" {
                std::fs::remove_file(path).unwrap();
            }
            read(path, provenance, false, &kept)
        });
        let mut paths = kept.paths.into_inner().unwrap();
        paths.sort();
        assert_eq!(paths, ["a.env", "b.env"]);
        let errors = kept.errors.into_inner().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("c.env") && errors[0].contains("No such file"),
            "{errors:?}"
        );
        assert!(!errors[0].contains('\n'));
    }

    #[test]
    fn display_is_relative_to_the_root() {
        assert_eq!(
            relative_display(Path::new("/r"), Path::new("/r/a/b.txt"), true),
            "a/b.txt"
        );
        assert_eq!(
            relative_display(Path::new("/r"), Path::new("/r/a/b.txt"), false),
            "/r/a/b.txt"
        );
        assert_eq!(
            relative_display(Path::new("f.txt"), Path::new("f.txt"), true),
            "f.txt"
        );
        assert_eq!(
            relative_display(Path::new("./f.txt"), Path::new("./f.txt"), true),
            "f.txt"
        );
    }
}
