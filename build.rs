//! Embeds the rule files. Parsing 300 rules of TOML took ~19 ms at every start, more than
//! the whole scan of a small file, so the build also writes them as compact JSON (without the
//! examples, which only `keyhound rules` and the tests need), which loads in a few ms.

use std::fmt::Write as _;
use std::path::Path;

include!("src/rule_files.rs");

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=build.rs");
    let mut table = String::from("const EMBEDDED: &[(&str, &str)] = &[\n");
    let mut compact: Vec<toml::Value> = Vec::new();
    let files = rule_files(&Path::new(&root).join("rules")).expect("rules/ is readable");
    for file in &files {
        let path = Path::new(&root).join("rules").join(file);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        writeln!(
            table,
            "    ({file:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
        let mut doc: toml::Table =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Some(toml::Value::Array(rules)) = doc.remove("rules") {
            for mut rule in rules {
                if let toml::Value::Table(t) = &mut rule {
                    t.remove("examples");
                    t.remove("negative_examples");
                }
                compact.push(rule);
            }
        }
    }
    table.push_str("];\n");
    assert!(!compact.is_empty(), "no rules in rules/");
    let json = serde_json::to_string(&compact).expect("rules serialise");
    std::fs::write(Path::new(&out).join("rules.json"), json).expect("OUT_DIR is writable");
    std::fs::write(Path::new(&out).join("embedded_rules.rs"), table).expect("OUT_DIR is writable");
}
