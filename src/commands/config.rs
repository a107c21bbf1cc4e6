//! `keyhound config check`: validate a config file and print what it resolves to.

use std::path::PathBuf;

use anyhow::Result;

use crate::cli::ConfigCommand;
use keyhound::config::{self, Config};

pub fn run(command: ConfigCommand) -> Result<u8> {
    let ConfigCommand::Check { file } = command;
    let path = file.unwrap_or_else(|| PathBuf::from(config::FILE_NAME));
    let config = Config::load(&path)?;
    print!("{}", config.describe());
    Ok(0)
}
