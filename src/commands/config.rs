//! `keyhound config check`: validate a config file and print what it resolves to.
//! `keyhound config import-gitleaks`: a gitleaks config's allowlists as a keyhound config.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::cli::ConfigCommand;
use keyhound::config::{self, Config};
use keyhound::gitleaks;

pub fn run(command: ConfigCommand) -> Result<u8> {
    match command {
        ConfigCommand::Check { file } => {
            let path = file.unwrap_or_else(|| PathBuf::from(config::FILE_NAME));
            let config = Config::load(&path)?;
            print!("{}", config.describe());
        }
        ConfigCommand::ImportGitleaks {
            file,
            output,
            force,
        } => {
            let path = file.unwrap_or_else(|| PathBuf::from(gitleaks::CONFIG_NAME));
            // Checked as keyhound reads it: what is written loads.
            let (_, imported) = Config::import_gitleaks(&path)?;
            for note in &imported.notes {
                eprintln!("keyhound: {note}");
            }
            match output {
                Some(out) => {
                    if out.exists() && !force {
                        bail!("{}: exists (pass --force to replace it)", out.display());
                    }
                    std::fs::write(&out, &imported.toml)
                        .with_context(|| format!("{}: cannot write", out.display()))?;
                    eprintln!("keyhound: wrote {} from {}", out.display(), path.display());
                }
                None => print!("{}", imported.toml),
            }
        }
    }
    Ok(0)
}
