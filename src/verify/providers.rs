//! One read-only call per provider, from its documentation, and what its answer means.

use super::{sign, Http, Reply, Status, Verification};
use crate::finding::Finding;

pub struct Provider {
    pub name: &'static str,
    /// Its own API host: where the secret may go unless `[verify.endpoints]` says otherwise.
    pub base: &'static str,
    rules: &'static [&'static str],
    pub check: fn(&Http, &str, &Finding) -> Result<Verification, String>,
}

const ALL: &[Provider] = &[
    Provider {
        name: "github",
        base: "https://api.github.com",
        rules: &[
            "github-pat-classic",
            "github-fine-grained-pat",
            "github-oauth-token",
            "github-app-token",
        ],
        check: github,
    },
    Provider {
        name: "gitlab",
        base: "https://gitlab.com",
        rules: &["gitlab-personal-access-token"],
        check: gitlab,
    },
    Provider {
        name: "slack",
        base: "https://slack.com",
        rules: &["slack-bot-token", "slack-user-token"],
        check: slack,
    },
    Provider {
        name: "npm",
        base: "https://registry.npmjs.org",
        rules: &["npm-access-token"],
        check: npm,
    },
    Provider {
        name: "huggingface",
        base: "https://huggingface.co",
        rules: &["huggingface-token"],
        check: huggingface,
    },
    Provider {
        name: "openai",
        base: "https://api.openai.com",
        rules: &["openai-api-key"],
        check: openai,
    },
    Provider {
        name: "anthropic",
        base: "https://api.anthropic.com",
        rules: &["anthropic-api-key"],
        check: anthropic,
    },
    Provider {
        name: "telegram",
        base: "https://api.telegram.org",
        rules: &["telegram-bot-token"],
        check: telegram,
    },
    Provider {
        name: "stripe",
        base: "https://api.stripe.com",
        rules: &["stripe-secret-key"],
        check: stripe,
    },
    Provider {
        name: "binance",
        base: "https://api.binance.com",
        rules: &["binance-api-secret"],
        check: binance,
    },
];

pub const NAMES: &[&str] = &[
    "github",
    "gitlab",
    "slack",
    "npm",
    "huggingface",
    "openai",
    "anthropic",
    "telegram",
    "stripe",
    "binance",
];

pub fn of(rule_id: &str) -> Option<&'static Provider> {
    ALL.iter().find(|p| p.rules.contains(&rule_id))
}

fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

/// 401 (and the codes a provider uses alike) is a rejected key; any other non-2xx says
/// nothing either way.
fn rejected_or(reply: &Reply, invalid: &[u16]) -> Result<Verification, String> {
    if invalid.contains(&reply.status) {
        Ok(Verification {
            status: Status::Invalid,
            identity: None,
            permissions: Vec::new(),
            detail: Some(format!("HTTP {}: rejected", reply.status)),
        })
    } else {
        Err(format!("HTTP {}", reply.status))
    }
}

fn field(v: &serde_json::Value, path: &[&str]) -> Option<String> {
    let mut v = v;
    for key in path {
        v = v.get(key)?;
    }
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// GET `url`: its JSON on 200, a verdict of invalid on one of `invalid`, else an error.
fn get_json(
    http: &Http,
    url: &str,
    headers: &[(&str, String)],
    invalid: &[u16],
) -> Result<Result<serde_json::Value, Verification>, String> {
    let r = http.call("GET", url, headers, None)?;
    if r.status != 200 {
        return rejected_or(&r, invalid).map(Err);
    }
    json(&r).map(Ok)
}

fn json(reply: &Reply) -> Result<serde_json::Value, String> {
    reply
        .json()
        .ok_or_else(|| format!("HTTP {}: the reply is not JSON", reply.status))
}

/// `GET /user`: the login, and the scopes of a classic token in `X-OAuth-Scopes`.
fn github(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let r = http.call(
        "GET",
        &format!("{base}/user"),
        &[
            bearer(&f.secret),
            ("Accept", "application/vnd.github+json".into()),
        ],
        None,
    )?;
    match r.status {
        200 => {
            let body = json(&r)?;
            let scopes = r
                .header("x-oauth-scopes")
                .map(|s| {
                    s.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            Ok(Verification::live(field(&body, &["login"]), scopes))
        }
        // An app installation token is refused on /user, but only a live one says so.
        403 if r.body.contains("Resource not accessible by integration") => Ok(Verification {
            detail: Some("an app installation token".into()),
            ..Verification::live(None, Vec::new())
        }),
        _ => rejected_or(&r, &[401]),
    }
}

/// `GET /api/v4/personal_access_tokens/self`: the token's name, owner and scopes.
fn gitlab(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let url = format!("{base}/api/v4/personal_access_tokens/self");
    let body = match get_json(http, &url, &[("PRIVATE-TOKEN", f.secret.clone())], &[401])? {
        Ok(body) => body,
        Err(verdict) => return Ok(verdict),
    };
    let scopes = body["scopes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let who = match (field(&body, &["name"]), field(&body, &["user_id"])) {
        (Some(name), Some(user)) => Some(format!("{name} (user {user})")),
        (name, user) => name.or(user),
    };
    Ok(Verification::live(who, scopes))
}

/// `POST /api/auth.test`: the user and workspace.
fn slack(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let r = http.call(
        "POST",
        &format!("{base}/api/auth.test"),
        &[bearer(&f.secret)],
        Some(""),
    )?;
    if r.status != 200 {
        return rejected_or(&r, &[401]);
    }
    let body = json(&r)?;
    if body["ok"] == true {
        let who = match (field(&body, &["user"]), field(&body, &["team"])) {
            (Some(u), Some(t)) => Some(format!("{u} in {t}")),
            (u, t) => u.or(t),
        };
        return Ok(Verification::live(who, Vec::new()));
    }
    let error = field(&body, &["error"]).unwrap_or_default();
    if matches!(
        error.as_str(),
        "invalid_auth" | "token_revoked" | "account_inactive" | "token_expired" | "not_authed"
    ) {
        Ok(Verification {
            status: Status::Invalid,
            identity: None,
            permissions: Vec::new(),
            detail: Some(error),
        })
    } else {
        Err(format!("Slack says {error}"))
    }
}

/// `GET /-/whoami`.
fn npm(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let url = format!("{base}/-/whoami");
    Ok(get_json(http, &url, &[bearer(&f.secret)], &[401, 403])?
        .map(|body| Verification::live(field(&body, &["username"]), Vec::new()))
        .unwrap_or_else(|verdict| verdict))
}

/// `GET /api/whoami-v2`: the account and the token's role.
fn huggingface(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let url = format!("{base}/api/whoami-v2");
    Ok(get_json(http, &url, &[bearer(&f.secret)], &[401])?
        .map(|body| {
            let role = field(&body, &["auth", "accessToken", "role"]);
            Verification::live(field(&body, &["name"]), role.into_iter().collect())
        })
        .unwrap_or_else(|verdict| verdict))
}

/// `GET /v1/models`: a read that any key may make.
fn openai(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let url = format!("{base}/v1/models");
    Ok(get_json(http, &url, &[bearer(&f.secret)], &[401])?
        .map(|_| Verification::live(None, Vec::new()))
        .unwrap_or_else(|verdict| verdict))
}

/// `GET /v1/models`, with Anthropic's key header.
fn anthropic(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let headers = [
        ("x-api-key", f.secret.clone()),
        ("anthropic-version", "2023-06-01".into()),
    ];
    Ok(
        get_json(http, &format!("{base}/v1/models"), &headers, &[401])?
            .map(|_| Verification::live(None, Vec::new()))
            .unwrap_or_else(|verdict| verdict),
    )
}

/// `GET /bot<token>/getMe`: the bot's username.
fn telegram(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let url = format!("{base}/bot{}/getMe", f.secret);
    Ok(get_json(http, &url, &[], &[401, 404])?
        .map(|body| {
            let name = field(&body, &["result", "username"]).map(|u| format!("@{u}"));
            Verification::live(name, Vec::new())
        })
        .unwrap_or_else(|verdict| verdict))
}

/// `GET /v1/balance`: read-only, and says whether the key is a live-mode one.
fn stripe(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:", f.secret));
    let headers = [("Authorization", format!("Basic {basic}"))];
    Ok(
        get_json(http, &format!("{base}/v1/balance"), &headers, &[401])?
            .map(|body| {
                let mode = if body["livemode"] == true {
                    "live-mode"
                } else {
                    "test-mode"
                };
                Verification::live(None, vec![mode.to_string()])
            })
            .unwrap_or_else(|verdict| verdict),
    )
}

/// A key and its secret (the finding is the secret, its pair the key): `GET /api/v3/account`
/// signed with HMAC-SHA256, for the trading and withdrawal rights; then the key's IP
/// restriction (`/sapi/v1/account/apiRestrictions`).
fn binance(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let Some(key) = f.paired.iter().find(|p| p.rule_id == "binance-api-key") else {
        return Ok(Verification {
            status: Status::Skipped,
            identity: None,
            permissions: Vec::new(),
            detail: Some("no API key beside the secret: a signed call needs both".into()),
        });
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let signed = |path: &str| -> Result<Reply, String> {
        let query = format!("recvWindow=5000&timestamp={now}");
        let signature = sign::hmac_sha256_hex(f.secret.as_bytes(), query.as_bytes());
        http.call(
            "GET",
            &format!("{base}{path}?{query}&signature={signature}"),
            &[("X-MBX-APIKEY", key.secret.clone())],
            None,
        )
    };
    let r = signed("/api/v3/account")?;
    if r.status != 200 {
        // -2014/-2015: a bad key, signature or permissions for this IP; -1022: bad signature.
        let code = r.json().and_then(|b| b["code"].as_i64());
        if matches!(r.status, 401 | 400) && matches!(code, Some(-2014 | -2015 | -1022) | None) {
            return rejected_or(&r, &[r.status]);
        }
        return Err(format!("HTTP {} (code {})", r.status, code.unwrap_or(0)));
    }
    let body = json(&r)?;
    let mut rights = Vec::new();
    for (flag, name) in [
        ("canTrade", "can-trade"),
        ("canWithdraw", "can-withdraw"),
        ("canDeposit", "can-deposit"),
    ] {
        if body[flag] == true {
            rights.push(name.to_string());
        }
    }
    for p in body["permissions"].as_array().into_iter().flatten() {
        if let Some(p) = p.as_str() {
            rights.push(format!("permission:{p}"));
        }
    }
    let mut detail = None;
    if let Ok(r) = signed("/sapi/v1/account/apiRestrictions") {
        if let (200, Some(b)) = (r.status, r.json()) {
            if b["ipRestrict"] == true {
                rights.push("ip-restricted".into());
            } else if b["ipRestrict"] == false {
                rights.push("no-ip-restriction".into());
            }
        } else {
            detail = Some(format!("IP restriction unknown (HTTP {})", r.status));
        }
    }
    Ok(Verification {
        detail,
        ..Verification::live(field(&body, &["uid"]).map(|u| format!("uid {u}")), rights)
    })
}
