//! `keyhound git`: a repository's history, each unique blob once.

use std::path::PathBuf;

use anyhow::{bail, Result};

use super::{excluded_names, repo_top, Output, Setup};
use crate::cli::GitArgs;
use keyhound::scanner;
use keyhound::source::git::history::{GitHistory, HistoryOptions};
use keyhound::source::git::walk::Scope;

pub fn run(args: GitArgs) -> Result<u8> {
    super::threads(&args.common)?;
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
    let setup = Setup::new(Some(&args.common), &top)?;
    let output = Output::open(args.common.output.as_deref())?;
    let diag = super::diagnostics(&args.common);
    let history = GitHistory::new(
        args.repo.clone(),
        HistoryOptions {
            scope,
            unreachable: args.unreachable,
            recurse_submodules: args.recurse_submodules,
            exclude_names: history_excludes(),
        },
    );
    let opts = scanner::ScanOptions {
        deltas: !args.no_delta,
        ..setup.scan_options(super::progress(&args.common))
    };
    let outcome = scanner::run(&history, &setup.matcher, &opts, &setup.filter, &diag)?;
    super::report(
        outcome,
        &setup,
        &args.common,
        output,
        top.first().map(PathBuf::as_path),
        keyhound::source::git::remote_url(&args.repo)
            .and_then(|url| keyhound::report::html::WebLinks::from_remote(&url)),
    )
}

pub fn history_excludes() -> Vec<Vec<u8>> {
    excluded_names()
        .into_iter()
        .map(|n| n.into_encoded_bytes())
        .collect()
}
