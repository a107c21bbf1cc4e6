// The rule files `build.rs` embeds: every `*.toml` in `rules/`, by name, with `generic.toml`
// last. Order breaks ties between overlapping findings of equal confidence (earlier wins),
// and the generic catch-all rules must lose them. Shared by `build.rs` and a test of `rules`
// (`include!`d, so it has no module of its own).

/// The rule file names in `dir`, in embedding order.
pub fn rule_files(dir: &std::path::Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.ends_with(".toml") {
            names.push(name);
        }
    }
    names.sort_by_key(|n| (n == "generic.toml", n.clone()));
    Ok(names)
}
