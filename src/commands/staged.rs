//! `keyhound staged`: what the next commit adds, for pre-commit hooks.

use std::path::PathBuf;

use anyhow::Result;

use super::{repo_top, Output, Setup};
use crate::cli::StagedArgs;
use keyhound::scanner;
use keyhound::source::git::staged::StagedChanges;

pub fn run(args: StagedArgs) -> Result<u8> {
    let top = repo_top(&args.repo);
    let setup = Setup::new(Some(&args.common), &top)?;
    let output = Output::open(args.common.output.as_deref())?;
    let diag = super::diagnostics(&args.common);
    let mut opts = setup.scan_options(false);
    opts.fail_too_large = !args.allow_too_large;
    let staged = StagedChanges::new(args.repo.clone());
    let outcome = scanner::run(&staged, &setup.matcher, &opts, &setup.filter, &diag)?;
    super::report(
        outcome,
        &setup,
        &args.common,
        output,
        top.first().map(PathBuf::as_path),
        None,
    )
}
