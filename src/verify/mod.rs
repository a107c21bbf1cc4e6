//! Live verification (`--verify`, never implied): for each finding of a rule whose provider
//! documents a read-only "who am I" call, one request to that provider's own host over TLS,
//! and the answer as a `verification`: live (with the identity and rights the provider
//! reports), invalid, error or skipped. Nothing is sent without `--verify`.
//!
//! Safety: a secret goes only to its provider's fixed host (`[verify.endpoints]` in the config
//! may point a provider elsewhere, over https, or plain http to a loopback address only);
//! redirects are refused; a finding whose offline structure check failed is not sent; each
//! secret is sent once per run (answers are kept by a hash of the secret); providers are
//! asked in parallel, each provider's findings one after another, with a timeout and one
//! retry (after `Retry-After` on 429, at most 5 s).

mod providers;
pub mod sign;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::finding::Finding;
use crate::lock;
use crate::matcher::validate::Validation;

pub use crate::finding::{Status, Verification};

/// Where a provider is asked (its own host unless the config says otherwise), and how long a
/// call may take.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    bases: HashMap<String, String>,
    timeout: Option<Duration>,
}

impl Endpoints {
    /// From `[verify.endpoints]`: provider name → base URL. https anywhere; http only to a
    /// loopback address (a test server), since the secret would otherwise cross in clear.
    pub fn new(
        entries: HashMap<String, String>,
        timeout: Option<u64>,
    ) -> Result<Endpoints, String> {
        for (provider, url) in &entries {
            if !providers::NAMES.contains(&provider.as_str()) {
                return Err(format!(
                    "`verify.endpoints.{provider}`: no such provider (one of {})",
                    providers::NAMES.join(", ")
                ));
            }
            check_url(url).map_err(|e| format!("`verify.endpoints.{provider}`: {e}"))?;
        }
        if timeout == Some(0) {
            return Err("`verify.timeout`: 0 seconds leaves no time for an answer".into());
        }
        Ok(Endpoints {
            bases: entries,
            timeout: timeout.map(Duration::from_secs),
        })
    }

    fn base<'a>(&'a self, provider: &str, default: &'a str) -> &'a str {
        self.bases
            .get(provider)
            .map_or(default, |s| s.trim_end_matches('/'))
    }
}

fn check_url(url: &str) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!("'{url}' is neither https:// nor http://"));
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host,
    };
    let loopback = host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "'{url}': plain http is accepted only for a loopback address; use https"
        ))
    }
}

/// An answer from a provider.
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// The one HTTP client: rustls, no redirects, timeouts, no proxy from the environment.
pub struct Http {
    agent: ureq::Agent,
}

impl Http {
    fn new(timeout: Duration) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(Duration::from_secs(5)))
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(concat!("keyhound/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Http { agent }
    }

    /// GET (or POST with `body`) `url` with `headers`; retried once on 429 (after its
    /// `Retry-After`, at most 5 s), a 5xx or a transport error.
    pub fn call(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> Result<Reply, String> {
        let mut last = String::new();
        for attempt in 0..2 {
            match self.once(url, headers, body) {
                Ok(r) if r.status == 429 && attempt == 0 => {
                    let wait = r
                        .header("retry-after")
                        .and_then(|s| s.trim().parse::<u64>().ok())
                        .unwrap_or(1)
                        .min(5);
                    std::thread::sleep(Duration::from_secs(wait));
                    last = "rate limited (429)".into();
                }
                Ok(r) if r.status >= 500 && attempt == 0 => last = format!("HTTP {}", r.status),
                Ok(r) if (300..400).contains(&r.status) => {
                    return Err(format!(
                        "HTTP {}: a redirect{}, not followed",
                        r.status,
                        r.header("location")
                            .map_or(String::new(), |l| format!(" to {l}"))
                    ))
                }
                Ok(r) => return Ok(r),
                Err(e) if attempt == 0 => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    fn once(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Option<&str>,
    ) -> Result<Reply, String> {
        // A body makes it a POST.
        let mut request = ureq::http::Request::builder()
            .method(if body.is_some() { "POST" } else { "GET" })
            .uri(url);
        for (k, v) in headers {
            request = request.header(*k, v.as_str());
        }
        let request = request
            .body(body.unwrap_or("").to_string())
            .map_err(|e| e.to_string())?;
        let mut response = self.agent.run(request).map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .unwrap_or_default();
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}

/// Verifies findings, each secret once.
pub struct Verifier {
    http: Http,
    endpoints: Endpoints,
    seen: Mutex<HashMap<[u8; 32], Verification>>,
}

impl Verifier {
    pub fn new(endpoints: Endpoints) -> Verifier {
        Verifier {
            http: Http::new(endpoints.timeout.unwrap_or(Duration::from_secs(10))),
            endpoints,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Sets each finding's `verification`: providers in parallel, each one's findings in turn.
    pub fn verify_all(&self, findings: &mut [Finding]) {
        let mut by_provider: HashMap<&'static str, Vec<&mut Finding>> = HashMap::new();
        for f in findings.iter_mut() {
            match providers::of(&f.rule_id) {
                Some(p) => by_provider.entry(p.name).or_default().push(f),
                None => {
                    f.verification = Some(Verification::of(
                        Status::Skipped,
                        "no verifier for this rule",
                    ))
                }
            }
        }
        std::thread::scope(|s| {
            for (_, group) in by_provider {
                s.spawn(move || {
                    for f in group {
                        let v = self.verify(f);
                        f.verification = Some(v);
                    }
                });
            }
        });
    }

    fn verify(&self, f: &Finding) -> Verification {
        if f.validation == Validation::InvalidStructure {
            return Verification::of(Status::Skipped, "its structure check failed: not sent");
        }
        let Some(provider) = providers::of(&f.rule_id) else {
            return Verification::of(Status::Skipped, "no verifier for this rule");
        };
        let mut key = Sha256::new();
        key.update(f.secret.as_bytes());
        for p in &f.paired {
            key.update([0]);
            key.update(p.secret.as_bytes());
        }
        let key: [u8; 32] = key.finalize().into();
        if let Some(v) = lock(&self.seen).get(&key) {
            return v.clone();
        }
        let base = self.endpoints.base(provider.name, provider.base);
        let mut v = (provider.check)(&self.http, base, f)
            .unwrap_or_else(|e| Verification::of(Status::Error, e));
        // An error can quote the URL, and Telegram's holds the token: no secret in the answer.
        let secrets: Vec<&str> = std::iter::once(f.secret.as_str())
            .chain(f.paired.iter().map(|p| p.secret.as_str()))
            .filter(|s| s.len() >= 4)
            .collect();
        for text in v.detail.iter_mut().chain(v.identity.iter_mut()) {
            for secret in &secrets {
                *text = text.replace(secret, "[secret]");
            }
        }
        lock(&self.seen).insert(key, v.clone());
        v
    }
}

/// `--verify`'s counts for the summary: live, invalid, and neither.
pub fn counts<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> [u64; 3] {
    let mut n = [0; 3];
    for f in findings {
        match f.verification.as_ref().map(|v| v.status) {
            Some(Status::Live) => n[0] += 1,
            Some(Status::Invalid) => n[1] += 1,
            Some(_) => n[2] += 1,
            None => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://api.github.com",
            "http://127.0.0.1:8080",
            "http://localhost:9/x",
            "http://[::1]:80",
        ] {
            assert!(check_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.github.com",
            "http://10.0.0.1",
            "ftp://x",
            "http://127.0.0.1.evil.com",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
