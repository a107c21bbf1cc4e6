//! `keyhound install-hook` / `uninstall-hook` on a real repository, with real `git commit`s
//! going through the hook; and shell completions.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn the_hook_blocks_a_secret_and_lets_clean_and_allowed_commits_through() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(git_command(d, &["init", "-q", "-b", "main"])
        .output()
        .unwrap()
        .status
        .success());
    keyhound()
        .arg("install-hook")
        .arg(d)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("pre-commit"));
    let hook = d.join(".git/hooks/pre-commit");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111,
            0o111
        );
    }

    write(d, "clean.txt", "nothing secret\n");
    git_command(d, &["add", "clean.txt"]).output().unwrap();
    let ok = git_command(d, &["commit", "-q", "-m", "clean"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let pat = github_pat();
    write(d, "leak.py", format!("T = '{pat}'\n"));
    git_command(d, &["add", "leak.py"]).output().unwrap();
    let blocked = git_command(d, &["commit", "-q", "-m", "leak"])
        .output()
        .unwrap();
    assert!(!blocked.status.success(), "the commit went through");
    let shown = String::from_utf8_lossy(&blocked.stdout).to_string()
        + &String::from_utf8_lossy(&blocked.stderr);
    assert!(
        shown.contains("leak.py") && shown.contains("github-pat-classic"),
        "{shown}"
    );
    assert!(
        !shown.contains(&pat),
        "the hook printed the whole secret: {shown}"
    );

    write(d, "leak.py", format!("T = '{pat}'  # keyhound:allow\n"));
    git_command(d, &["add", "leak.py"]).output().unwrap();
    let allowed = git_command(d, &["commit", "-q", "-m", "allowed"])
        .output()
        .unwrap();
    assert!(
        allowed.status.success(),
        "{}",
        String::from_utf8_lossy(&allowed.stderr)
    );

    // Installing again over its own hook is fine; uninstalling removes it.
    keyhound().arg("install-hook").arg(d).assert().code(0);
    keyhound().arg("uninstall-hook").arg(d).assert().code(0);
    assert!(!hook.exists());
    keyhound()
        .arg("uninstall-hook")
        .arg(d)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no pre-commit hook"));
}

#[test]
fn a_foreign_hook_is_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(git_command(d, &["init", "-q"])
        .output()
        .unwrap()
        .status
        .success());
    let hook = d.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\nmake lint\n").unwrap();
    keyhound()
        .arg("install-hook")
        .arg(d)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did not write"));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\nmake lint\n"
    );
    keyhound()
        .arg("uninstall-hook")
        .arg(d)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not keyhound's hook"));
    keyhound()
        .args(["install-hook", "--force"])
        .arg(d)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&hook).unwrap();
    assert!(
        text.contains("keyhound:managed-hook") && text.contains("\" staged"),
        "{text}"
    );
}

#[test]
fn completions_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        keyhound()
            .args(["completions", shell])
            .assert()
            .code(0)
            .stdout(predicate::str::contains("keyhound"))
            .stdout(predicate::str::contains("staged"))
            .stdout(predicate::str::contains("baseline"));
    }
}
