#!/usr/bin/env bash
# hoist ls follows a registry's tag pagination: every page through the Link header, asking for
# at most 1000 tags a page, and never a next page on another host. Debian's registry sends
# everything in one page, so a small fake registry serves the pages here.
source "$(dirname "$0")/lib/common.bash"

cat >fake.py <<'PY'
import http.server, json, sys, urllib.parse
log = open(sys.argv[2], "a", buffering=1)
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def answer(self, body, link=None):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if link:
            self.send_header("Link", link)
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        log.write(self.path + "\n")
        if url.path == "/v2/":
            return self.answer({})
        last = query.get("last", [""])[0]
        if url.path == "/v2/app/tags/list":
            pages = {"": (["a", "b"], "</v2/app/tags/list?n=1000&last=b>; rel=\"next\""),
                     "b": (["c", "d"], "<http://%s/v2/app/tags/list?n=1000&last=d>; rel=\"next\"" % self.headers["Host"]),
                     "d": (["e"], None)}
            tags, link = pages[last]
            return self.answer({"name": "app", "tags": tags}, link)
        if url.path == "/v2/evil/tags/list":
            return self.answer({"name": "evil", "tags": ["x"]},
                               "<http://127.0.0.2:%d/v2/evil/tags/list?last=x>; rel=\"next\"" % self.server.server_port)
        self.send_error(404)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
open(sys.argv[1], "w").write(str(server.server_port))
server.serve_forever()
PY
python3 fake.py port requests.log &
fake=$!
trap 'kill $fake 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [[ -s port ]] && break; sleep 0.1; done
registry=127.0.0.1:$(cat port)

expect_eq "$("$HOIST" ls "$registry/app" | paste -sd,)" "a,b,c,d,e" "tags over three pages"
sizes=$(grep -o '[?&]n=[0-9]*' requests.log | cut -d= -f2 | sort -u | paste -sd,)
expect_eq "$sizes" "1000" "page sizes asked for"
expect_error 1 "hoist: ls $registry/evil: tags: refusing a next page on another host: http://127.0.0.2:$(cat port)/v2/evil/tags/list" \
    "$HOIST" ls "$registry/evil"
