//! `--format html`: one self-contained page, its findings masked JSON, opened in headless
//! Chromium to check that its script draws them and the filter box works (the browser test
//! in tests/html/ drives the rest). CI installs Debian's chromium and sets
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
    // The findings are JSON in the page, masked, escaped so that no value closes its script.
    let data = html
        .split_once(r#"<script type="application/json" id="data">"#)
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(data, _)| data)
        .expect("the findings are in the page");
    assert!(!data.contains('<'), "markup in the data");
    let data = json(data.as_bytes());
    let findings = data["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3, "{data:#}");
    assert!(findings.iter().all(|f| f["message"] == "add <config>"));
    assert!(findings.iter().all(|f| f["ignore"]
        .as_str()
        .unwrap()
        .starts_with(f["fingerprint"].as_str().unwrap())));
    assert!(findings
        .iter()
        .any(|f| f["path"] == "deploy/.env" && f["line"] == 1));

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
    // The page's own script draws the table: what tests/html/report.test.mjs drives in a
    // browser (sorting, grouping, charts, 25,000 rows) starts from this.
    let dom = dump_dom(browser, &page, "");
    assert!(
        dom.contains("id=\"shown\">3<"),
        "all rows shown without a filter: {dom}"
    );
    assert!(dom.contains("github-pat-classic"), "{dom}");
    assert!(dom.contains("deploy/.env"), "{dom}");
    // The filter box, pre-filled from the URL, narrows the table.
    let dom = dump_dom(browser, &page, "#filter=slack");
    assert!(dom.contains("id=\"shown\">1<"), "{dom}");
}
