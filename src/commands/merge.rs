//! `keyhound merge REPORT…`: JSON or JSON Lines reports joined into one report, each finding
//! once (the filter stage's dedup: a history's secret at its earliest commit, by the walk
//! order each report records), written in any format.

use anyhow::{anyhow, Result};

use super::Output;
use crate::cli::MergeArgs;
use keyhound::diag::Stderr;
use keyhound::filter::Filter;
use keyhound::matcher::Matcher;
use keyhound::report::{self, Report, Stats};
use keyhound::rules::Confidence;

pub fn run(args: MergeArgs) -> Result<u8> {
    let output = Output::open(args.output.as_deref())?;
    let mut read = Vec::new();
    for path in &args.reports {
        read.extend(keyhound::merge::read(path).map_err(|e| anyhow!(e))?);
    }
    let total = read.len();
    let rulesets = keyhound::merge::rulesets(&read);
    if rulesets.len() > 1 {
        eprintln!(
            "keyhound: warning: the reports come from different keyhound versions or rule sets ({}): merged all the same, but what one of them finds the others may not",
            rulesets.into_iter().collect::<Vec<_>>().join("; ")
        );
    }
    // The filter stage again, with no list: its dedup and order, suppressed findings kept as
    // they were marked.
    let verify = match (args.verify, &args.config) {
        (false, _) => None,
        (true, Some(path)) => Some(keyhound::config::Config::load(path)?.endpoints),
        (true, None) => Some(Default::default()),
    };
    let filter = Filter {
        show_suppressed: true,
        redact: args.redact,
        verify: verify.map(|e| std::sync::Arc::new(keyhound::verify::Verifier::new(e))),
        verify_only: args.verify_only,
        ..Filter::default()
    };
    let (findings, _) = filter.apply(read);
    let reported = || findings.iter().filter(|f| f.suppressed.is_none());
    let stats = Stats {
        merged_from: Some(args.reports.len()),
        verified: args.verify.then(|| keyhound::verify::counts(reported())),
        findings: reported().count() as u64,
        by_confidence: [Confidence::High, Confidence::Medium, Confidence::Low]
            .map(|c| reported().filter(|f| f.confidence == c).count() as u64),
        ..Stats::default()
    };
    let matcher = Matcher::new(keyhound::rules::embedded());
    let diag = Stderr { verbose: false };
    let color = super::color(args.color, &output);
    let report = Report {
        findings: &findings,
        stats: &stats,
        matcher: &matcher,
        color,
        redacted: args.redact.is_some(),
        print_fingerprints: false,
        root: None,
        diag: &diag,
        links: None,
    };
    output.write(|out| report::write(args.format, &report, out))?;
    if !args.quiet {
        eprintln!(
            "{} ({} read, {} duplicates dropped)",
            stats.summary(),
            total,
            total - findings.len()
        );
    }
    Ok(u8::from(stats.findings > 0))
}
