//! Sources produce content to scan: the working tree (a parallel directory walk) and stdin.
//! Git history and the staged index will join them here.

pub mod stdin;
pub mod worktree;
