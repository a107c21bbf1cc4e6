//! Archives: every format opened by its content in every source, nested to a depth, and
//! hostile ones (bombs, lying sizes, encrypted and truncated members, `../` names) bounded,
//! reported and counted while the secrets beside them are still found.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;

/// A zip of `(name, bytes)` members, deflated.
fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A tar written by hand, so that names may be anything (`../x`, `/etc/x`).
fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, bytes) in members {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{:011o}", bytes.len()).as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(bytes);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn bzip2(bytes: &[u8]) -> Vec<u8> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zstd(bytes: &[u8]) -> Vec<u8> {
    ruzstd::encoding::compress_to_vec(bytes, ruzstd::encoding::CompressionLevel::Fastest)
}

/// xz through the `xz` command (xz-utils; `.ci/run` installs it).
fn xz(bytes: &[u8]) -> Vec<u8> {
    let mut child = std::process::Command::new("xz")
        .args(["-c", "-9"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the xz command (xz-utils)");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    out.stdout
}

fn env_line(token: &str) -> Vec<u8> {
    format!("GITHUB_TOKEN={token}\n").into_bytes()
}

/// Runs keyhound; returns exit code, stdout (the report) and stderr.
fn run(args: &[&str], path: &Path) -> (i32, serde_json::Value, String) {
    let out = keyhound()
        .args(args)
        .args(["-f", "json", "--no-config"])
        .arg(path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report = if out.stdout.is_empty() {
        serde_json::Value::Array(vec![])
    } else {
        json(&out.stdout)
    };
    (out.status.code().unwrap_or(-1), report, stderr)
}

fn secrets_at(report: &serde_json::Value) -> Vec<(String, String)> {
    pairs(report, "path", "secret")
}

#[test]
fn every_format_is_opened_by_its_content_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut want = Vec::new();
    let mut put = |name: &str, member: &str, make: &dyn Fn(&[u8]) -> Vec<u8>| {
        let token = github_pat();
        write(dir.path(), name, make(&env_line(&token)));
        want.push((format!("{name}!{member}"), token));
    };
    put("release.zip", ".env", &|b| {
        zip(&[("README", b"hello\n"), (".env", b)])
    });
    put("app.jar", "META-INF/app.properties", &|b| {
        zip(&[("META-INF/app.properties", b)])
    });
    put("misnamed.bin", "conf/.env", &|b| zip(&[("conf/.env", b)]));
    put("plain.tar", "pkg/.env", &|b| tar(&[("pkg/.env", b)]));
    put("site.tar.gz", "site/.env", &|b| {
        gzip(&tar(&[("site/.env", b)]))
    });
    put("package.tgz", "package/.npmrc", &|b| {
        gzip(&tar(&[("package/.npmrc", b)]))
    });
    put("backup.tar.bz2", "db/.env", &|b| {
        bzip2(&tar(&[("db/.env", b)]))
    });
    put("dist.tar.xz", "dist/.env", &|b| {
        xz(&tar(&[("dist/.env", b)]))
    });
    put("image.tar.zst", "etc/.env", &|b| {
        zstd(&tar(&[("etc/.env", b)]))
    });
    put("config.env.gz", "config.env", &|b| gzip(b));
    // A compressed stream without a compression suffix keeps its name for its content.
    put("notes.txt", "notes.txt", &|b| bzip2(b));
    put("dump.sql.zst", "dump.sql", &|b| zstd(b));
    put("single.xz", "single", &|b| xz(b));
    // A Ruby gem: a tar holding a gzipped tar of the files.
    put("tool-1.0.gem", "data.tar.gz!lib/.env", &|b| {
        tar(&[
            ("metadata.gz", &gzip(b"--- {}\n")),
            ("data.tar.gz", &gzip(&tar(&[("lib/.env", b)]))),
        ])
    });
    let (code, report, stderr) = run(&["scan"], dir.path());
    assert_eq!(code, 1, "{stderr}");
    let mut want: Vec<(String, String)> = want;
    want.sort();
    assert_eq!(secrets_at(&report), want, "{stderr}");
    // The summary counts the archives and the members scanned.
    // (The gem is three: its tar, and the two gzip streams in it.)
    assert!(stderr.contains("16 of them in 16 archives"), "{stderr}");
    // JSON names the archive and the member apart too.
    let f = report
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "tool-1.0.gem!data.tar.gz!lib/.env")
        .unwrap();
    assert_eq!(f["archive"], "tool-1.0.gem");
    assert_eq!(f["member"], "data.tar.gz!lib/.env");
    // --archive-depth 0 opens none: they are binary files.
    let (code, report, _) = run(&["scan", "--archive-depth", "0"], dir.path());
    assert_eq!((code, secrets_at(&report)), (0, vec![]));
}

#[test]
fn nested_archives_are_opened_to_the_depth_and_no_deeper() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_pat();
    let mut inner = zip(&[(".env", &env_line(&token))]);
    for level in (1..=4).rev() {
        inner = zip(&[(&format!("level{level}.zip"), &inner)]);
    }
    write(dir.path(), "outer.zip", &inner);
    // outer.zip!level1.zip!level2.zip!level3.zip!level4.zip!.env is five archives deep.
    let (code, report, stderr) = run(&["scan", "-v"], dir.path());
    assert_eq!((code, secrets_at(&report)), (0, vec![]), "{stderr}");
    assert!(stderr.contains("1 archives nested too deep"), "{stderr}");
    assert!(
        stderr.contains("outer.zip!level1.zip!level2.zip!level3.zip")
            && stderr.contains("deeper than --archive-depth"),
        "{stderr}"
    );
    let (code, report, stderr) = run(&["scan", "--archive-depth", "5"], dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        secrets_at(&report),
        vec![(
            "outer.zip!level1.zip!level2.zip!level3.zip!level4.zip!.env".to_string(),
            token
        )]
    );
}

/// Sets the "encrypted" flag of every entry of a zip (local headers and central directory).
fn mark_encrypted(mut zip: Vec<u8>) -> Vec<u8> {
    for i in 0..zip.len().saturating_sub(4) {
        if zip[i..i + 4] == *b"PK\x03\x04" {
            zip[i + 6] |= 1;
        } else if zip[i..i + 4] == *b"PK\x01\x02" {
            zip[i + 8] |= 1;
        }
    }
    zip
}

#[test]
fn hostile_archives_are_bounded_reported_and_counted_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let kept = github_pat();
    write(dir.path(), "next-to-them/.env", env_line(&kept));
    let zeros = vec![0u8; 8 << 20];
    // A zip bomb: 8 MiB of zeros in 8 kB.
    write(
        dir.path(),
        "bomb.zip",
        zip(&[("zeros", &zeros), (".env", b"x=1\n")]),
    );
    // A gzip bomb: a tar of 40 MiB of zeros in 40 kB, stopped while it streams.
    write(
        dir.path(),
        "bomb.tar.gz",
        gzip(&tar(&[("zeros", &vec![0u8; 40 << 20])])),
    );
    // Names that would escape an extraction: shown as written, nothing is extracted.
    let escaping = github_pat();
    write(
        dir.path(),
        "escape.tar",
        tar(&[
            ("../../etc/cron.d/x", &env_line(&escaping)),
            ("/etc/passwd", b"root:x:0:0\n"),
        ]),
    );
    // An encrypted member is counted, not read.
    write(
        dir.path(),
        "locked.zip",
        mark_encrypted(zip(&[(".env", &env_line(&github_pat()))])),
    );
    // A truncated archive: what comes before the damage is still scanned.
    let early = github_pat();
    let mut cut = gzip(&tar(&[
        ("a/.env", &env_line(&early)),
        ("b/big", &vec![b'x'; 300_000]),
        ("c/.env", &env_line(&github_pat())),
    ]));
    cut.truncate(cut.len() / 2);
    write(dir.path(), "cut.tar.gz", cut);
    // A member whose stated size is smaller than its data.
    let mut liar = zip(&[
        ("small", &vec![b'y'; 50_000]),
        ("after/.env", &env_line(&github_pat())),
    ]);
    let at = liar.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    liar[at + 24..at + 28].copy_from_slice(&10u32.to_le_bytes());
    write(dir.path(), "liar.zip", liar);

    let (code, report, stderr) = run(&["scan"], dir.path());
    assert_eq!(code, 1, "{stderr}");
    let found = secrets_at(&report);
    assert!(
        found.contains(&("next-to-them/.env".into(), kept)),
        "{found:?}"
    );
    assert!(
        found.contains(&("escape.tar!../../etc/cron.d/x".into(), escaping)),
        "{found:?}"
    );
    assert!(
        found.contains(&("cut.tar.gz!a/.env".into(), early)),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(p, _)| p.starts_with("locked.zip")),
        "{found:?}"
    );
    // A bad member of a zip does not hide the next one.
    assert!(
        found.iter().any(|(p, _)| p == "liar.zip!after/.env"),
        "{found:?}"
    );
    // One line for each, naming the archive and the reason.
    for (archive, why) in [
        ("bomb.zip", "zip bomb"),
        ("bomb.tar.gz", "compression bomb"),
        ("cut.tar.gz", "cannot read"),
        ("liar.zip", "cannot read"),
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(archive) && l.contains(why)),
            "{archive}: {why}\n{stderr}"
        );
    }
    // Counted in the summary.
    for count in [
        "2 archives over their limits",
        "1 encrypted archive members",
    ] {
        assert!(stderr.contains(count), "{count}\n{stderr}");
    }
}

#[test]
fn archives_in_history_staged_files_and_stdin_are_opened_too() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    let committed = github_pat();
    write(
        repo,
        "dist/release.zip",
        zip(&[("config/.env", &env_line(&committed))]),
    );
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "release"]);
    let (code, report, stderr) = run(&["git"], repo);
    assert_eq!(code, 1, "{stderr}");
    let f = &report[0];
    assert_eq!(f["path"], "dist/release.zip!config/.env");
    assert_eq!(f["secret"], committed.as_str());
    assert_eq!(f["commit"].as_str().unwrap().len(), 40);
    assert_eq!(f["message"], "release");

    // Staged: the archive is new, so all of it is in the commit.
    let staged = github_pat();
    write(
        repo,
        "pkg.tgz",
        gzip(&tar(&[("package/.npmrc", &env_line(&staged))])),
    );
    git(repo, &["add", "pkg.tgz"]);
    let (code, report, stderr) = run(&["staged"], repo);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        secrets_at(&report),
        vec![("pkg.tgz!package/.npmrc".to_string(), staged)]
    );

    // Standard input.
    let piped = github_pat();
    let out = keyhound()
        .args(["scan", "-f", "json", "--no-config", "-"])
        .write_stdin(zip(&[(".env", &env_line(&piped))]))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        secrets_at(&json(&out.stdout)),
        vec![("<stdin>!.env".to_string(), piped)]
    );
}

#[test]
fn sarif_points_at_the_archive_and_names_the_member() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "release.zip",
        zip(&[("app/.env", &env_line(&github_pat()))]),
    );
    let out = keyhound()
        .args(["scan", "-f", "sarif", "--no-config"])
        .arg(dir.path())
        .output()
        .unwrap();
    let sarif = json(&out.stdout);
    let result = &sarif["runs"][0]["results"][0];
    let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    assert!(uri.ends_with("release.zip"), "{uri}");
    assert_eq!(result["properties"]["archiveMember"], "app/.env");
}

#[test]
fn saved_container_images_name_their_layers_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let hex = |c: char| c.to_string().repeat(64);
    // `docker save`: layers as <id>/layer.tar, named by the config's diff ids.
    let (in_layer, in_env, in_arg) = (github_pat(), github_pat(), github_pat());
    let config = format!(
        r#"{{"config":{{"Env":["PATH=/usr/bin","GITHUB_TOKEN={in_env}"]}},"history":[{{"created_by":"/bin/sh -c #(nop) ARG TOKEN={in_arg}"}}],"rootfs":{{"type":"layers","diff_ids":["sha256:{}"]}}}}"#,
        hex('a')
    );
    let layer = tar(&[("etc/app/.env", &env_line(&in_layer)), ("etc/.wh.old", b"")]);
    let manifest = r#"[{"Config":"c0ffee123456789.json","RepoTags":["acme/app:1.0"],"Layers":["f00d/layer.tar"]}]"#;
    write(
        dir.path(),
        "image.tar",
        tar(&[
            ("c0ffee123456789.json", config.as_bytes()),
            ("f00d/layer.tar", &layer),
            ("manifest.json", manifest.as_bytes()),
        ]),
    );
    // An OCI layout in a tar: index → manifest → config and gzipped layers.
    let in_oci = github_pat();
    let (m, c, l) = (hex('1'), hex('2'), hex('3'));
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"digest":"sha256:{m}","annotations":{{"org.opencontainers.image.ref.name":"2.0"}}}}]}}"#
    );
    let oci_manifest =
        format!(r#"{{"config":{{"digest":"sha256:{c}"}},"layers":[{{"digest":"sha256:{l}"}}]}}"#);
    write(
        dir.path(),
        "oci.tar",
        tar(&[
            ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
            ("index.json", index.as_bytes()),
            (&format!("blobs/sha256/{m}"), oci_manifest.as_bytes()),
            (&format!("blobs/sha256/{c}"), br#"{"config":{}}"#),
            (
                &format!("blobs/sha256/{l}"),
                &gzip(&tar(&[("srv/.env", &env_line(&in_oci))])),
            ),
        ]),
    );
    let (code, report, stderr) = run(&["scan"], dir.path());
    assert_eq!(code, 1, "{stderr}");
    let mut want = vec![
        (
            format!(
                "image.tar!acme/app:1.0 layer sha256:{}!etc/app/.env",
                hex('a')
            ),
            in_layer,
        ),
        ("image.tar!acme/app:1.0 config".to_string(), in_env),
        ("image.tar!acme/app:1.0 config".to_string(), in_arg),
        (format!("oci.tar!2.0 layer sha256:{l}!srv/.env"), in_oci),
    ];
    want.sort();
    assert_eq!(secrets_at(&report), want, "{stderr}");
    assert!(stderr.contains("with 2 images of 2 layers"), "{stderr}");
}

/// The parts of an OCI image layout: (path in the layout, bytes), with `tag` as its name and
/// one gzipped layer holding `files`.
fn oci_layout(tag: &str, files: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
    use sha2::Digest;
    let digest = |b: &[u8]| format!("{:x}", sha2::Sha256::digest(b));
    let layer = gzip(&tar(files));
    let config = br#"{"config":{"Env":["PATH=/bin"]}}"#.to_vec();
    let (l, c) = (digest(&layer), digest(&config));
    let manifest =
        format!(r#"{{"config":{{"digest":"sha256:{c}"}},"layers":[{{"digest":"sha256:{l}"}}]}}"#);
    let m = digest(manifest.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"digest":"sha256:{m}","annotations":{{"org.opencontainers.image.ref.name":"{tag}"}}}}]}}"#
    );
    vec![
        (
            "oci-layout".into(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        ("index.json".into(), index.into_bytes()),
        (format!("blobs/sha256/{m}"), manifest.into_bytes()),
        (format!("blobs/sha256/{c}"), config),
        (format!("blobs/sha256/{l}"), layer),
    ]
}

#[test]
fn image_layout_directories_and_compressed_saved_images_are_named_too() {
    let dir = tempfile::tempdir().unwrap();
    let (in_dir, in_gz, in_beside) = (github_pat(), github_pat(), github_pat());
    // An OCI layout directory (`skopeo copy … oci:img`), its layer's file found by name.
    let layout = oci_layout("3.1", &[("app/.npmrc", &env_line(&in_dir))]);
    for (path, bytes) in &layout {
        write(dir.path(), &format!("img/{path}"), bytes.clone());
    }
    let layer = layout[4].0.rsplit('/').next().unwrap().to_string();
    // `docker save | gzip`: the names come last in the tar, so it is read twice.
    let saved = oci_layout("4.0", &[("root/.env", &env_line(&in_gz))]);
    let saved_layer = saved[4].0.rsplit('/').next().unwrap().to_string();
    let members: Vec<(&str, &[u8])> = saved
        .iter()
        .rev()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    write(dir.path(), "saved.tar.gz", gzip(&tar(&members)));
    write(dir.path(), "beside.env", env_line(&in_beside));
    let (code, report, stderr) = run(&["scan"], dir.path());
    assert_eq!(code, 1, "{stderr}");
    let mut want = vec![
        (format!("img!3.1 layer sha256:{layer}!app/.npmrc"), in_dir),
        (
            format!("saved.tar.gz!4.0 layer sha256:{saved_layer}!root/.env"),
            in_gz,
        ),
        ("beside.env".to_string(), in_beside),
    ];
    want.sort();
    assert_eq!(secrets_at(&report), want, "{stderr}");
    assert!(stderr.contains("with 2 images of 2 layers"), "{stderr}");
    // With archives off, neither is opened.
    let (_, report, stderr) = run(&["scan", "--archive-depth", "0"], dir.path());
    assert_eq!(secrets_at(&report).len(), 1, "{stderr}");
}

#[test]
fn archives_and_layers_larger_than_the_file_limit_are_read_as_they_stream() {
    let dir = tempfile::tempdir().unwrap();
    // Incompressible filler, so that the sizes stay over the limit once compressed too.
    let filler = random_from(b"abcdefghijklmnopqrstuvwxyz0123456789", 1_500_000);
    let (in_layer, in_tgz) = (github_pat(), github_pat());
    let layer = tar(&[
        ("opt/filler", filler.as_bytes()),
        ("opt/app/.env", &env_line(&in_layer)),
    ]);
    let digest = "9".repeat(64);
    let manifest = format!(
        r#"[{{"Config":"cafe.json","RepoTags":["big/app:2"],"Layers":["blobs/sha256/{digest}"]}}]"#
    );
    write(
        dir.path(),
        "big-image.tar",
        tar(&[
            ("cafe.json", br#"{"config":{}}"#),
            (&format!("blobs/sha256/{digest}"), &layer),
            ("manifest.json", manifest.as_bytes()),
        ]),
    );
    write(
        dir.path(),
        "big.tar.gz",
        gzip(&tar(&[
            ("filler", filler.as_bytes()),
            ("conf/.env", &env_line(&in_tgz)),
        ])),
    );
    // A large file that is not an archive is still too large.
    write(dir.path(), "big.txt", filler.as_bytes());
    let (code, report, stderr) = run(&["scan", "--max-file-size", "1M"], dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        secrets_at(&report),
        vec![
            (
                format!("big-image.tar!big/app:2 layer sha256:{digest}!opt/app/.env"),
                in_layer
            ),
            ("big.tar.gz!conf/.env".to_string(), in_tgz),
        ]
    );
    // The fillers (two members and the text file) are over the limit and counted.
    assert!(stderr.contains("3 too large"), "{stderr}");
}
