//! `keyhound baseline create|update`: accept the current findings.

use std::io::IsTerminal;

use anyhow::{bail, Result};

use super::{cores, excluded_names, io_reason, repo_top, Output, Setup};
use crate::cli::BaselineCommand;
use keyhound::diag::Stderr;
use keyhound::filter::Baseline;
use keyhound::scanner;
use keyhound::source::git::history::{GitHistory, HistoryOptions};
use keyhound::source::git::walk::Scope;
use keyhound::source::worktree::{WalkOptions, Worktree};
use keyhound::source::Source;

pub fn run(command: BaselineCommand) -> Result<u8> {
    let (args, update) = match command {
        BaselineCommand::Create(a) => (a, false),
        BaselineCommand::Update(a) => (a, true),
    };
    let before = if update && args.output.exists() {
        Some(Baseline::load(&args.output)?)
    } else {
        None
    };
    let tops = if args.git {
        repo_top(&args.path)
    } else {
        if let Err(e) = std::fs::metadata(&args.path) {
            bail!("{}: {}", args.path.display(), io_reason(&e));
        }
        vec![args.path.clone()]
    };
    // The config, inline allows and .keyhoundignore still apply: what they suppress is not
    // baselined.
    let setup = Setup::new(None, &tops)?;
    let output = Output::open(Some(&args.output))?;
    let diag = Stderr { verbose: false };
    let opts = setup.scan_options(std::io::stderr().is_terminal());
    let source: Box<dyn Source> = if args.git {
        Box::new(GitHistory::new(
            args.path.clone(),
            HistoryOptions {
                scope: Scope::AllRefs,
                unreachable: false,
                recurse_submodules: false,
                exclude_names: super::git::history_excludes(),
                shard: None,
            },
        ))
    } else {
        Box::new(Worktree::new(
            vec![args.path.clone()],
            WalkOptions {
                respect_ignore: true,
                hidden: true,
                threads: cores(),
                exclude_names: excluded_names(),
                name_ignored: false,
            },
        ))
    };
    let outcome = scanner::run(&*source, &setup.matcher, &opts, &setup.filter, &diag)?;
    let baseline = Baseline::of(&outcome.findings);
    output.write(|out| {
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
    Ok(if outcome.stats.fatal > 0 { 2 } else { 0 })
}
