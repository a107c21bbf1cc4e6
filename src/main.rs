//! keyhound's binary: parse arguments, run the library, map the outcome to an exit code
//! (0 clean, 1 findings, 2 error).

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// `--max-file-size` when neither the command line nor the config sets it.
const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;

use anyhow::{bail, Context, Result};
use clap::Parser;

use keyhound::cli::{
    parse_size, BaselineCommand, Cli, ColorChoice, Command, CommonArgs, ConfigCommand, GitArgs,
    ListFormat, RulesCommand, ScanArgs, StagedArgs,
};
use keyhound::config::{self, Config};
use keyhound::filter::{Baseline, IgnoreFile};
use keyhound::matcher::Matcher;
use keyhound::report::{self, Format, Report};
use keyhound::rules;
use keyhound::scan::{self, Filters, HistoryOptions, ScanOptions};
use keyhound::source::history::Scope;
use keyhound::source::{stdin, worktree::WalkOptions};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // SAFETY: first thing, on the only thread: no thread pool or walker has started.
    unsafe { scan::bound_pack_windows(cores()) };
    let outcome = match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Git(args) => run_git(args),
        Command::Staged(args) => run_staged(args),
        Command::Rules { command } => run_rules(command),
        Command::Baseline { command } => run_baseline(command),
        Command::Config { command } => run_config(command),
        Command::InstallHook { repo, force } => {
            let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("keyhound"));
            keyhound::hook::install(&repo, &exe, force)
                .map(|p| {
                    eprintln!("installed {}", p.display());
                    0
                })
                .map_err(Into::into)
        }
        Command::UninstallHook { repo } => keyhound::hook::uninstall(&repo)
            .map(|p| {
                eprintln!("removed {}", p.display());
                0
            })
            .map_err(Into::into),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(shell, &mut Cli::command(), "keyhound", &mut io::stdout());
            Ok(0)
        }
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("keyhound: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Sets up the thread pool; returns the thread count for the directory walker.
fn threads(common: &CommonArgs) -> Result<usize> {
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

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn warn(msg: &str) {
    eprintln!("keyhound: warning: {msg}");
}

/// The `.keyhoundignore` at each top directory given (a missing one is empty), and the
/// `--ignore-file` lists (which must exist).
fn ignore_lists(tops: &[PathBuf], given: &[PathBuf]) -> Result<IgnoreFile> {
    let found = tops.iter().map(|t| (t.join(".keyhoundignore"), true));
    let given = given.iter().map(|p| (p.clone(), false));
    let mut ignore = IgnoreFile::default();
    for (path, missing_ok) in found.chain(given) {
        ignore.extend(
            IgnoreFile::load(&path, missing_ok)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), io_reason(&e)))?,
        );
    }
    Ok(ignore)
}

/// Everything a scan is configured by: the config file (found at the top of the scanned tree
/// or repository, or given), overridden by command-line flags.
struct Settings {
    config: Arc<Config>,
    filters: Filters,
    max_file_size: u64,
    exit_code: u8,
    redact: Option<usize>,
    decode_depth: usize,
    include_invalid: bool,
}

fn find_config(common: Option<&CommonArgs>, tops: &[PathBuf]) -> Result<Config> {
    if let Some(c) = common {
        if c.no_config {
            return Ok(Config::builtin());
        }
        if let Some(path) = &c.config {
            return Config::load(path).map_err(anyhow::Error::msg);
        }
    }
    for top in tops {
        let path = top.join(config::FILE_NAME);
        if path.is_file() {
            return Config::load(&path).map_err(anyhow::Error::msg);
        }
    }
    Ok(Config::builtin())
}

/// `common` is None for `keyhound baseline`, which takes the defaults and the found config.
fn settings(common: Option<&CommonArgs>, tops: &[PathBuf]) -> Result<Settings> {
    let config = Arc::new(find_config(common, tops)?);
    let ignore = ignore_lists(tops, common.map_or(&[], |c| &c.ignore_file))?;
    let mut baseline = Default::default();
    if let Some(c) = common {
        if let Some(path) = &c.baseline {
            baseline = Baseline::load(path)
                .map_err(anyhow::Error::msg)?
                .fingerprints();
        }
    }
    let options = &config.options;
    let config_size = match &options.max_file_size {
        Some(s) => Some(parse_size(s).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let settings = Settings {
        max_file_size: common
            .and_then(|c| c.max_file_size)
            .or(config_size)
            .unwrap_or(DEFAULT_MAX_FILE_SIZE),
        exit_code: common
            .and_then(|c| c.exit_code)
            .or(options.exit_code)
            .unwrap_or(1),
        redact: common.and_then(|c| c.redact).or(options.redact),
        decode_depth: common
            .and_then(|c| c.decode_depth)
            .or(options.decode_depth)
            .unwrap_or(keyhound::matcher::DEFAULT_DECODE_DEPTH),
        include_invalid: common.is_some_and(|c| c.include_invalid),
        filters: Filters {
            min_confidence: common
                .and_then(|c| c.min_confidence)
                .map(Into::into)
                .or(options.min_confidence),
            config: Some(config.clone()),
            ignore,
            baseline,
            show_suppressed: common.is_some_and(|c| c.show_suppressed),
        },
        config,
    };
    Ok(settings)
}

fn matcher_for(settings: &Settings) -> Matcher {
    let mut matcher = Matcher::new(settings.config.rules.clone());
    matcher.decode_depth = settings.decode_depth;
    matcher.include_invalid = settings.include_invalid;
    matcher
}

fn run_config(command: ConfigCommand) -> Result<u8> {
    let ConfigCommand::Check { file } = command;
    let path = file.unwrap_or_else(|| PathBuf::from(config::FILE_NAME));
    let config = Config::load(&path).map_err(anyhow::Error::msg)?;
    print!("{}", config.describe());
    Ok(0)
}

fn run_scan(args: ScanArgs) -> Result<u8> {
    if args.staged {
        let repo = match args.paths.as_slice() {
            [] => PathBuf::from("."),
            [p] => p.clone(),
            _ => bail!("--staged takes at most one path: the repository"),
        };
        return run_staged(StagedArgs {
            repo,
            common: args.common,
        });
    }
    let walk_threads = threads(&args.common)?;
    let use_stdin = match args.paths.as_slice() {
        [] => stdin::is_piped(),
        [p] => p.as_os_str() == "-",
        paths => {
            if paths.iter().any(|p| p.as_os_str() == "-") {
                bail!("'-' (stdin) cannot be combined with other paths");
            }
            false
        }
    };
    let roots = if args.paths.is_empty() || use_stdin {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if !use_stdin {
        for root in &roots {
            if let Err(e) = std::fs::symlink_metadata(root) {
                bail!("{}: {}", root.display(), io_reason(&e));
            }
        }
    }
    let dirs: Vec<PathBuf> = roots.iter().filter(|r| r.is_dir()).cloned().collect();
    let settings = settings(Some(&args.common), &dirs)?;
    let matcher = matcher_for(&settings);
    let opts = ScanOptions {
        max_file_size: settings.max_file_size,
        walk: WalkOptions {
            respect_ignore: !args.no_ignore,
            hidden: !args.no_hidden,
            threads: walk_threads,
        },
        verbose: args.common.verbose,
        progress: !args.common.quiet && io::stderr().is_terminal(),
    };
    let outcome = if use_stdin {
        let content = stdin::read().context("<stdin>: cannot read")?;
        scan::scan_one(&matcher, &content, opts.max_file_size, &settings.filters)
    } else {
        scan::scan_paths(&matcher, &roots, &opts, &settings.filters, &warn)
    };
    // Paths are relative to an absolute root, or to the current directory.
    let root = match roots.as_slice() {
        [r] if r.is_absolute() && r.is_dir() => Some(r.clone()),
        rs if !use_stdin && rs.iter().all(|r| r.is_relative()) => Some(PathBuf::from(".")),
        _ => None,
    };
    report_outcome(outcome, &matcher, &args.common, &settings, root.as_deref())
}

fn run_git(args: GitArgs) -> Result<u8> {
    threads(&args.common)?;
    let scope = match (&args.range, &args.since_commit, &args.branch) {
        (Some(range), _, _) => {
            let Some((a, b)) = range.split_once("..") else {
                bail!("--range '{range}': expected A..B");
            };
            if a.is_empty() || b.is_empty() || b.starts_with('.') {
                bail!("--range '{range}': expected A..B with two revisions");
            }
            Scope::Range {
                exclude: a.to_string(),
                include: b.to_string(),
            }
        }
        (None, Some(since), branch) => Scope::Range {
            exclude: since.clone(),
            include: branch.clone().unwrap_or_else(|| "HEAD".into()),
        },
        (None, None, Some(branch)) => Scope::Ref(branch.clone()),
        (None, None, None) => Scope::AllRefs,
    };
    let top = repo_top(&args.repo);
    let settings = settings(Some(&args.common), &top)?;
    let matcher = matcher_for(&settings);
    let opts = HistoryOptions {
        scope,
        unreachable: args.unreachable,
        recurse_submodules: args.recurse_submodules,
        max_file_size: settings.max_file_size,
        progress: !args.common.quiet && io::stderr().is_terminal(),
        verbose: args.common.verbose,
        filters: settings.filters.clone(),
    };
    let outcome = scan::scan_history(&matcher, &args.repo, &opts, &warn)?;
    report_outcome(
        outcome,
        &matcher,
        &args.common,
        &settings,
        top.first().map(PathBuf::as_path),
    )
}

/// The work tree's top directory, where its `.keyhoundignore` lives (none for a bare repository).
fn repo_top(repo: &Path) -> Vec<PathBuf> {
    scan::repository_root(repo).into_iter().collect()
}

fn run_staged(args: StagedArgs) -> Result<u8> {
    let top = repo_top(&args.repo);
    let settings = settings(Some(&args.common), &top)?;
    let matcher = matcher_for(&settings);
    let outcome = scan::scan_staged(
        &matcher,
        &args.repo,
        settings.max_file_size,
        &settings.filters,
        args.common.verbose,
        &warn,
    )?;
    report_outcome(
        outcome,
        &matcher,
        &args.common,
        &settings,
        top.first().map(PathBuf::as_path),
    )
}

/// Filters and reporters: redaction, the report (stdout or a file), the summary, the exit code.
/// `root`: the directory finding paths are relative to, if there is one.
fn report_outcome(
    mut outcome: scan::Outcome,
    matcher: &Matcher,
    args: &CommonArgs,
    settings: &Settings,
    root: Option<&Path>,
) -> Result<u8> {
    if let Some(keep) = settings.redact {
        for f in &mut outcome.findings {
            f.redact(keep);
        }
    }
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let report = Report {
        findings: &outcome.findings,
        stats: &outcome.stats,
        matcher,
        color,
        redacted: settings.redact.is_some(),
        print_fingerprints: args.print_fingerprints,
        root: root.map(|r| std::path::absolute(r).unwrap_or_else(|_| r.to_path_buf())),
    };
    match &args.output {
        Some(path) => write_file(path, args.format, &report)?,
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            report::write(args.format, &report, &mut out)
                .and_then(|_| out.flush())
                .or_else(ignore_broken_pipe)
                .context("cannot write to stdout")?;
        }
    }
    if !args.quiet {
        eprintln!("{}", report::summary(&outcome.stats));
    }
    Ok(if outcome.stats.findings == 0 {
        0
    } else {
        settings.exit_code
    })
}

/// Writes the report to `path`.
fn write_file(path: &Path, format: Format, report: &Report) -> Result<()> {
    write_atomically(path, |out| report::write(format, report, out))
}

/// Writes beside the destination and renames into place, so a failed write never leaves a
/// partial file behind. A destination that exists and is not a regular file (`/dev/null`, a
/// FIFO, `/dev/stdout`) is written in place: renaming over it would replace the device.
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display| anyhow::anyhow!("{}: {e}", path.display());
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file());
    if special {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| fail(&io_reason(&e)))?;
        let mut out = io::BufWriter::new(file);
        return write(&mut out)
            .and_then(|_| out.flush())
            .map_err(|e| fail(&io_reason(&e)));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&io_reason(&e)))?;
    {
        let mut out = io::BufWriter::new(tmp.as_file_mut());
        write(&mut out)
            .and_then(|_| out.flush())
            .map_err(|e| fail(&io_reason(&e)))?;
    }
    // A temporary file is private (0600); a report is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| fail(&io_reason(&e)))?;
    }
    tmp.persist(path).map_err(|e| fail(&io_reason(&e.error)))?;
    Ok(())
}

fn run_baseline(command: BaselineCommand) -> Result<u8> {
    let (args, update) = match command {
        BaselineCommand::Create(a) => (a, false),
        BaselineCommand::Update(a) => (a, true),
    };
    let before = if update && args.output.exists() {
        Some(Baseline::load(&args.output).map_err(anyhow::Error::msg)?)
    } else {
        None
    };
    let tops = if args.git {
        repo_top(&args.path)
    } else {
        vec![args.path.clone()]
    };
    // The config, inline allows and .keyhoundignore still apply: what they suppress is not
    // baselined.
    let settings = settings(None, &tops)?;
    let matcher = matcher_for(&settings);
    let filters = settings.filters.clone();
    let outcome = if args.git {
        let opts = HistoryOptions {
            scope: Scope::AllRefs,
            unreachable: false,
            recurse_submodules: false,
            max_file_size: settings.max_file_size,
            progress: io::stderr().is_terminal(),
            verbose: false,
            filters,
        };
        scan::scan_history(&matcher, &args.path, &opts, &warn)?
    } else {
        if let Err(e) = std::fs::metadata(&args.path) {
            bail!("{}: {}", args.path.display(), io_reason(&e));
        }
        let opts = ScanOptions {
            max_file_size: settings.max_file_size,
            walk: WalkOptions {
                respect_ignore: true,
                hidden: true,
                threads: cores(),
            },
            verbose: false,
            progress: io::stderr().is_terminal(),
        };
        scan::scan_paths(
            &matcher,
            std::slice::from_ref(&args.path),
            &opts,
            &filters,
            &warn,
        )
    };
    let baseline = Baseline::of(&outcome.findings);
    write_atomically(&args.output, |out| {
        serde_json::to_writer_pretty(&mut *out, &baseline)?;
        writeln!(out)
    })?;
    let now = baseline.fingerprints();
    match before {
        Some(old) => {
            let old = old.fingerprints();
            eprintln!(
                "{}: {} findings ({} added, {} gone)",
                args.output.display(),
                now.len(),
                now.difference(&old).count(),
                old.difference(&now).count()
            );
        }
        None => eprintln!("{}: {} findings", args.output.display(), now.len()),
    }
    Ok(0)
}

fn ignore_broken_pipe(e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(e)
    }
}

/// "No such file or directory" without the "(os error 2)" noise.
fn io_reason(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn run_rules(command: RulesCommand) -> Result<u8> {
    match command {
        RulesCommand::List { format } => {
            let all = rules::embedded_full();
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            match format {
                ListFormat::Json => serde_json::to_writer_pretty(&mut out, &all)?,
                ListFormat::Human => {
                    for r in &all {
                        writeln!(
                            out,
                            "{:<36} {:<7} {}",
                            r.id,
                            r.confidence.to_string(),
                            r.name
                        )?;
                    }
                    writeln!(out, "{} rules", all.len())?;
                }
            }
            out.flush().or_else(ignore_broken_pipe)?;
            Ok(0)
        }
        RulesCommand::Check { files } => {
            let mut failed = false;
            for file in &files {
                let loaded = rules::load_file(file)?;
                let failures = rules::check_examples(&loaded);
                for f in &failures {
                    if f.example.is_empty() {
                        println!("{}: {}: {}", file.display(), f.rule_id, f.problem);
                    } else {
                        println!(
                            "{}: {}: {}: {:?}",
                            file.display(),
                            f.rule_id,
                            f.problem,
                            f.example
                        );
                    }
                }
                failed |= !failures.is_empty();
                println!(
                    "{}: {} rules, {} failing example{}",
                    file.display(),
                    loaded.len(),
                    failures.len(),
                    if failures.len() == 1 { "" } else { "s" }
                );
            }
            Ok(if failed { 1 } else { 0 })
        }
        RulesCommand::Score {
            dir,
            min_recall,
            max_fp_rate,
            verbose,
        } => {
            let matcher = Matcher::new(rules::embedded());
            let score = keyhound::accuracy::score(&matcher, &dir).map_err(anyhow::Error::msg)?;
            let ok = score.recall() >= min_recall && score.false_positive_rate() <= max_fp_rate;
            let mut text = score.render(verbose);
            if !ok {
                text.push_str(&format!(
                    "below target: recall must be at least {:.2}%, false-positive rate at most {:.2}%\n",
                    100.0 * min_recall,
                    100.0 * max_fp_rate
                ));
            }
            io::stdout()
                .write_all(text.as_bytes())
                .or_else(ignore_broken_pipe)?;
            Ok(if ok { 0 } else { 1 })
        }
    }
}
