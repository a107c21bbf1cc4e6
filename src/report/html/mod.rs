//! One self-contained HTML page (no network assets) for triage: counts by rule, confidence,
//! validation and author, and the findings as a sortable, groupable, filterable table. The
//! page is `report.html`; the findings go into it as JSON, secrets masked, and its script
//! draws only the rows in view, so tens of thousands of findings stay fast.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Shown};
use crate::finding::Finding;

/// The page, with `DATA_MARK` where the findings go.
const PAGE: &str = include_str!("report.html");
const DATA_MARK: &str = "/*KEYHOUND-DATA*/";

/// Where a repository's commits are shown on the web, when its remote is on GitHub or GitLab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebLinks {
    /// With `{commit}` for the commit id.
    pub commit: String,
    /// With `{commit}`, `{path}` and `{line}`.
    pub file: String,
}

impl WebLinks {
    /// From a remote URL (`https://github.com/o/r.git`, `git@gitlab.com:g/r.git`,
    /// `ssh://git@github.com/o/r`): GitHub and GitLab hosts only, credentials dropped.
    pub fn from_remote(url: &str) -> Option<WebLinks> {
        let url = url.trim();
        let rest = if let Some((scheme, rest)) = url.split_once("://") {
            if !matches!(scheme, "https" | "http" | "ssh" | "git") {
                return None;
            }
            rest
        } else {
            // scp-like `user@host:path`.
            url
        };
        // Drop `user[:password]@`: a remote URL may hold a token.
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        let (host, path) = match rest.split_once('/') {
            Some((host, path)) if !host.contains(':') || url.contains("://") => (host, path),
            _ => rest.split_once(':')?,
        };
        let host = host.split(':').next()?.to_ascii_lowercase();
        let path = path.trim_matches('/');
        let path = path.strip_suffix(".git").unwrap_or(path);
        let safe = |s: &str| {
            !s.is_empty()
                && s.split('/').all(|p| !p.is_empty() && p != "..")
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
        };
        if !safe(path) || !safe(&host) || !path.contains('/') {
            return None;
        }
        let base = format!("https://{host}/{path}");
        if host == "github.com" || host.starts_with("github.") {
            Some(WebLinks {
                commit: format!("{base}/commit/{{commit}}"),
                file: format!("{base}/blob/{{commit}}/{{path}}#L{{line}}"),
            })
        } else if host == "gitlab.com" || host.starts_with("gitlab.") {
            Some(WebLinks {
                commit: format!("{base}/-/commit/{{commit}}"),
                file: format!("{base}/-/blob/{{commit}}/{{path}}#L{{line}}"),
            })
        } else {
            None
        }
    }
}

#[derive(Serialize)]
struct Data<'a> {
    version: &'a str,
    summary: String,
    links: Option<&'a WebLinks>,
    findings: Vec<serde_json::Value>,
}

/// A finding as the page gets it: masked like human output, with the line to add to
/// `.keyhoundignore` to silence it.
fn entry(finding: &Finding, shown: Shown) -> serde_json::Value {
    let mut f = finding.clone();
    f.secret = shown.secret.lines().next().unwrap_or("").to_string();
    f.line_content = shown.line;
    for (part, masked) in f.paired.iter_mut().zip(shown.paired) {
        part.secret = masked;
    }
    let ignore = format!(
        "{}  # {} at {}:{}",
        f.fingerprint,
        f.rule_id,
        f.path(),
        f.line
    );
    let mut value = serde_json::to_value(&f).unwrap_or_default();
    value["ignore"] = ignore.into();
    value
}

/// The JSON for a `<script type="application/json">`: nothing in it may close the element or
/// start a comment or another script.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let findings = report
        .findings
        .iter()
        .zip(report.masked())
        .map(|(f, shown)| entry(f, shown))
        .collect();
    let data = Data {
        version: env!("CARGO_PKG_VERSION"),
        summary: report.stats.summary(),
        links: report.links.as_ref(),
        findings,
    };
    let json = script_safe(&serde_json::to_string(&data)?);
    let (head, tail) = PAGE
        .split_once(DATA_MARK)
        .expect("report.html holds the data mark");
    out.write_all(head.as_bytes())?;
    out.write_all(json.as_bytes())?;
    out.write_all(tail.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_the_page_cannot_close_its_script() {
        let s = script_safe(r#"{"a":"</script><!--&"}"#);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["a"], "</script><!--&");
    }

    #[test]
    fn links_come_from_github_and_gitlab_remotes_without_credentials() {
        let gh = WebLinks::from_remote("https://x-access-token:ghs_SECRET@github.com/acme/app.git")
            .unwrap();
        assert_eq!(gh.commit, "https://github.com/acme/app/commit/{commit}");
        assert!(!gh.file.contains("SECRET"));
        let scp = WebLinks::from_remote("git@github.com:acme/app.git").unwrap();
        assert_eq!(scp, gh);
        let ssh = WebLinks::from_remote("ssh://git@github.com/acme/app").unwrap();
        assert_eq!(ssh, gh);
        let gl = WebLinks::from_remote("git@gitlab.com:group/sub/app.git").unwrap();
        assert_eq!(
            gl.commit,
            "https://gitlab.com/group/sub/app/-/commit/{commit}"
        );
        assert_eq!(
            gl.file,
            "https://gitlab.com/group/sub/app/-/blob/{commit}/{path}#L{line}"
        );
        for other in [
            "https://bitbucket.org/a/b.git",
            "/srv/git/app.git",
            "file:///srv/app",
            "https://github.com/a/../b",
            "https://github.com/\"onload=x/y",
        ] {
            assert_eq!(WebLinks::from_remote(other), None, "{other}");
        }
    }
}
