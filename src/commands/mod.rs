//! One file per command. This module holds what the scan commands share: settings (flag >
//! config > default, resolved by `config::Config::settings`), the filter stage they build,
//! the output file opened before the scan, and the report at the end.

pub mod baseline;
pub mod config;
pub mod explain;
pub mod git;
pub mod hook;
pub mod merge;
pub mod rules;
pub mod scan;
pub mod staged;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::cli::{ColorChoice, CommonArgs};
use keyhound::config::{search_dirs, Config, Overrides, Settings, FILE_NAME, IGNORE_FILE_NAME};
use keyhound::diag::Stderr;
use keyhound::filter::{Baseline, Filter, Listed};
use keyhound::gitleaks;
use keyhound::matcher::Matcher;
use keyhound::report::{self, Format, Report};
use keyhound::scanner::{Outcome, ScanOptions};

/// Everything a scan is configured by: the config file (found beside the scanned tree or
/// repository, or given), overridden by command-line flags.
pub struct Setup {
    pub settings: Settings,
    /// `--cache DIR`, opened.
    pub cache: Option<Arc<keyhound::cache::Cache>>,
    /// `keyhound VERSION rules HASH`: what each finding says it was found with.
    pub ruleset: String,
    pub filter: Filter,
    /// Never dropped: freeing hundreds of compiled regexes just before the process exits
    /// cost 2% of a tree scan, and the operating system takes the memory back anyway.
    pub matcher: std::mem::ManuallyDrop<Matcher>,
}

impl Setup {
    /// `common` is None for `keyhound baseline`, which takes the defaults and the found config
    /// (and never redacts: a baseline stores hashes). `dirs`: where the config and
    /// `.keyhoundignore` files are looked for, nearest first.
    pub fn new(common: Option<&CommonArgs>, dirs: &[PathBuf]) -> Result<Setup> {
        let mut config = match common {
            Some(c) if c.no_config => Config::builtin(),
            Some(CommonArgs {
                config: Some(path), ..
            }) => Config::load(path)?,
            _ => Config::discover(dirs)?,
        };
        if let Some(c) = common {
            config.select(&c.enable_rule, &c.disable_rule)?;
        }
        if let (true, Some(path)) = (config.from_gitleaks, &config.source) {
            eprintln!(
                "keyhound: no {FILE_NAME}: read the allowlists of {} (gitleaks' config); `keyhound config import-gitleaks` writes them as a {FILE_NAME}",
                path.display()
            );
        }
        let flags = common.map(overrides).unwrap_or_default();
        let settings = config.settings(&flags);
        let mut ignore = Listed::default();
        let mut seen = std::collections::HashSet::new();
        let found = dirs
            .iter()
            .flat_map(|d| search_dirs(d))
            .filter(|d| seen.insert(d.clone()))
            .flat_map(|d| [d.join(IGNORE_FILE_NAME), d.join(gitleaks::IGNORE_NAME)])
            .map(|path| (path, true));
        let given = common
            .map_or(&[][..], |c| &c.ignore_file)
            .iter()
            .map(|p| (p.clone(), false));
        for (path, missing_ok) in found.chain(given) {
            let listed = Listed::load(&path, missing_ok)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), io_reason(&e)))?;
            if !listed.is_empty() && path.file_name() == Some(gitleaks::IGNORE_NAME.as_ref()) {
                eprintln!(
                    "keyhound: read {} (gitleaks' ignore file: its entries name places)",
                    path.display()
                );
            }
            ignore.extend(listed);
        }
        let baseline = match common.and_then(|c| c.baseline.as_ref()) {
            Some(path) => Baseline::load_list(path)?,
            None => Default::default(),
        };
        let ruleset = ruleset(&config.rules);
        let verifier = common
            .filter(|c| c.verify)
            .map(|_| Arc::new(keyhound::verify::Verifier::new(config.endpoints.clone())));
        let mut matcher = Matcher::new(config.rules.clone());
        matcher.decode_depth = settings.decode_depth;
        matcher.include_invalid = common.is_some_and(|c| c.include_invalid);
        let filter = Filter {
            config: Some(Arc::new(config)),
            ignore,
            baseline,
            min_confidence: settings.min_confidence,
            show_suppressed: common.is_some_and(|c| c.show_suppressed),
            redact: settings.redact,
            verify: verifier,
            verify_only: common.is_some_and(|c| c.verify_only),
        };
        let cache = match common.and_then(|c| c.cache.as_ref().map(|d| (d, c))) {
            Some((dir, c)) => {
                // What changes a scan's findings names the cache file.
                let key = keyhound::cache::key(&[
                    &ruleset,
                    &settings.decode_depth.to_string(),
                    &settings.archive_depth.to_string(),
                    &settings.max_file_size.to_string(),
                    &c.include_invalid.to_string(),
                ]);
                let warn = |m: String| eprintln!("keyhound: warning: {m}");
                let cache = keyhound::cache::Cache::open(
                    dir,
                    &key,
                    c.cache_size.unwrap_or(256 << 20),
                    &warn,
                )
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{}: cannot use as a cache: {}",
                        dir.display(),
                        io_reason(&e)
                    )
                })?;
                Some(Arc::new(cache))
            }
            None => None,
        };
        Ok(Setup {
            settings,
            cache,
            ruleset,
            filter,
            matcher: std::mem::ManuallyDrop::new(matcher),
        })
    }

    pub fn scan_options(&self, progress: bool) -> ScanOptions {
        ScanOptions {
            max_file_size: self.settings.max_file_size,
            fail_too_large: false,
            progress,
            deltas: true,
            archive_depth: self.settings.archive_depth,
            cache: self.cache.clone(),
        }
    }
}

fn overrides(c: &CommonArgs) -> Overrides {
    Overrides {
        max_file_size: c.max_file_size,
        min_confidence: c.min_confidence.map(Into::into),
        redact: c.redact,
        exit_code: c.exit_code,
        decode_depth: c.decode_depth,
        archive_depth: c.archive_depth,
    }
}

/// Sets up the thread pool; returns the thread count for the directory walker.
pub fn threads(common: &CommonArgs) -> Result<usize> {
    match common.threads {
        Some(n) if n > 0 => {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build_global()
                .context("cannot start the thread pool")?;
            Ok(n)
        }
        _ => Ok(cores()),
    }
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

pub fn diagnostics(common: &CommonArgs) -> Stderr {
    Stderr {
        verbose: common.verbose,
    }
}

pub fn progress(common: &CommonArgs) -> bool {
    !common.quiet && io::stderr().is_terminal()
}

/// Where the report goes, opened before the scan starts, so that a bad `-o` fails at once and
/// not after a long history scan.
pub enum Output {
    Stdout,
    /// Written beside the destination and renamed into place, so a failed write never leaves
    /// a partial file behind.
    File {
        tmp: tempfile::NamedTempFile,
        path: PathBuf,
    },
    /// A destination that exists and is not a regular file (`/dev/null`, a FIFO,
    /// `/dev/stdout`) is written in place: renaming over it would replace the device.
    Device {
        file: std::fs::File,
        path: PathBuf,
    },
}

impl Output {
    pub fn open(path: Option<&Path>) -> Result<Output> {
        let Some(path) = path else {
            return Ok(Output::Stdout);
        };
        let fail = |e: &io::Error| anyhow::anyhow!("{}: {}", path.display(), io_reason(e));
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| fail(&e))?;
            return Ok(Output::Device {
                file,
                path: path.to_path_buf(),
            });
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&e))?;
        Ok(Output::File {
            tmp,
            path: path.to_path_buf(),
        })
    }

    pub fn write(self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<()> {
        match self {
            Output::Stdout => {
                let stdout = io::stdout();
                let mut out = io::BufWriter::new(stdout.lock());
                write(&mut out)
                    .and_then(|_| out.flush())
                    .or_else(ignore_broken_pipe)
                    .context("cannot write to stdout")
            }
            Output::Device { file, path } => {
                let mut out = io::BufWriter::new(file);
                write(&mut out)
                    .and_then(|_| out.flush())
                    .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), io_reason(&e)))
            }
            Output::File { mut tmp, path } => {
                let fail = |e: &io::Error| anyhow::anyhow!("{}: {}", path.display(), io_reason(e));
                {
                    let mut out = io::BufWriter::new(tmp.as_file_mut());
                    write(&mut out)
                        .and_then(|_| out.flush())
                        .map_err(|e| fail(&e))?;
                }
                // A temporary file is private (0600); a report is an ordinary file.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    tmp.as_file()
                        .set_permissions(std::fs::Permissions::from_mode(0o644))
                        .map_err(|e| fail(&e))?;
                }
                tmp.persist(&path).map_err(|e| fail(&e.error))?;
                Ok(())
            }
        }
    }
}

/// The reporters: the report (stdout or the opened file), the summary, the exit code.
/// `root`: the directory finding paths are relative to, if there is one.
/// The version and a hash of the rules: reports made with the same are comparable.
fn ruleset(rules: &[keyhound::rules::Rule]) -> String {
    use sha2::Digest;
    let text = serde_json::to_vec(rules).unwrap_or_default();
    let hash = sha2::Sha256::digest(&text);
    let short: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("keyhound {} rules {short}", env!("CARGO_PKG_VERSION"))
}

pub fn report(
    mut outcome: Outcome,
    setup: &Setup,
    args: &CommonArgs,
    output: Output,
    root: Option<&Path>,
    links: Option<keyhound::report::html::WebLinks>,
) -> Result<u8> {
    let color = color(args.color, &output);
    let diag = diagnostics(args);
    for f in outcome.findings.iter_mut().filter(|f| f.ruleset.is_none()) {
        f.ruleset = Some(setup.ruleset.clone());
    }
    let report = Report {
        findings: &outcome.findings,
        stats: &outcome.stats,
        matcher: &setup.matcher,
        color,
        redacted: setup.settings.redact.is_some(),
        print_fingerprints: args.print_fingerprints,
        root: root.map(|r| std::path::absolute(r).unwrap_or_else(|_| r.to_path_buf())),
        diag: &diag,
        links,
    };
    let format: Format = args.format;
    output.write(|out| report::write(format, &report, out))?;
    if !args.quiet {
        eprintln!("{}", outcome.stats.summary());
    }
    Ok(if outcome.stats.fatal > 0 {
        2
    } else if outcome.stats.findings == 0 {
        0
    } else {
        setup.settings.exit_code
    })
}

/// Whether human output is coloured: as asked, or on a terminal without `NO_COLOR`.
pub fn color(choice: ColorChoice, output: &Output) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            matches!(output, Output::Stdout)
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

pub fn ignore_broken_pipe(e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}

/// "No such file or directory" without the "(os error 2)" noise.
pub fn io_reason(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The work tree's top directory, where its config and `.keyhoundignore` live (none for a
/// bare repository).
pub fn repo_top(repo: &Path) -> Vec<PathBuf> {
    keyhound::source::git::work_tree_top(repo)
        .into_iter()
        .collect()
}

/// Names sources never scan: keyhound's own config holds rule examples on purpose.
pub fn excluded_names() -> Vec<std::ffi::OsString> {
    vec![FILE_NAME.into()]
}
