//! Container images saved as a tar: `docker save` / `podman save` output (`manifest.json`)
//! and OCI image layouts (`index.json`, `blobs/sha256/…`). The archive reader opens their
//! layers like any nested tar; this names them: a layer's files are reported under
//! `IMAGE:TAG layer sha256:DIGEST`, and the image config (its `Env` and the history's
//! `ARG` and `RUN` commands, where build secrets end up) under `IMAGE:TAG config`.
//!
//! Whiteouts (`.wh.` files that delete a lower layer's file) are not applied: a file that a
//! later layer deletes is still in the image, so it is still scanned and reported.

use std::collections::HashMap;
use std::io::{Read, Seek};

use serde_json::Value;

/// The names of an image's parts, by their paths inside its tar.
#[derive(Debug, Default)]
pub struct Names {
    /// Tar member path → how it is shown.
    pub parts: HashMap<String, String>,
    pub images: usize,
    pub layers: usize,
}

/// Largest JSON document (a manifest, an index, a config) read to name the parts.
const MAX_JSON: u64 = 4 << 20;

/// The names of the parts of the image(s) saved in the tar that `reader` reads, if it is one.
pub fn names(reader: impl Read + Seek) -> Option<Names> {
    // The small JSON documents of the tar, by path; layers are seeked over, not read.
    let mut docs: HashMap<String, Value> = HashMap::new();
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries_with_seek().ok()?.flatten() {
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
    let mut names = Names::default();
    if let Some(Value::Array(images)) = docs.get("manifest.json") {
        for image in images {
            docker_image(image, &docs, &mut names);
        }
    } else if let Some(index) = docs.get("index.json") {
        for m in index["manifests"].as_array().into_iter().flatten() {
            oci_image(m, &docs, &mut names);
        }
    }
    (names.images > 0).then_some(names)
}

/// `docker save`: `[{"Config": …, "RepoTags": […], "Layers": […]}]`.
fn docker_image(image: &Value, docs: &HashMap<String, Value>, names: &mut Names) {
    let config = image["Config"].as_str().unwrap_or_default();
    let name = image["RepoTags"][0]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| short(config));
    let diff_ids = docs.get(config).map(|c| &c["rootfs"]["diff_ids"]);
    names.images += 1;
    names
        .parts
        .insert(config.to_string(), format!("{name} config"));
    for (i, layer) in image["Layers"].as_array().into_iter().flatten().enumerate() {
        let Some(path) = layer.as_str() else { continue };
        // The layer's digest: its blob's name, else the config's diff id for it.
        let digest = digest_of(path)
            .or_else(|| diff_ids.and_then(|d| d[i].as_str()).map(str::to_string))
            .unwrap_or_else(|| path.to_string());
        names.layers += 1;
        names
            .parts
            .insert(path.to_string(), format!("{name} layer {digest}"));
    }
}

/// An OCI index entry: its manifest blob names the config and the layers.
fn oci_image(entry: &Value, docs: &HashMap<String, Value>, names: &mut Names) {
    let Some(digest) = entry["digest"].as_str() else {
        return;
    };
    let annotations = &entry["annotations"];
    let name = annotations["io.containerd.image.name"]
        .as_str()
        .or_else(|| annotations["org.opencontainers.image.ref.name"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| digest.to_string());
    let Some(manifest) = docs.get(&blob_path(digest)) else {
        return;
    };
    // An index of images (several platforms): each of its manifests in turn.
    if let Some(inner) = manifest["manifests"].as_array() {
        for m in inner {
            let mut m = m.clone();
            if m["annotations"].is_null() {
                m["annotations"] = annotations.clone();
            }
            oci_image(&m, docs, names);
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
