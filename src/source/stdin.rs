//! Standard input as one piece of content.

use std::io::Read;

use super::{Sink, Source, SourceError};
use crate::content::{Content, Provenance, STDIN};

pub struct Stdin;

impl Source for Stdin {
    fn scan(&self, sink: &dyn Sink) -> Result<(), SourceError> {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|source| SourceError::Read {
                what: STDIN.into(),
                source,
            })?;
        if bytes.is_empty() {
            sink.note(format!("{STDIN}: empty input, nothing to scan"));
            return Ok(());
        }
        if sink.wants(&|| STDIN.to_string(), bytes.len() as u64) {
            sink.content(Content {
                provenance: Provenance::Stdin,
                bytes: &bytes,
                delta: None,
                reused_by: 0,
            });
        }
        Ok(())
    }
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
