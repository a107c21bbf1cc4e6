//! `keyhound git`: a repository's history, each unique blob once; several repositories in
//! one run (`keyhound git A B`, `--repos FILE`), or one part of one (`--shard K/N`).

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use super::{excluded_names, repo_top, Output, Setup};
use crate::cli::GitArgs;
use keyhound::report::html::WebLinks;
use keyhound::scanner::{self, Outcome};
use keyhound::source::git::history::{GitHistory, HistoryOptions, Shard};
use keyhound::source::git::walk::Scope;

pub fn run(args: GitArgs) -> Result<u8> {
    super::threads(&args.common)?;
    let scope = scope(&args)?;
    let shard = args
        .shard
        .as_deref()
        .map(|s| Shard::parse(s, std::env::var("JOB_COMPLETION_INDEX").ok().as_deref()))
        .transpose()
        .map_err(|e| anyhow!(e))?;
    let repos = repositories(&args)?;
    let output = Output::open(args.common.output.as_deref())?;
    if let [repo] = repos.as_slice() {
        let top = repo_top(repo);
        let setup = Setup::new(Some(&args.common), &top)?;
        let outcome = scan(repo, &args, &setup, scope, shard)?;
        let links =
            keyhound::source::git::remote_url(repo).and_then(|url| WebLinks::from_remote(&url));
        return super::report(
            outcome,
            &setup,
            &args.common,
            output,
            top.first().map(PathBuf::as_path),
            links,
        );
    }
    // Several: each with its own config and ignore files, in turn; one report of them all.
    let mut all = Outcome {
        findings: Vec::new(),
        stats: Default::default(),
    };
    let count = repos.len();
    for (i, repo) in repos.iter().enumerate() {
        if !args.common.quiet {
            eprintln!("keyhound: repository {}/{count}: {}", i + 1, repo.display());
        }
        let mut setup_ruleset = String::new();
        let scanned = Setup::new(Some(&args.common), &repo_top(repo)).and_then(|setup| {
            setup_ruleset = setup.ruleset.clone();
            scan(repo, &args, &setup, scope.clone(), shard)
        });
        match scanned {
            Ok(mut outcome) => {
                let name = repo.display().to_string();
                for f in &mut outcome.findings {
                    f.repository = Some(name.clone());
                    f.ruleset = Some(setup_ruleset.clone());
                }
                all.findings.extend(outcome.findings);
                all.stats.add(&outcome.stats);
            }
            Err(e) => {
                // Reported, counted, and the run fails (exit 2) once the others are done.
                eprintln!("keyhound: {}: {e:#}", repo.display());
                all.stats.errors += 1;
                all.stats.fatal += 1;
            }
        }
    }
    keyhound::filter::sort(&mut all.findings);
    // The report's rule table and redaction: the command line's, with no repository's config.
    let setup = Setup::new(Some(&args.common), &[])?;
    super::report(all, &setup, &args.common, output, None, None)
}

fn scope(args: &GitArgs) -> Result<Scope> {
    Ok(match (&args.range, &args.since_commit, &args.branch) {
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
    })
}

/// The repositories named on the command line and in `--repos FILE`; `.` when none is.
fn repositories(args: &GitArgs) -> Result<Vec<PathBuf>> {
    let mut repos = args.repos.clone();
    if let Some(file) = &args.repos_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("{}: cannot read", file.display()))?;
        repos.extend(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(PathBuf::from),
        );
        if repos.is_empty() {
            bail!("{}: lists no repository", file.display());
        }
    }
    if repos.is_empty() {
        repos.push(PathBuf::from("."));
    }
    Ok(repos)
}

fn scan(
    repo: &Path,
    args: &GitArgs,
    setup: &Setup,
    scope: Scope,
    shard: Option<Shard>,
) -> Result<Outcome> {
    let diag = super::diagnostics(&args.common);
    let history = GitHistory::new(
        repo.to_path_buf(),
        HistoryOptions {
            scope,
            unreachable: args.unreachable,
            recurse_submodules: args.recurse_submodules,
            exclude_names: history_excludes(),
            shard,
        },
    );
    let opts = scanner::ScanOptions {
        deltas: !args.no_delta,
        ..setup.scan_options(super::progress(&args.common))
    };
    Ok(scanner::run(
        &history,
        &setup.matcher,
        &opts,
        &setup.filter,
        &diag,
    )?)
}

pub fn history_excludes() -> Vec<Vec<u8>> {
    excluded_names()
        .into_iter()
        .map(|n| n.into_encoded_bytes())
        .collect()
}
