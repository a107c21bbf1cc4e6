"""A stand-in for providers' APIs on 127.0.0.1, for tests/verify.rs: GitHub's /user and
Binance's signed /api/v3/account with the answers their documentation gives, plus the
failures a client must survive (429 with Retry-After, 5xx, malformed JSON, a redirect to
another host). Every request is logged, so a test can see that nothing was sent.

usage: verify_server.py STATE.json LOG  (prints the port)
STATE: {"github": {"live": {TOKEN: LOGIN}, "rate": TOKEN, "error": TOKEN, "junk": TOKEN,
         "redirect": TOKEN}, "binance": {KEY: {"secret": SECRET, "withdraw": BOOL}}}"""
import hashlib, hmac, http.server, json, sys, urllib.parse

state = json.load(open(sys.argv[1]))
log = open(sys.argv[2], "a", buffering=1)
rated = set()


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
        self.reply(404, {"message": "Not Found"})

    def github(self):
        g = state["github"]
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token == g.get("rate") and token not in rated:
            rated.add(token)
            return self.reply(429, {"message": "slow down"}, [("Retry-After", "1")])
        if token == g.get("error"):
            return self.reply(502, {"message": "bad gateway"})
        if token == g.get("junk"):
            return self.reply(200, b"<html>not json</html>")
        if token == g.get("redirect"):
            return self.reply(302, b"", [("Location", "https://evil.example/steal")])
        login = g["live"].get(token)
        if login is None:
            return self.reply(401, {"message": "Bad credentials"})
        self.reply(200, {"login": login, "id": 1}, [("X-OAuth-Scopes", "repo, read:org")])

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


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_port, flush=True)
server.serve_forever()
