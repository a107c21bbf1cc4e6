//! Offline structural validators: they prove a match has the shape of a real credential
//! without contacting anyone. A rule names its validator in `validator = "…"`.

use base64::Engine;

const KNOWN: &[&str] = &["jwt"];

pub fn is_known(name: &str) -> bool {
    KNOWN.contains(&name)
}

/// Whether `secret` passes the named validator. Unknown names are rejected when rules load.
pub fn check(name: &str, secret: &[u8]) -> bool {
    match name {
        "jwt" => jwt(secret),
        _ => false,
    }
}

/// A JWT's header is base64url JSON naming an `alg`; its payload is base64url JSON too.
fn jwt(secret: &[u8]) -> bool {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return false;
    };
    let header_ok = decode_json(header)
        .and_then(|v| v.get("alg").map(|a| a.is_string()))
        .unwrap_or(false);
    header_ok && decode_json(payload).is_some_and(|v| v.is_object())
}

fn decode_json(part: &[u8]) -> Option<serde_json::Value> {
    let trimmed: Vec<u8> = part.iter().copied().filter(|&b| b != b'=').collect();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn jwt_structure() {
        let good = format!(
            "{}.{}.c2lnbmF0dXJl",
            b64(r#"{"alg":"HS256","typ":"JWT"}"#),
            b64(r#"{"sub":"1"}"#)
        );
        assert!(check("jwt", good.as_bytes()));
        let no_alg = format!("{}.{}.sig", b64(r#"{"typ":"JWT"}"#), b64(r#"{"sub":"1"}"#));
        assert!(!check("jwt", no_alg.as_bytes()));
        let not_json = format!("{}.{}.sig", b64("hello"), b64(r#"{"sub":"1"}"#));
        assert!(!check("jwt", not_json.as_bytes()));
        assert!(!check("jwt", b"eyJhbGciOi"));
    }
}
