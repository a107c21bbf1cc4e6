//! Content: the bytes to scan and where they came from. Every source produces these; the
//! matcher and reporters never need to know whether bytes came from a file or a pipe.

/// How many leading bytes decide whether content is binary (a NUL byte there means binary,
/// as git and ripgrep decide).
pub const BINARY_SNIFF_LEN: usize = 8192;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file on disk, shown by its path relative to the scan root.
    File {
        display: String,
    },
    Stdin,
}

impl Origin {
    /// The path shown in reports and hashed into fingerprints.
    pub fn display(&self) -> &str {
        match self {
            Origin::File { display } => display,
            Origin::Stdin => "<stdin>",
        }
    }
}

pub struct Content {
    pub origin: Origin,
    pub bytes: Vec<u8>,
}

pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_SNIFF_LEN)]).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_means_nul_in_the_first_block() {
        assert!(!is_binary(b"plain text\n"));
        assert!(is_binary(b"PK\x03\x04\x00\x00"));
        let mut late = vec![b'a'; BINARY_SNIFF_LEN];
        late.push(0);
        assert!(!is_binary(&late));
    }
}
