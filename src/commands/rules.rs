//! `keyhound rules list|check|score`.

use std::io::{self, Write};

use anyhow::Result;

use super::ignore_broken_pipe;
use crate::cli::{ListFormat, RulesCommand};
use keyhound::diag::Stderr;
use keyhound::matcher::{examples, Matcher};
use keyhound::rules;

pub fn run(command: RulesCommand) -> Result<u8> {
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
                let failures = examples::check(&loaded);
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
            let diag = Stderr { verbose: false };
            let score = keyhound::accuracy::score(&matcher, &dir, &diag)?;
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
