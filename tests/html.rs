//! `--format html`: one self-contained page, opened in headless Chromium to check that the
//! findings render and the filter box works. CI installs Debian's chromium and sets
//! KEYHOUND_REQUIRE_CHROMIUM=1; elsewhere the browser part runs when chromium is installed.

mod common;

use std::path::Path;

use common::*;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            std::process::Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// The DOM after the page's script ran, as headless Chromium dumps it.
fn dump_dom(browser: &str, page: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn html_report_is_self_contained_masked_and_filterable() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    let (pat, aws, slack) = (github_pat(), aws_key_id(), slack_bot_token());
    write(&repo, "app.py", format!("T = '{pat}'\n"));
    write(&repo, "deploy/.env", format!("AWS={aws}\nSLACK={slack}\n"));
    write(
        &repo,
        "x.html",
        "<b>markup & stuff</b> token = '<script>alert(1)</script>'\n",
    );
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "add <config>"]);
    let page = dir.path().join("report.html");
    keyhound()
        .args(["git", "-f", "html", "-o"])
        .arg(&page)
        .arg(&repo)
        .assert()
        .code(1);
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: no external scripts, styles or images.
    for needle in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(needle), "external reference {needle}");
    }
    for secret in [&pat, &aws, &slack] {
        assert!(
            !html.contains(secret.as_str()),
            "unmasked secret in the page"
        );
    }
    assert!(
        html.contains("add &lt;config&gt;"),
        "commit message not escaped"
    );
    // High confidence first.
    let first_row = html.find("<tr class=\"finding\"").unwrap();
    assert!(html[first_row..].starts_with("<tr class=\"finding\" data-rule=\""));

    let browser = match chromium() {
        Some(b) => b,
        None if std::env::var_os("KEYHOUND_REQUIRE_CHROMIUM").is_some() => {
            panic!("KEYHOUND_REQUIRE_CHROMIUM is set but no chromium runs")
        }
        None => {
            eprintln!("chromium not installed: the browser half of this test did not run");
            return;
        }
    };
    let dom = dump_dom(browser, &page, "");
    let rows = dom.matches("<tr class=\"finding\"").count();
    assert_eq!(rows, 3, "{dom}");
    assert!(
        dom.contains("id=\"shown\">3<"),
        "all rows shown without a filter"
    );
    // Rule, path, commit author: what a reader needs to act on each finding.
    assert!(
        dom.contains("github-pat-classic") && dom.contains("deploy/.env:1:5"),
        "{dom}"
    );
    assert!(dom.contains("&lt;a@example.com&gt;"), "{dom}");
    // The filter box (pre-filled from the URL) hides what does not match.
    let dom = dump_dom(browser, &page, "#filter=slack");
    assert!(dom.contains("id=\"shown\">1<"), "{dom}");
    assert_eq!(dom.matches("hidden=\"\"").count(), 2);
}
