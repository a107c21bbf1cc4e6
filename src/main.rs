//! keyhound's binary: parse the arguments, run the command (one file each in `commands/`),
//! and map the outcome to an exit code: 0 clean, 1 findings, 2 error.

mod cli;
mod commands;

use std::io;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // SAFETY: first thing, on the only thread: no thread pool or walker has started.
    unsafe { keyhound::source::git::configure_libgit2(commands::cores()) };
    let outcome = match cli.command {
        Command::Scan(args) => commands::scan::run(args),
        Command::Git(args) => commands::git::run(args),
        Command::Staged(args) => commands::staged::run(args),
        Command::Merge(args) => commands::merge::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Rules { command } => commands::rules::run(command),
        Command::Baseline { command } => commands::baseline::run(command),
        Command::Config { command } => commands::config::run(command),
        Command::InstallHook { repo, force } => commands::hook::install(&repo, force),
        Command::UninstallHook { repo } => commands::hook::uninstall(&repo),
        Command::Completions { shell } => {
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
