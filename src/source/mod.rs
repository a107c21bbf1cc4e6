//! Sources produce content to scan: the working tree (a parallel directory walk), stdin, git
//! history (each unique blob once) and the staged index.

pub mod history;
pub mod staged;
pub mod stdin;
pub mod worktree;
