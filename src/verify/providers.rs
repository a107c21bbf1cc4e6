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
        name: "aws",
        base: "https://sts.amazonaws.com",
        rules: &["aws-secret-access-key"],
        check: aws,
    },
    Provider {
        name: "sendgrid",
        base: "https://api.sendgrid.com",
        rules: &["sendgrid-api-key"],
        check: sendgrid,
    },
    Provider {
        name: "mailgun",
        base: "https://api.mailgun.net",
        rules: &["mailgun-api-key"],
        check: mailgun,
    },
    Provider {
        name: "discord",
        base: "https://discord.com",
        rules: &["discord-bot-token"],
        check: discord,
    },
    Provider {
        name: "coinmarketcap",
        base: "https://pro-api.coinmarketcap.com",
        rules: &["coinmarketcap-api-key"],
        check: coinmarketcap,
    },
    Provider {
        name: "twilio",
        base: "https://api.twilio.com",
        rules: &["twilio-auth-token", "twilio-api-key-secret"],
        check: twilio,
    },
    Provider {
        name: "coinbase",
        base: "https://api.coinbase.com",
        rules: &["coinbase-cdp-ec-private-key"],
        check: coinbase,
    },
    Provider {
        name: "bybit",
        base: "https://api.bybit.com",
        rules: &["bybit-api-secret"],
        check: bybit,
    },
    Provider {
        name: "okx",
        base: "https://www.okx.com",
        rules: &["okx-api-secret"],
        check: okx,
    },
    Provider {
        name: "kucoin",
        base: "https://api.kucoin.com",
        rules: &["kucoin-api-secret"],
        check: kucoin,
    },
    Provider {
        name: "kraken",
        base: "https://api.kraken.com",
        rules: &["kraken-private-key"],
        check: kraken,
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
    "aws",
    "sendgrid",
    "mailgun",
    "discord",
    "coinmarketcap",
    "twilio",
    "coinbase",
    "bybit",
    "okx",
    "kucoin",
    "kraken",
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
    let r = http.call(url, headers, None)?;
    if r.status != 200 {
        return rejected_or(&r, invalid).map(Err);
    }
    json(&r).map(Ok)
}

/// The strings of a JSON array (none when it is not one).
fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn json(reply: &Reply) -> Result<serde_json::Value, String> {
    reply
        .json()
        .ok_or_else(|| format!("HTTP {}: the reply is not JSON", reply.status))
}

/// `GET /user`: the login, and the scopes of a classic token in `X-OAuth-Scopes`.
fn github(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let r = http.call(
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
    let scopes = strings(&body["scopes"]);
    let who = match (field(&body, &["name"]), field(&body, &["user_id"])) {
        (Some(name), Some(user)) => Some(format!("{name} (user {user})")),
        (name, user) => name.or(user),
    };
    Ok(Verification::live(who, scopes))
}

/// `POST /api/auth.test`: the user and workspace.
fn slack(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let r = http.call(
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
    let key = match half(f, "binance-api-key", "API key") {
        Ok(k) => k,
        Err(verdict) => return Ok(verdict),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let signed = |path: &str| -> Result<Reply, String> {
        let query = format!("recvWindow=5000&timestamp={now}");
        let signature = sign::hmac_sha256_hex(f.secret.as_bytes(), query.as_bytes());
        http.call(
            &format!("{base}{path}?{query}&signature={signature}"),
            &[("X-MBX-APIKEY", key.to_string())],
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

/// The other half of a pair, by rule, or a verdict that the call cannot be made without it.
fn half<'a>(f: &'a Finding, rule: &str, what: &str) -> Result<&'a str, Verification> {
    f.paired
        .iter()
        .find(|p| p.rule_id == rule)
        .map(|p| p.secret.as_str())
        .ok_or_else(|| Verification {
            status: Status::Skipped,
            identity: None,
            permissions: Vec::new(),
            detail: Some(format!(
                "no {what} beside the secret: a signed call needs both"
            )),
        })
}

/// An XML element's text, for the one AWS answer read here.
fn xml_text(body: &str, tag: &str) -> Option<String> {
    let start = body.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    Some(body[start..end].to_string())
}

/// STS `GetCallerIdentity`, signed with Signature Version 4: the account and the ARN.
fn aws(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let key = match half(f, "aws-access-key-id", "access key id") {
        Ok(k) => k,
        Err(verdict) => return Ok(verdict),
    };
    let host = base
        .split_once("://")
        .map_or(base, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let amz_date: String = crate::time::iso8601(now, 0)[..19]
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        + "Z";
    let query = [("Action", "GetCallerIdentity"), ("Version", "2011-06-15")];
    let empty = sign::sha256_hex(b"");
    let request = sign::SigV4 {
        method: "GET",
        host,
        path: "/",
        query: &query,
        amz_date: &amz_date,
        region: "us-east-1",
        service: "sts",
        payload_hash: &empty,
    };
    let auth = request.authorization(key, &f.secret);
    let r = http.call(
        &format!("{base}/?{}", request.canonical_query()),
        &[("Authorization", auth), ("X-Amz-Date", amz_date.clone())],
        None,
    )?;
    if r.status == 200 {
        let account = xml_text(&r.body, "Account");
        let arn = xml_text(&r.body, "Arn");
        return Ok(Verification::live(
            arn.or(account.map(|a| format!("account {a}"))),
            Vec::new(),
        ));
    }
    let code = xml_text(&r.body, "Code").unwrap_or_default();
    if r.status == 403
        && matches!(
            code.as_str(),
            "InvalidClientTokenId" | "SignatureDoesNotMatch" | "ExpiredToken" | "AccessDenied"
        )
    {
        return Ok(Verification {
            status: Status::Invalid,
            identity: None,
            permissions: Vec::new(),
            detail: Some(code),
        });
    }
    Err(format!("HTTP {} {code}", r.status))
}

/// `GET /v3/scopes`: what the key may do.
fn sendgrid(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let url = format!("{base}/v3/scopes");
    Ok(get_json(http, &url, &[bearer(&f.secret)], &[401, 403])?
        .map(|body| Verification::live(None, strings(&body["scopes"])))
        .unwrap_or_else(|verdict| verdict))
}

/// `GET /v3/domains` with `api:KEY`: the account's sending domains.
fn mailgun(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("api:{}", f.secret));
    let headers = [("Authorization", format!("Basic {basic}"))];
    Ok(
        get_json(http, &format!("{base}/v3/domains"), &headers, &[401, 403])?
            .map(|body| {
                let domains = body["items"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|d| d["name"].as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                });
                Verification::live(domains.filter(|d| !d.is_empty()), Vec::new())
            })
            .unwrap_or_else(|verdict| verdict),
    )
}

/// `GET /api/v10/users/@me` as the bot.
fn discord(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let url = format!("{base}/api/v10/users/@me");
    let headers = [("Authorization", format!("Bot {}", f.secret))];
    Ok(get_json(http, &url, &headers, &[401])?
        .map(|body| Verification::live(field(&body, &["username"]), Vec::new()))
        .unwrap_or_else(|verdict| verdict))
}

/// `GET /v1/key/info`: the plan and the credits left this month.
fn coinmarketcap(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let url = format!("{base}/v1/key/info");
    let headers = [("X-CMC_PRO_API_KEY", f.secret.clone())];
    Ok(get_json(http, &url, &headers, &[401, 403])?
        .map(|body| {
            let plan = &body["data"]["plan"];
            let mut about = Vec::new();
            if let Some(left) = body["data"]["usage"]["current_month"]["credits_left"].as_i64() {
                about.push(format!("{left} credits left this month"));
            }
            let name = plan["credit_limit_monthly"]
                .as_i64()
                .map(|n| format!("plan of {n} credits a month"));
            Verification::live(name, about)
        })
        .unwrap_or_else(|verdict| verdict))
}

/// The key and the passphrase paired with an exchange's secret (`EXCHANGE-api-key`,
/// `EXCHANGE-api-passphrase`).
fn key_and_passphrase<'a>(
    f: &'a Finding,
    exchange: &str,
) -> Result<(&'a str, &'a str), Verification> {
    let key = half(f, &format!("{exchange}-api-key"), "API key")?;
    let pass = half(f, &format!("{exchange}-api-passphrase"), "passphrase")?;
    Ok((key, pass))
}

fn now_millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// A rejected key, with the provider's words.
fn invalid(detail: String) -> Verification {
    Verification {
        status: Status::Invalid,
        identity: None,
        permissions: Vec::new(),
        detail: Some(detail),
    }
}

/// The rights an exchange key holds, as keyhound names them.
fn rights(trade: bool, withdraw: bool, ip_restricted: Option<bool>) -> Vec<String> {
    let mut out = Vec::new();
    if trade {
        out.push("can-trade".to_string());
    }
    if withdraw {
        out.push("can-withdraw".to_string());
    }
    match ip_restricted {
        Some(true) => out.push("ip-restricted".into()),
        Some(false) => out.push("no-ip-restriction".into()),
        None => {}
    }
    out
}

/// Bybit v5 `GET /v5/user/query-api`, signed (HMAC-SHA256 of timestamp, key and receive
/// window): the key's permissions, read-only flag and IP list.
fn bybit(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let key = match half(f, "bybit-api-key", "API key") {
        Ok(k) => k,
        Err(verdict) => return Ok(verdict),
    };
    let ts = now_millis().to_string();
    let window = "5000";
    let sign = sign::hmac_sha256_hex(f.secret.as_bytes(), format!("{ts}{key}{window}").as_bytes());
    let r = http.call(
        &format!("{base}/v5/user/query-api"),
        &[
            ("X-BAPI-API-KEY", key.to_string()),
            ("X-BAPI-TIMESTAMP", ts),
            ("X-BAPI-RECV-WINDOW", window.into()),
            ("X-BAPI-SIGN", sign),
        ],
        None,
    )?;
    let body = json(&r)?;
    match body["retCode"].as_i64() {
        Some(0) => {}
        // 10003: the key is invalid; 10004: the signature is (so the secret is not its).
        Some(code @ 10003..=10005) => {
            return Ok(invalid(format!("Bybit retCode {code}")));
        }
        other => return Err(format!("HTTP {}, Bybit retCode {other:?}", r.status)),
    }
    let result = &body["result"];
    let perms = &result["permissions"];
    let any = |group: &str| perms[group].as_array().is_some_and(|a| !a.is_empty());
    let trade = result["readOnly"] == 0
        && ["Spot", "ContractTrade", "Derivatives", "Options"]
            .iter()
            .any(|g| any(g));
    let withdraw = perms["Wallet"]
        .as_array()
        .is_some_and(|a| a.iter().any(|p| p == "Withdraw"))
        || any("Withdraw");
    let ips = result["ips"].as_array();
    let restricted = ips.map(|a| !a.iter().any(|ip| ip == "*"));
    Ok(Verification::live(
        field(result, &["userID"]).map(|u| format!("user {u}")),
        rights(trade, withdraw, restricted),
    ))
}

/// An ISO 8601 time in milliseconds, as OKX wants it (`2020-12-08T09:08:57.715Z`).
fn iso_millis(ms: u128) -> String {
    let secs = (ms / 1000) as i64;
    let base = crate::time::iso8601(secs, 0);
    format!("{}.{:03}Z", &base[..19], ms % 1000)
}

/// OKX `GET /api/v5/account/config`, signed (base64 HMAC-SHA256 of time, method and path)
/// with the passphrase: the uid and `perm` (read_only, trade, withdraw).
fn okx(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let (key, pass) = match key_and_passphrase(f, "okx") {
        Ok(halves) => halves,
        Err(verdict) => return Ok(verdict),
    };
    let path = "/api/v5/account/config";
    let ts = iso_millis(now_millis());
    let sign = sign::hmac_sha256_base64(f.secret.as_bytes(), format!("{ts}GET{path}").as_bytes());
    let r = http.call(
        &format!("{base}{path}"),
        &[
            ("OK-ACCESS-KEY", key.to_string()),
            ("OK-ACCESS-SIGN", sign),
            ("OK-ACCESS-TIMESTAMP", ts),
            ("OK-ACCESS-PASSPHRASE", pass.to_string()),
        ],
        None,
    )?;
    let body = json(&r)?;
    let code = body["code"].as_str().unwrap_or("");
    if code != "0" {
        // 50111 key, 50113 signature, 50105 passphrase: this key does not work.
        if matches!(code, "50111" | "50113" | "50105" | "50100" | "50101") {
            return Ok(invalid(format!("OKX code {code}")));
        }
        return Err(format!("HTTP {}, OKX code {code}", r.status));
    }
    let config = &body["data"][0];
    let perm = config["perm"].as_str().unwrap_or("");
    let has = |p: &str| perm.split(',').any(|x| x.trim() == p);
    let ip = config["ip"].as_str().map(|ip| !ip.trim().is_empty());
    Ok(Verification::live(
        field(config, &["uid"]).map(|u| format!("uid {u}")),
        rights(has("trade"), has("withdraw"), ip),
    ))
}

/// KuCoin `GET /api/v1/user/api-key`, signed (base64 HMAC-SHA256 of time, method and path;
/// key version 2, the passphrase signed too): the key's permissions and IP whitelist.
fn kucoin(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    let (key, pass) = match key_and_passphrase(f, "kucoin") {
        Ok(halves) => halves,
        Err(verdict) => return Ok(verdict),
    };
    let path = "/api/v1/user/api-key";
    let ts = now_millis().to_string();
    let secret = f.secret.as_bytes();
    let r = http.call(
        &format!("{base}{path}"),
        &[
            ("KC-API-KEY", key.to_string()),
            (
                "KC-API-SIGN",
                sign::hmac_sha256_base64(secret, format!("{ts}GET{path}").as_bytes()),
            ),
            ("KC-API-TIMESTAMP", ts),
            (
                "KC-API-PASSPHRASE",
                sign::hmac_sha256_base64(secret, pass.as_bytes()),
            ),
            ("KC-API-KEY-VERSION", "2".into()),
        ],
        None,
    )?;
    let body = json(&r)?;
    let code = body["code"].as_str().unwrap_or("");
    if code != "200000" {
        // 400003 key, 400004 passphrase, 400005 signature.
        if matches!(code, "400003" | "400004" | "400005") {
            return Ok(invalid(format!("KuCoin code {code}")));
        }
        return Err(format!("HTTP {}, KuCoin code {code}", r.status));
    }
    let data = &body["data"];
    let perm = data["permission"].as_str().unwrap_or("");
    let has = |p: &str| perm.split(',').any(|x| x.trim().eq_ignore_ascii_case(p));
    let ip = data["ipWhitelist"].as_str().map(|ip| !ip.trim().is_empty());
    Ok(Verification::live(
        field(data, &["uid"]).map(|u| format!("uid {u}")),
        rights(
            has("spot") || has("futures") || has("margin"),
            has("withdrawal"),
            ip,
        ),
    ))
}

/// Kraken `POST /0/private/Balance` with a nonce, signed (`API-Sign`: HMAC-SHA512 under the
/// base64-decoded secret of the path and the SHA-256 of nonce and body): a read-only call.
fn kraken(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    use base64::Engine;
    use sha2::Digest;
    let key = match half(f, "kraken-api-key", "API key") {
        Ok(k) => k,
        Err(verdict) => return Ok(verdict),
    };
    let Ok(secret) = base64::engine::general_purpose::STANDARD.decode(f.secret.trim()) else {
        return Ok(Verification {
            status: Status::Skipped,
            identity: None,
            permissions: Vec::new(),
            detail: Some("the private key is not base64: not sent".into()),
        });
    };
    let path = "/0/private/Balance";
    let nonce = now_millis().to_string();
    let body = format!("nonce={nonce}");
    let mut message = path.as_bytes().to_vec();
    message.extend_from_slice(&sha2::Sha256::digest(format!("{nonce}{body}").as_bytes()));
    let r = http.call(
        &format!("{base}{path}"),
        &[
            ("API-Key", key.to_string()),
            ("API-Sign", sign::hmac_sha512_base64(&secret, &message)),
            ("Content-Type", "application/x-www-form-urlencoded".into()),
        ],
        Some(&body),
    )?;
    let reply = json(&r)?;
    let errors = strings(&reply["error"]);
    if errors.is_empty() && r.status == 200 {
        return Ok(Verification {
            detail: Some("can read balances (Kraken says no more without trying)".into()),
            ..Verification::live(None, Vec::new())
        });
    }
    if errors
        .iter()
        .any(|e| e == "EAPI:Invalid key" || e == "EAPI:Invalid signature")
    {
        return Ok(invalid(errors.join(", ")));
    }
    Err(format!(
        "HTTP {}, Kraken says {}",
        r.status,
        errors.join(", ")
    ))
}

/// Twilio: an account SID with its auth token (`GET /2010-04-01/Accounts/SID.json`), or an
/// API key SID with its secret (`GET /2010-04-01/Accounts.json`), in Basic auth.
fn twilio(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    use base64::Engine;
    let (user, url) = if f.rule_id == "twilio-auth-token" {
        match half(f, "twilio-account-sid", "account SID") {
            Ok(sid) => (sid, format!("{base}/2010-04-01/Accounts/{sid}.json")),
            Err(verdict) => return Ok(verdict),
        }
    } else {
        match half(f, "twilio-api-key-sid", "API key SID") {
            Ok(sid) => (sid, format!("{base}/2010-04-01/Accounts.json")),
            Err(verdict) => return Ok(verdict),
        }
    };
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", f.secret));
    let headers = [("Authorization", format!("Basic {basic}"))];
    Ok(get_json(http, &url, &headers, &[401, 403])?
        .map(|body| {
            // One account, or the list an API key sees.
            let account = body["accounts"].get(0).unwrap_or(&body);
            let name = field(account, &["friendly_name"]);
            let status = field(account, &["status"]).map(|s| format!("account {s}"));
            Verification::live(name, status.into_iter().collect())
        })
        .unwrap_or_else(|verdict| verdict))
}

/// Coinbase Advanced Trade `GET /api/v3/brokerage/key_permissions`, with an ES256 JWT that the
/// key's P-256 private key signs for this one request (two minutes long): view, trade and
/// transfer rights.
fn coinbase(http: &Http, base: &str, f: &Finding) -> Result<Verification, String> {
    use sha2::Digest;
    let name = match half(f, "coinbase-cdp-api-key-name", "API key name") {
        Ok(n) => n,
        Err(verdict) => return Ok(verdict),
    };
    // A key pasted into JSON or an env file keeps its newlines escaped.
    let pem = f.secret.replace("\\n", "\n").replace("\\r", "");
    let path = "/api/v3/brokerage/key_permissions";
    let host = base.split_once("://").map_or(base, |(_, h)| h);
    let now = (now_millis() / 1000) as u64;
    let nonce: String = sha2::Sha256::digest(format!("{}{name}", now_millis()).as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let header = serde_json::json!({"alg": "ES256", "kid": name, "nonce": nonce, "typ": "JWT"});
    let claims = serde_json::json!({
        "iss": "cdp", "sub": name, "nbf": now, "exp": now + 120,
        "uri": format!("GET {host}{path}"),
    });
    let jwt = match sign::es256_jwt(&pem, &header.to_string(), &claims.to_string()) {
        Ok(jwt) => jwt,
        Err(e) => {
            return Ok(Verification {
                status: Status::Skipped,
                identity: None,
                permissions: Vec::new(),
                detail: Some(format!("{e}: not sent")),
            })
        }
    };
    let url = format!("{base}{path}");
    Ok(get_json(http, &url, &[bearer(&jwt)], &[401])?
        .map(|body| {
            let right = |k: &str| body[k] == true;
            let mut rights = rights(right("can_trade"), right("can_transfer"), None);
            if right("can_view") {
                rights.insert(0, "can-view".into());
            }
            Verification::live(
                field(&body, &["portfolio_uuid"]).map(|p| format!("portfolio {p}")),
                rights,
            )
        })
        .unwrap_or_else(|verdict| verdict))
}
