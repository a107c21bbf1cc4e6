//! Command-line definitions (clap derive). `commands/` turns them into library calls.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use keyhound::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "keyhound",
    version,
    about = "Find leaked API keys, tokens, private keys and passwords in files and git repositories.",
    after_help = "Exit codes: 0 no findings, 1 findings (see --exit-code), 2 error.\n\n\
Examples:\n  keyhound scan .                            scan a directory tree\n  \
keyhound staged                            pre-commit: scan the staged changes\n  \
keyhound git --range origin/main..HEAD -f sarif -o keyhound.sarif   CI: a push or pull request\n  \
keyhound git .                             audit: every blob of the whole history\n  \
cat app.log | keyhound scan -              scan stdin\n  \
keyhound rules list                        the built-in rules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (or stdin, given `-` or a pipe).
    Scan(ScanArgs),
    /// Scan a git repository's history: every unique blob once, each finding attributed to
    /// the commit and path that introduced it.
    Git(GitArgs),
    /// Scan what is staged for the next commit; only added or changed lines are reported
    /// (for pre-commit hooks).
    Staged(StagedArgs),
    /// Merge keyhound JSON or JSON Lines reports (of shards, repositories or days) into one,
    /// each finding once, in any format.
    Merge(MergeArgs),
    /// Say why each candidate secret on a line was reported or not: which stage (keyword,
    /// regex, entropy, placeholder, identifier, validator, overlap, allowlist, baseline…)
    /// kept or dropped it.
    Explain(ExplainArgs),
    /// List the built-in rules or check a rules file.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Check a config file and print what it resolves to.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Install a git pre-commit hook that runs `keyhound staged` (refuses to replace another
    /// hook unless --force).
    InstallHook {
        /// The repository. Default: the one containing the current directory.
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// Replace an existing pre-commit hook that keyhound did not write.
        #[arg(long)]
        force: bool,
    },
    /// Remove the pre-commit hook that `install-hook` wrote (and only that one).
    UninstallHook {
        #[arg(default_value = ".")]
        repo: PathBuf,
    },
    /// Print a shell completion script: `keyhound completions bash > /etc/bash_completion.d/keyhound`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Accept the current findings: write them to a baseline, so that scans given
    /// `--baseline FILE` report only new ones.
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate FILE (default: ./.keyhound.toml) and print the rules, options and allowlists
    /// it resolves to.
    Check { file: Option<PathBuf> },
    /// Write the keyhound config equivalent to a gitleaks config's allowlists and disabled
    /// rules (FILE default: ./.gitleaks.toml), to stdout or -o.
    ImportGitleaks {
        file: Option<PathBuf>,
        /// Write here (e.g. .keyhound.toml) instead of stdout; an existing file is kept
        /// unless --force.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan, and write every current finding to the baseline file.
    Create(BaselineArgs),
    /// Scan again: add new findings to the baseline and drop the ones that are gone.
    Update(BaselineArgs),
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The directory to scan, or with --git, the repository.
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Take the findings of the whole git history instead of the working tree.
    #[arg(long)]
    pub git: bool,

    /// The baseline file.
    #[arg(
        long,
        short,
        value_name = "FILE",
        default_value = "keyhound-baseline.json"
    )]
    pub output: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print every built-in rule.
    List {
        /// `human` (a table) or `json` (the full rule data).
        #[arg(long, short, value_enum, default_value = "human")]
        format: ListFormat,
    },
    /// Check a rules file: schema, regexes, and every example and negative example.
    Check {
        /// TOML files with `[[rules]]` tables, in the schema of keyhound's own `rules/`.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Score the built-in rules on a labelled corpus: recall and false-positive rate, per rule
    /// and overall. Exits 1 when a target is missed.
    Score {
        /// A directory with `labels.tsv` (path, first line, last line, rule id per secret).
        #[arg(default_value = "fixtures/accuracy")]
        dir: PathBuf,
        /// Lowest acceptable recall, 0 to 1.
        #[arg(long, default_value_t = 0.98)]
        min_recall: f64,
        /// Highest acceptable share of false findings among all findings, 0 to 1.
        #[arg(long, default_value_t = 0.01)]
        max_fp_rate: f64,
        /// List every missed secret and every false positive.
        #[arg(long, short)]
        verbose: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfidenceArg {
    Low,
    Medium,
    High,
}

impl From<ConfidenceArg> for keyhound::rules::Confidence {
    fn from(c: ConfidenceArg) -> Self {
        match c {
            ConfidenceArg::Low => Self::Low,
            ConfidenceArg::Medium => Self::Medium,
            ConfidenceArg::High => Self::High,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads stdin. Default: stdin when it is a pipe or a
    /// file, else the current directory.
    pub paths: Vec<PathBuf>,

    /// Scan what is staged in the git index instead (same as `keyhound staged`); PATH, if
    /// given, is the repository.
    #[arg(long)]
    pub staged: bool,

    /// Do not honour .gitignore, .ignore or git exclude files.
    #[arg(long)]
    pub no_ignore: bool,

    /// Scan hidden files and directories (the default: `.env` and `.npmrc` hold secrets).
    #[arg(long, overrides_with = "no_hidden")]
    pub hidden: bool,

    /// Skip hidden files and directories.
    #[arg(long)]
    pub no_hidden: bool,

    /// With --staged: let a staged file over --max-file-size through unscanned.
    #[arg(long, requires = "staged")]
    pub allow_too_large: bool,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct GitArgs {
    /// The repositories (work trees, bare repositories or `.git` directories). Default: the
    /// repository containing the current directory. With several, each finding names its
    /// repository and one report covers them all.
    pub repos: Vec<PathBuf>,

    /// Also scan the repositories listed in FILE, one path per line (`#` comments).
    #[arg(long = "repos", value_name = "FILE")]
    pub repos_file: Option<PathBuf>,

    /// Scan part K of N of the history's blobs and commit messages (by object id): N runs,
    /// one per part, find together what one run finds; `keyhound merge` joins their JSON.
    /// `auto/N` takes K from a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (plus one).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Scan only the history of this ref (branch, tag or commit).
    #[arg(long, value_name = "REF", conflicts_with = "range")]
    pub branch: Option<String>,

    /// Scan only blobs introduced by commits after SHA (on HEAD, or on --branch).
    #[arg(long, value_name = "SHA", conflicts_with = "range")]
    pub since_commit: Option<String>,

    /// Scan only blobs introduced by the commits in A..B (reachable from B, not from A): what a
    /// CI step scans for a push or a pull request.
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,

    /// Also scan blobs that no ref reaches (dropped stashes, rewritten history).
    #[arg(long)]
    pub unreachable: bool,

    /// Scan every blob whole. By default a blob stored as a delta is scanned only where it
    /// differs from its base, reusing the base's matches elsewhere: the same findings, faster.
    #[arg(long)]
    pub no_delta: bool,

    /// Also scan the history of submodules checked out in the repository.
    #[arg(long)]
    pub recurse_submodules: bool,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Reports written by `keyhound … -f json` or `-f jsonl`.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short, value_enum, default_value = "human")]
    pub format: Format,

    /// Write the merged report to FILE instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace secrets with REDACTED, keeping the first N characters (as for scans).
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "0")]
    pub redact: Option<usize>,

    /// No summary line.
    #[arg(long, short)]
    pub quiet: bool,

    /// Colour in human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,

    /// Ask each finding's provider whether the key is live (as for scans).
    #[arg(long)]
    pub verify: bool,

    /// With --verify, keep only the findings confirmed live.
    #[arg(long, requires = "verify")]
    pub verify_only: bool,

    /// The config whose `[verify.endpoints]` --verify uses (default: none, the providers'
    /// own hosts).
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// FILE, or FILE:LINE for one line. Without a line, every line where a rule's keyword
    /// occurs is explained.
    pub target: String,

    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct StagedArgs {
    /// The repository. Default: the one containing the current directory.
    #[arg(default_value = ".")]
    pub repo: PathBuf,

    /// Let a staged file over --max-file-size through unscanned. By default it fails the
    /// hook: a file too large to scan is not a file known to be clean.
    #[arg(long)]
    pub allow_too_large: bool,

    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options every scan shares: output, limits, threads, exit code.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value = "human")]
    pub format: Format,

    /// Write the report to FILE instead of stdout (written whole or not at all).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace secrets in every output with REDACTED; `--redact=N` keeps the first N
    /// characters (at most a quarter of the secret; 100, gitleaks' "all of it", keeps none).
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "0")]
    pub redact: Option<usize>,

    /// Skip files and blobs larger than this (bytes, or with a K/M/G suffix: 512K, 10M).
    /// Default: the config's `options.max_file_size`, else 10M.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,

    /// Report only findings of at least this confidence.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub min_confidence: Option<ConfidenceArg>,

    /// Look through this many layers of base64, hex and percent-encoding for secrets
    /// (0: none). Default: the config's `options.decode_depth`, else 2.
    #[arg(long, value_name = "N")]
    pub decode_depth: Option<usize>,

    /// Open archives (zip, jar, tar, gzip, bzip2, xz, zstd, found by their first bytes)
    /// this many levels deep and scan their members (0: none). Default: the config's
    /// `options.archive_depth`, else 3.
    #[arg(long, value_name = "N")]
    pub archive_depth: Option<usize>,

    /// Also report matches whose structure an offline validator rejected (a bad checksum),
    /// at low confidence.
    #[arg(long)]
    pub include_invalid: bool,

    /// Read this config file instead of the `.keyhound.toml` at the top of the scanned tree or
    /// repository.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Read no config file: built-in rules, no allowlists.
    #[arg(long)]
    pub no_config: bool,

    /// Keep what each scan found per blob, commit message or file in DIR, and next time do not
    /// read (blobs, messages) or match (files) again what held nothing. It stores no secret.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,

    /// The cache file's largest size (default 256M; past it, what the run did not use goes).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, requires = "cache")]
    pub cache_size: Option<u64>,

    /// Ask each finding's provider, over TLS to its own host, whether the key is live and what
    /// it may do (never by default: this sends the secrets found).
    #[arg(long)]
    pub verify: bool,

    /// With --verify, report only the findings their provider confirmed live.
    #[arg(long, requires = "verify")]
    pub verify_only: bool,

    /// Run only this rule (repeatable; `keyhound rules list` names them).
    #[arg(long, value_name = "ID")]
    pub enable_rule: Vec<String>,

    /// Do not run this rule (repeatable).
    #[arg(long, value_name = "ID")]
    pub disable_rule: Vec<String>,

    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Exit code when there are findings (default: the config's, else 1).
    #[arg(long, value_name = "N")]
    pub exit_code: Option<u8>,

    /// No summary line and no progress bar.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Name every file or blob skipped (binary, too large, LFS pointer), and why.
    #[arg(long, short)]
    pub verbose: bool,

    /// A file of fingerprints never to report (one per line, `#` comments), besides the
    /// `.keyhoundignore` at the root of the scanned tree or repository. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Vec<PathBuf>,

    /// Report only findings that are not in this baseline (see `keyhound baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Also report suppressed findings (`keyhound:allow`, ignore files, baseline), marked.
    #[arg(long)]
    pub show_suppressed: bool,

    /// Show each finding's fingerprint in human output (for `.keyhoundignore`).
    #[arg(long)]
    pub print_fingerprints: bool,

    /// Colour in human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

/// `--max-file-size`: the config's size syntax.
fn parse_size(s: &str) -> Result<u64, String> {
    keyhound::config::parse_size(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
