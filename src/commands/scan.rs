//! `keyhound scan`: files and directories, or stdin.

use std::path::PathBuf;

use anyhow::{bail, Result};

use super::{excluded_names, io_reason, Output, Setup};
use crate::cli::{ScanArgs, StagedArgs};
use keyhound::scanner;
use keyhound::source::stdin::{self, Stdin};
use keyhound::source::worktree::{WalkOptions, Worktree};
use keyhound::source::Source;

pub fn run(args: ScanArgs) -> Result<u8> {
    if args.staged {
        let repo = match args.paths.as_slice() {
            [] => PathBuf::from("."),
            [p] => p.clone(),
            _ => bail!("--staged takes at most one path: the repository"),
        };
        return super::staged::run(StagedArgs {
            repo,
            allow_too_large: args.allow_too_large,
            common: args.common,
        });
    }
    let walk_threads = super::threads(&args.common)?;
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
    let setup = Setup::new(Some(&args.common), &roots)?;
    let output = Output::open(args.common.output.as_deref())?;
    let diag = super::diagnostics(&args.common);
    let opts = setup.scan_options(super::progress(&args.common));
    let tree;
    let source: &dyn Source = if use_stdin {
        &Stdin
    } else {
        tree = Worktree::new(
            roots.clone(),
            WalkOptions {
                respect_ignore: !args.no_ignore,
                hidden: !args.no_hidden,
                threads: walk_threads,
                exclude_names: excluded_names(),
                name_ignored: args.common.verbose,
            },
        );
        &tree
    };
    let outcome = scanner::run(source, &setup.matcher, &opts, &setup.filter, &diag)?;
    // Paths are relative to one absolute root, or to the current directory.
    let root = match roots.as_slice() {
        [r] if r.is_absolute() && r.is_dir() => Some(r.clone()),
        rs if !use_stdin && rs.iter().all(|r| r.is_relative()) => Some(PathBuf::from(".")),
        _ => None,
    };
    super::report(outcome, &setup, &args.common, output, root.as_deref(), None)
}
