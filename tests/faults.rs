//! The fault matrix: hostile or odd inputs, each with a clear outcome and the rest of the scan
//! unharmed. (Unreadable files, missing paths, corrupt objects, empty and bare repositories and
//! unwritable outputs are covered in scan.rs, git.rs and formats.rs.)

mod common;

use std::os::unix::fs::symlink;

use common::*;

fn findings(dir: &std::path::Path, extra: &[&str]) -> (i32, serde_json::Value, String) {
    let out = keyhound()
        .args(["scan", "-f", "json"])
        .args(extra)
        .arg(dir)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        json(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn utf16_text_is_decoded_and_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let pat = github_pat();
    let text = format!("\u{feff}[Deploy]\r\nToken={pat}\r\n");
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    write(dir.path(), "deploy.ini", &le);
    // Without a byte-order mark, big-endian.
    let be: Vec<u8> = format!("token: {}\n", github_pat())
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    write(dir.path(), "notes.txt", &be);
    let (code, report, stderr) = findings(dir.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        found(&report),
        vec![
            ("deploy.ini".into(), "github-pat-classic".into()),
            ("notes.txt".into(), "github-pat-classic".into()),
        ]
    );
    // Lines and columns are those of the text.
    assert_eq!(report[0]["line"], 2);
    assert_eq!(report[0]["column"], 7);
    assert_eq!(report[0]["secret"], pat.as_str());
}

#[test]
fn fifos_symlink_loops_and_links_out_of_the_tree_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "secret.env",
        format!("GITHUB_TOKEN={}\n", github_pat()),
    );
    let dir = tempfile::tempdir().unwrap();
    let pat = github_pat();
    write(dir.path(), "app/real.env", format!("GITHUB_TOKEN={pat}\n"));
    symlink(
        outside.path().join("secret.env"),
        dir.path().join("app/linked.env"),
    )
    .unwrap();
    symlink(outside.path(), dir.path().join("linked-dir")).unwrap();
    symlink(".", dir.path().join("app/loop")).unwrap();
    let fifo = dir.path().join("app/pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    // A FIFO nobody writes to would block a reader forever: the scan must not open it.
    let (code, report, stderr) = findings(dir.path(), &["-v"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        found(&report),
        vec![("app/real.env".into(), "github-pat-classic".into())]
    );
    // -v says what was passed over, and why.
    assert!(stderr.contains("app/pipe: not a regular file"), "{stderr}");
    assert!(
        stderr.contains("app/loop: symbolic link, not followed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("linked-dir: symbolic link, not followed"),
        "{stderr}"
    );
}

#[test]
fn nul_files_odd_names_and_deep_directories() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "zeros.bin", vec![0u8; 100_000]);
    // A file name that is not UTF-8.
    let odd = std::ffi::OsStr::from_bytes_lossless(b"conf-\xff\xfe.env");
    std::fs::write(
        dir.path().join(odd),
        format!("GITHUB_TOKEN={}\n", github_pat()),
    )
    .unwrap();
    let mut deep = dir.path().to_path_buf();
    for _ in 0..150 {
        deep.push("d");
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(
        deep.join("bottom.env"),
        format!("GITHUB_TOKEN={}\n", github_pat()),
    )
    .unwrap();
    let (code, report, stderr) = findings(dir.path(), &[]);
    assert_eq!(code, 1, "{stderr}");
    let paths: Vec<String> = found(&report).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths.len(), 2, "{report:#}");
    assert!(paths
        .iter()
        .any(|p| p.starts_with("conf-") && p.ends_with(".env")));
    assert!(paths
        .iter()
        .any(|p| p.ends_with("/d/bottom.env") && p.matches("d/").count() == 150));
    assert!(stderr.contains("1 binary"), "{stderr}");
}

/// `OsStr` from raw bytes on Unix.
trait FromBytes {
    fn from_bytes_lossless(b: &[u8]) -> &std::ffi::OsStr;
}

impl FromBytes for std::ffi::OsStr {
    fn from_bytes_lossless(b: &[u8]) -> &std::ffi::OsStr {
        std::os::unix::ffi::OsStrExt::from_bytes(b)
    }
}

#[test]
fn a_fifty_megabyte_line_is_scanned_to_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let pat = github_pat();
    let mut line = vec![b'a'; 50 << 20];
    line.extend_from_slice(format!(" GITHUB_TOKEN={pat}\n").as_bytes());
    write(dir.path(), "one-line.txt", &line);
    let (code, report, stderr) = findings(dir.path(), &["--max-file-size", "64M"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report[0]["secret"], pat.as_str());
    assert_eq!(report[0]["line"], 1);
    // The context line is cut around the secret, not 50 MB long.
    assert!(report[0]["line_content"].as_str().unwrap().len() < 1000);
}

#[test]
fn a_catastrophic_regex_in_a_custom_rule_stays_linear() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".keyhound.toml",
        r#"
[[rules]]
id = "nested-quantifiers"
name = "Nested quantifiers"
description = "(a+)+b: exponential in a backtracking engine."
keywords = ["aaaa"]
regex = '''((?:a+)+b)'''
confidence = "low"
examples = ["aaaab"]
"#,
    );
    // 200 KB of `a` without the `b`: a backtracking engine would never finish.
    write(dir.path(), "input.txt", "a".repeat(200_000));
    let (code, report, stderr) = findings(dir.path(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report, serde_json::json!([]));
}

#[test]
fn a_full_output_device_is_an_error() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.env",
        format!("GITHUB_TOKEN={}\n", github_pat()),
    );
    let out = keyhound()
        .args(["scan", "-f", "json", "-o", "/dev/full"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/dev/full"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn results_are_the_same_with_one_thread_or_many_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write(
            dir.path(),
            &format!("svc{}/conf{i}.env", i % 7),
            format!(
                "A={}\nGITHUB_TOKEN={}\nSLACK={}\n",
                aws_key_id(),
                github_pat(),
                slack_bot_token()
            ),
        );
    }
    for format in ["human", "json", "jsonl", "sarif", "html", "gitleaks-json"] {
        let run = |threads: &str| {
            let out = keyhound()
                .args(["scan", "--color", "never", "-f", format, "-j", threads])
                .arg(dir.path())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1));
            let text = String::from_utf8(out.stdout).unwrap();
            // The HTML page states the scan's duration; its findings are what must match.
            match text.split_once(r#"<script type="application/json" id="data">"#) {
                Some((_, data)) => {
                    let data = data.split_once("</script>").unwrap().0;
                    json(data.as_bytes())["findings"].to_string()
                }
                None => text,
            }
        };
        let one = run("1");
        assert!(one == run("4"), "{format}: 1 and 4 threads differ");
        assert!(one == run("4"), "{format}: two runs differ");
    }
}

#[test]
fn a_two_gigabyte_sparse_file_is_skipped_by_size_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = std::fs::File::create(dir.path().join("disk.img")).unwrap();
    big.set_len(2 << 30).unwrap();
    write(
        dir.path(),
        "a.env",
        format!("GITHUB_TOKEN={}\n", github_pat()),
    );
    let (code, report, stderr) = findings(dir.path(), &["-v"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report.as_array().unwrap().len(), 1);
    assert!(
        stderr.contains("disk.img: 2147483648 bytes, over --max-file-size"),
        "{stderr}"
    );
    assert!(stderr.contains("1 too large"), "{stderr}");
}

#[test]
fn with_redact_no_secret_reaches_stdout_stderr_or_the_report_file() {
    let dir = tempfile::tempdir().unwrap();
    let (pat, slack) = (github_pat(), slack_bot_token());
    write(
        dir.path(),
        "a.env",
        format!("GITHUB_TOKEN={pat}\nSLACK={slack}\n"),
    );
    write(dir.path(), "big.bin", vec![0u8; 64]);
    for format in ["human", "json", "jsonl", "sarif", "html", "gitleaks-json"] {
        let report = dir.path().join(format!("report.{format}"));
        let out = keyhound()
            .args([
                "scan",
                "--redact",
                "-v",
                "--show-suppressed",
                "--print-fingerprints",
                "-f",
                format,
                "-o",
            ])
            .arg(&report)
            .arg(dir.path().join("a.env"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let file = std::fs::read_to_string(&report).unwrap();
        for text in [
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            file,
        ] {
            assert!(
                !text.contains(&pat) && !text.contains(&slack),
                "{format}: {text}"
            );
            // Not even the part after the prefix.
            assert!(!text.contains(&pat[4..20]), "{format}");
        }
    }
}
