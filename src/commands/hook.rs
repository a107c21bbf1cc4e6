//! `keyhound install-hook` and `uninstall-hook`.

use std::path::{Path, PathBuf};

use anyhow::Result;

pub fn install(repo: &Path, force: bool) -> Result<u8> {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("keyhound"));
    let path = keyhound::hook::install(repo, &exe, force)?;
    eprintln!("installed {}", path.display());
    Ok(0)
}

pub fn uninstall(repo: &Path) -> Result<u8> {
    let path = keyhound::hook::uninstall(repo)?;
    eprintln!("removed {}", path.display());
    Ok(0)
}
