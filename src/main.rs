//! keyhound's binary: parse arguments, run the library, map the outcome to an exit code
//! (0 clean, 1 findings, 2 error).

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::Parser;

use keyhound::cli::{
    BaselineCommand, Cli, ColorChoice, Command, CommonArgs, GitArgs, ListFormat, RulesCommand,
    ScanArgs, StagedArgs,
};
use keyhound::filter::{Baseline, IgnoreFile};
use keyhound::matcher::Matcher;
use keyhound::report::{self, Format, Report};
use keyhound::rules;
use keyhound::scan::{self, Filters, HistoryOptions, ScanOptions};
use keyhound::source::history::Scope;
use keyhound::source::{stdin, worktree::WalkOptions};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Scan(args) => run_scan(args),
        Command::Git(args) => run_git(args),
        Command::Staged(args) => run_staged(args),
        Command::Rules { command } => run_rules(command),
        Command::Baseline { command } => run_baseline(command),
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
        _ => Ok(std::thread::available_parallelism().map_or(2, |n| n.get())),
    }
}

fn warn(msg: &str) {
    eprintln!("keyhound: warning: {msg}");
}

/// The `.keyhoundignore` files at the top directories given (a missing one is empty).
fn filters_ignore(tops: &[PathBuf]) -> Result<IgnoreFile> {
    let mut ignore = IgnoreFile::default();
    for top in tops {
        let path = top.join(".keyhoundignore");
        ignore.extend(
            IgnoreFile::load(&path)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), io_reason(&e)))?,
        );
    }
    Ok(ignore)
}

/// Suppression settings: the `.keyhoundignore` at each top directory given, plus every
/// `--ignore-file` (which must exist).
fn filters(common: &CommonArgs, tops: &[PathBuf]) -> Result<Filters> {
    let mut ignore = filters_ignore(tops)?;
    for path in &common.ignore_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), io_reason(&e)))?;
        ignore.extend(IgnoreFile::parse(&text));
    }
    let baseline = match &common.baseline {
        Some(path) => Baseline::load(path)
            .map_err(anyhow::Error::msg)?
            .fingerprints(),
        None => Default::default(),
    };
    Ok(Filters {
        ignore,
        baseline,
        show_suppressed: common.show_suppressed,
    })
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
    let opts = ScanOptions {
        max_file_size: args.common.max_file_size,
        walk: WalkOptions {
            respect_ignore: !args.no_ignore,
            hidden: !args.no_hidden,
            threads: walk_threads,
        },
    };
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
    let matcher = Matcher::new(rules::embedded());
    let outcome = if use_stdin {
        let content = stdin::read().context("<stdin>: cannot read")?;
        let filters = filters(&args.common, &[])?;
        scan::scan_one(&matcher, &content, opts.max_file_size, &filters)
    } else {
        let roots = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        for root in &roots {
            if let Err(e) = std::fs::symlink_metadata(root) {
                bail!("{}: {}", root.display(), io_reason(&e));
            }
        }
        let dirs: Vec<PathBuf> = roots.iter().filter(|r| r.is_dir()).cloned().collect();
        let filters = filters(&args.common, &dirs)?;
        scan::scan_paths(&matcher, &roots, &opts, &filters, &warn)
    };
    report_outcome(outcome, &matcher, &args.common)
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
    let opts = HistoryOptions {
        scope,
        unreachable: args.unreachable,
        recurse_submodules: args.recurse_submodules,
        max_file_size: args.common.max_file_size,
        progress: !args.common.quiet && io::stderr().is_terminal(),
        filters: filters(&args.common, &repo_top(&args.repo))?,
    };
    let matcher = Matcher::new(rules::embedded());
    let outcome = scan::scan_history(&matcher, &args.repo, &opts, &warn)?;
    report_outcome(outcome, &matcher, &args.common)
}

/// The work tree's top directory, where its `.keyhoundignore` lives (none for a bare repository).
fn repo_top(repo: &Path) -> Vec<PathBuf> {
    scan::repository_root(repo).into_iter().collect()
}

fn run_staged(args: StagedArgs) -> Result<u8> {
    let matcher = Matcher::new(rules::embedded());
    let filters = filters(&args.common, &repo_top(&args.repo))?;
    let outcome = scan::scan_staged(
        &matcher,
        &args.repo,
        args.common.max_file_size,
        &filters,
        &warn,
    )?;
    report_outcome(outcome, &matcher, &args.common)
}

/// Filters and reporters: redaction, the report (stdout or a file), the summary, the exit code.
fn report_outcome(mut outcome: scan::Outcome, matcher: &Matcher, args: &CommonArgs) -> Result<u8> {
    if let Some(keep) = args.redact {
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
        redacted: args.redact.is_some(),
        print_fingerprints: args.print_fingerprints,
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
        args.exit_code
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
    let matcher = Matcher::new(rules::embedded());
    let tops = if args.git {
        repo_top(&args.path)
    } else {
        vec![args.path.clone()]
    };
    // Inline allows and .keyhoundignore still apply: what they suppress is not baselined.
    let filters = Filters {
        ignore: filters_ignore(&tops)?,
        ..Filters::default()
    };
    let outcome = if args.git {
        let opts = HistoryOptions {
            scope: Scope::AllRefs,
            unreachable: false,
            recurse_submodules: false,
            max_file_size: 10 << 20,
            progress: io::stderr().is_terminal(),
            filters,
        };
        scan::scan_history(&matcher, &args.path, &opts, &warn)?
    } else {
        if let Err(e) = std::fs::metadata(&args.path) {
            bail!("{}: {}", args.path.display(), io_reason(&e));
        }
        let opts = ScanOptions {
            max_file_size: 10 << 20,
            walk: WalkOptions {
                respect_ignore: true,
                hidden: true,
                threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            },
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
            let all = rules::embedded();
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
    }
}
