#!/usr/bin/env bash
# A registry that refuses a token in the middle of a push (as Docker Hub does when a token runs
# out before the final manifest PUT): hoist gets a new token on the 401 and sends the request
# again, and the push completes. A proxy in front of the token-auth registry answers the first
# manifest PUT with the registry's own 401 challenge.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

start_registry token
make_umoci_image src 1

cat >refuse.py <<'PY'
import http.client, http.server, sys
upstream = sys.argv[1]
refused = []
class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def relay(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        connection = http.client.HTTPConnection(upstream)
        if self.command == "PUT" and "/manifests/" in self.path and not refused:
            refused.append(self.path)
            connection.request("GET", "/v2/")
            challenge = connection.getresponse()
            challenge.read()
            self.send_response(401)
            self.send_header("WWW-Authenticate", challenge.getheader("WWW-Authenticate"))
            self.send_header("Content-Length", "0")
            self.end_headers()
            print("refused " + self.path, flush=True)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(key, value.replace("http://" + upstream, "http://" + self.headers["Host"]))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = relay
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
print(server.server_port, flush=True)
server.serve_forever()
PY
coproc proxy { exec python3 refuse.py "$HOIST_TEST_REGISTRY"; }
read -r port <&"${proxy[0]}"
trap 'kill $proxy_PID 2>/dev/null; stop_registries; rm -rf "$work"' EXIT

"$HOIST" copy -q oci:src:1 local:app:1 >/dev/null
before=$(grep -c '"subject": *"hoist"\|"subject":"hoist"' "$HOIST_TEST_TOKEN_LOG" || true)
"$HOIST" push -q --creds "$HOIST_TEST_CREDS" app:1 "127.0.0.1:$port/app:1" >push.out
read -r line <&"${proxy[0]}"
[[ $line == "refused /v2/app/manifests/"* ]] || fail "the proxy did not refuse the manifest PUT: $line"
after=$(grep -c '"subject": *"hoist"\|"subject":"hoist"' "$HOIST_TEST_TOKEN_LOG" || true)
((after - before >= 2)) || fail "hoist asked for $((after - before)) tokens; a new one was due after the 401"
expect_eq "$(cat push.out)" "$(layout_digest src 1)" "digest pushed"
expect_eq "$(skopeo inspect --tls-verify=false --creds "$HOIST_TEST_CREDS" "docker://$HOIST_TEST_REGISTRY/app:1" | jq -r .Digest)" \
    "$(layout_digest src 1)" "digest at the registry"
