//! The plain git pre-commit hook: `keyhound install-hook` writes one that runs
//! `keyhound staged`, and `keyhound uninstall-hook` removes it. A hook keyhound did not write
//! is never replaced (unless forced) nor removed.

use std::path::{Path, PathBuf};

use crate::source::git::{self, GitError};

/// Marks a hook as keyhound's own.
const MARKER: &str = "keyhound:managed-hook";

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error(transparent)]
    Repository(#[from] GitError),
    #[error("{0}: a pre-commit hook that keyhound did not write is there; --force replaces it")]
    Foreign(String),
    #[error("{0}: not keyhound's hook, left alone")]
    NotOurs(String),
    #[error("{0}: no pre-commit hook to remove")]
    Missing(String),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

/// Where git looks for the repository's pre-commit hook (`core.hooksPath` respected).
fn hook_path(repo_path: &Path) -> Result<PathBuf, HookError> {
    let repo = git::open(repo_path)?;
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok());
    let dir = match configured {
        Some(p) if p.is_absolute() => p,
        // A relative hooksPath is relative to the work tree's top.
        Some(p) => repo.workdir().unwrap_or_else(|| repo.path()).join(p),
        None => repo.path().join("hooks"),
    };
    Ok(dir.join("pre-commit"))
}

fn script(keyhound: &Path) -> String {
    format!(
        "#!/bin/sh\n\
         # {MARKER}: written by `keyhound install-hook`; `keyhound uninstall-hook` removes it.\n\
         # Blocks a commit whose staged changes add a secret. Allow a line with keyhound:allow.\n\
         KEYHOUND='{}'\n\
         [ -x \"$KEYHOUND\" ] || KEYHOUND=keyhound\n\
         exec \"$KEYHOUND\" staged\n",
        keyhound.display().to_string().replace('\'', "'\\''")
    )
}

/// Writes the hook; returns its path.
pub fn install(repo: &Path, keyhound: &Path, force: bool) -> Result<PathBuf, HookError> {
    let path = hook_path(repo)?;
    let shown = path.display().to_string();
    if let Ok(existing) = std::fs::read_to_string(&path) {
        if !existing.contains(MARKER) && !force {
            return Err(HookError::Foreign(shown));
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HookError::Io(shown.clone(), e))?;
    }
    std::fs::write(&path, script(keyhound)).map_err(|e| HookError::Io(shown.clone(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| HookError::Io(shown.clone(), e))?;
    }
    Ok(path)
}

/// Removes keyhound's hook; returns its path.
pub fn uninstall(repo: &Path) -> Result<PathBuf, HookError> {
    let path = hook_path(repo)?;
    let shown = path.display().to_string();
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(HookError::Missing(shown))
        }
        Err(e) => return Err(HookError::Io(shown, e)),
    };
    if !existing.contains(MARKER) {
        return Err(HookError::NotOurs(shown));
    }
    std::fs::remove_file(&path).map_err(|e| HookError::Io(shown, e))?;
    Ok(path)
}
