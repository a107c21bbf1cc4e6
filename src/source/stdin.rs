//! Standard input as one piece of content.

use std::io::Read;

use crate::content::{Content, Origin};

pub fn read() -> std::io::Result<Content> {
    let mut bytes = Vec::new();
    std::io::stdin().lock().read_to_end(&mut bytes)?;
    Ok(Content {
        origin: Origin::Stdin,
        bytes,
    })
}

/// Whether stdin carries data (a pipe or a redirected file) rather than a terminal or
/// `/dev/null`: then `keyhound scan` with no path scans it.
#[cfg(unix)]
pub fn is_piped() -> bool {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::metadata("/dev/stdin") else {
        return false;
    };
    let ft = meta.file_type();
    ft.is_fifo() || ft.is_file() || ft.is_socket()
}

#[cfg(not(unix))]
pub fn is_piped() -> bool {
    use std::io::IsTerminal;
    !std::io::stdin().is_terminal()
}
