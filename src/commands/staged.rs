//! `keyhound staged`: what the next commit adds, for pre-commit hooks.

use std::path::PathBuf;

use anyhow::Result;

use super::{repo_top, Output, Setup};
use crate::cli::StagedArgs;
use keyhound::config::IGNORE_FILE_NAME;
use keyhound::finding::Finding;
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
    let advice = (!args.common.quiet).then(|| blocked(&outcome.findings));
    let code = super::report(
        outcome,
        &setup,
        &args.common,
        output,
        top.first().map(PathBuf::as_path),
        None,
    )?;
    if let (1.., Some(Some(advice))) = (code, advice) {
        eprint!("{advice}");
    }
    Ok(code)
}

/// What a blocked commit's author can do: allow a false alarm, where it stands or by its
/// fingerprint, and as the last resort skip the hook.
fn blocked(findings: &[Finding]) -> Option<String> {
    let reported: Vec<&Finding> = findings.iter().filter(|f| f.suppressed.is_none()).collect();
    if reported.is_empty() {
        return None;
    }
    let mut text = format!(
        "keyhound: commit blocked: {} secret{} in the staged changes. Remove {}, or, for a false alarm:\n\
         \x20 - allow it on its line with a `keyhound:allow` comment (e.g. `# keyhound:allow`), or\n\
         \x20 - add its fingerprint to {IGNORE_FILE_NAME} at the repository's top:\n",
        reported.len(),
        if reported.len() == 1 { "" } else { "s" },
        if reported.len() == 1 { "it" } else { "them" },
    );
    const SHOWN: usize = 10;
    for f in reported.iter().take(SHOWN) {
        text.push_str(&format!(
            "      {}  # {} at {}:{}\n",
            f.fingerprint,
            f.rule_id,
            f.path(),
            f.line
        ));
    }
    if reported.len() > SHOWN {
        text.push_str(&format!(
            "      … and {} more (`--print-fingerprints` shows them all)\n",
            reported.len() - SHOWN
        ));
    }
    text.push_str("  then stage again. Last resort, skipping every check of the hook: git commit --no-verify\n");
    Some(text)
}
