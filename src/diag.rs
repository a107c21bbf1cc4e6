//! Diagnostics: the one channel through which the library tells the user about problems
//! (warnings), and with `-v` about everything passed over. The binary prints them on stderr;
//! tests collect them.

use std::sync::Mutex;

pub trait Diagnostics: Sync {
    /// A problem that did not stop the run: an unreadable file, a corrupt object.
    fn warn(&self, message: &str);
    /// Whether `detail` is wanted (`-v`); callers skip building messages when it is not.
    fn verbose(&self) -> bool;
    /// With `-v`: an item passed over, and why.
    fn detail(&self, message: &str);
}

/// Diagnostics on stderr, as `keyhound: warning: …`.
pub struct Stderr {
    pub verbose: bool,
}

impl Diagnostics for Stderr {
    fn warn(&self, message: &str) {
        eprintln!("keyhound: warning: {message}");
    }

    fn verbose(&self) -> bool {
        self.verbose
    }

    fn detail(&self, message: &str) {
        if self.verbose {
            eprintln!("keyhound: {message}");
        }
    }
}

/// Diagnostics kept in memory (tests, and callers that report them their own way).
#[derive(Default)]
pub struct Collected {
    pub verbose: bool,
    pub warnings: Mutex<Vec<String>>,
    pub details: Mutex<Vec<String>>,
}

impl Diagnostics for Collected {
    fn warn(&self, message: &str) {
        crate::lock(&self.warnings).push(message.to_string());
    }

    fn verbose(&self) -> bool {
        self.verbose
    }

    fn detail(&self, message: &str) {
        if self.verbose {
            crate::lock(&self.details).push(message.to_string());
        }
    }
}
