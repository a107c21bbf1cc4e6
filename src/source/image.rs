//! Container images saved as a tar, compressed or not: `docker save` / `podman save` output
//! (`manifest.json`) and OCI image layouts (`index.json`, `blobs/sha256/…`), and OCI image
//! layout directories. The archive reader opens their
//! layers like any nested tar; this names them: a layer's files are reported under
//! `IMAGE:TAG layer sha256:DIGEST`, and the image config (its `Env` and the history's
//! `ARG` and `RUN` commands, where build secrets end up) under `IMAGE:TAG config`.
//!
//! Whiteouts (`.wh.` files that delete a lower layer's file) are not applied: a file that a
//! later layer deletes is still in the image, so it is still scanned and reported.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::path::Path;

use serde_json::Value;

/// The names of an image's parts, by their paths inside its tar.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Names {
    /// Tar member path → how it is shown.
    pub parts: HashMap<String, String>,
    pub images: usize,
    pub layers: usize,
}

/// Largest JSON document (a manifest, an index, a config) read to name the parts.
const MAX_JSON: u64 = 4 << 20;

/// The names of the parts of the image(s) saved in the tar that `reader` reads, if it is one;
/// layers are seeked over, not read.
pub fn names(mut reader: impl Read + Seek) -> Option<Names> {
    let mut tar = tar::Archive::new(&mut reader);
    let docs = documents(tar.entries_with_seek().ok()?);
    name_parts(&|path| docs.get(path).cloned())
}

/// Like `names`, for a tar read as it streams (out of a gzip, zstd or bzip2 stream), which
/// is read to its end.
pub fn names_streamed(reader: impl Read) -> Option<Names> {
    let mut tar = tar::Archive::new(reader);
    let docs = documents(tar.entries().ok()?);
    name_parts(&|path| docs.get(path).cloned())
}

/// Whether a tar whose first member is `first` may be a saved image: worth reading a
/// compressed one twice, once for the names of its parts. `docker save` starts with
/// `blobs/` (Docker 25 on) or `<64 hex>/`, podman's with `<64 hex>.tar`, an OCI layout's
/// tar with `oci-layout` or `index.json`.
pub fn may_be_image(first: &str) -> bool {
    let first = first.trim_start_matches("./");
    let head = first.split(['/', '.']).next().unwrap_or_default();
    first.starts_with("blobs/")
        || matches!(
            first,
            "oci-layout" | "index.json" | "manifest.json" | "repositories"
        )
        || (head.len() == 64 && head.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `dir` is an OCI image layout: an `oci-layout` file beside an `index.json`.
pub fn is_layout(dir: &Path) -> bool {
    dir.join("oci-layout").is_file() && dir.join("index.json").is_file()
}

/// The names of the parts of the OCI image layout directory `dir`, by their paths in it
/// (`blobs/sha256/…`, with `/` whatever the platform).
pub fn layout_names(dir: &Path) -> Option<Names> {
    name_parts(&|path| {
        if path.split('/').any(|part| part == "..") {
            return None;
        }
        let file = std::fs::File::open(dir.join(path)).ok()?;
        if file.metadata().ok()?.len() > MAX_JSON {
            return None;
        }
        serde_json::from_reader(std::io::BufReader::new(file)).ok()
    })
}

/// The small JSON documents of a tar, by path.
fn documents<R: Read>(entries: tar::Entries<'_, R>) -> HashMap<String, Value> {
    let mut docs = HashMap::new();
    for entry in entries.flatten() {
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = path.trim_start_matches("./").to_string();
        let json_like = path.ends_with(".json") || path.starts_with("blobs/");
        if !json_like || entry.size() > MAX_JSON {
            continue;
        }
        let mut text = Vec::new();
        if entry.take(MAX_JSON).read_to_end(&mut text).is_ok() {
            if let Ok(v) = serde_json::from_slice::<Value>(&text) {
                docs.insert(path, v);
            }
        }
    }
    docs
}

/// Names the parts of the image(s) whose JSON documents `doc` returns by path.
fn name_parts(doc: &dyn Fn(&str) -> Option<Value>) -> Option<Names> {
    let mut names = Names::default();
    if let Some(Value::Array(images)) = doc("manifest.json") {
        for image in &images {
            docker_image(image, doc, &mut names);
        }
    } else if let Some(index) = doc("index.json") {
        for m in index["manifests"].as_array().into_iter().flatten() {
            oci_image(m, doc, &mut names);
        }
    }
    (names.images > 0).then_some(names)
}

/// `docker save`: `[{"Config": …, "RepoTags": […], "Layers": […]}]`.
fn docker_image(image: &Value, doc: &dyn Fn(&str) -> Option<Value>, names: &mut Names) {
    let config = image["Config"].as_str().unwrap_or_default();
    let name = image["RepoTags"][0]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| short(config));
    let diff_ids = doc(config).map(|c| c["rootfs"]["diff_ids"].clone());
    names.images += 1;
    names
        .parts
        .insert(config.to_string(), format!("{name} config"));
    for (i, layer) in image["Layers"].as_array().into_iter().flatten().enumerate() {
        let Some(path) = layer.as_str() else { continue };
        // The layer's digest: its blob's name, else the config's diff id for it.
        let digest = digest_of(path)
            .or_else(|| {
                diff_ids
                    .as_ref()
                    .and_then(|d| d[i].as_str())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| path.to_string());
        names.layers += 1;
        names
            .parts
            .insert(path.to_string(), format!("{name} layer {digest}"));
    }
}

/// An OCI index entry: its manifest blob names the config and the layers.
fn oci_image(entry: &Value, doc: &dyn Fn(&str) -> Option<Value>, names: &mut Names) {
    let Some(digest) = entry["digest"].as_str() else {
        return;
    };
    let annotations = &entry["annotations"];
    let name = annotations["io.containerd.image.name"]
        .as_str()
        .or_else(|| annotations["org.opencontainers.image.ref.name"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| digest.to_string());
    let Some(manifest) = doc(&blob_path(digest)) else {
        return;
    };
    // An index of images (several platforms): each of its manifests in turn.
    if let Some(inner) = manifest["manifests"].as_array() {
        for m in inner {
            let mut m = m.clone();
            if m["annotations"].is_null() {
                m["annotations"] = annotations.clone();
            }
            oci_image(&m, doc, names);
        }
        return;
    }
    names.images += 1;
    if let Some(config) = manifest["config"]["digest"].as_str() {
        names
            .parts
            .insert(blob_path(config), format!("{name} config"));
    }
    for layer in manifest["layers"].as_array().into_iter().flatten() {
        if let Some(d) = layer["digest"].as_str() {
            names.layers += 1;
            names
                .parts
                .insert(blob_path(d), format!("{name} layer {d}"));
        }
    }
}

fn blob_path(digest: &str) -> String {
    format!("blobs/{}", digest.replacen(':', "/", 1))
}

/// `blobs/sha256/HEX` → `sha256:HEX`.
fn digest_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("blobs/")?;
    let (algorithm, hex) = rest.split_once('/')?;
    Some(format!("{algorithm}:{hex}"))
}

/// A config file's name without its extension, shortened like docker's ids.
fn short(config: &str) -> String {
    let id = config.rsplit('/').next().unwrap_or(config);
    let id = id.strip_suffix(".json").unwrap_or(id);
    id.chars().take(12).collect()
}
