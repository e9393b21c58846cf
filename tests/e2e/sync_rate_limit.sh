# Docker Hub's rate limit, in front of a registry (a proxy that adds its headers): hoist sync
# shows the limit and what remains of it once done, and a 429 with Retry-After is waited out
# (the next try comes after the time it names) rather than failing the sync. Manifest GETs that
# find one count against the limit (Docker Hub counts pulls); comparing digests uses HEAD, which
# is free, and each manifest is read once.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/sync.bash"

make_multiarch_layout src 1 1000
start_registry none
upstream=$HOIST_TEST_REGISTRY
"$HOIST" copy -q oci:src:new "docker://$upstream/library/app:1" >/dev/null
start_registry none
ecr=$HOIST_TEST_REGISTRY

python3 - "$upstream" "$work/proxy.port" "$work/proxy.log" <<'PY' &
import http.client, http.server, json, sys, threading, time
upstream, port_file, log_file = sys.argv[1:4]
state = {"remaining": 100, "refused": False}
lock = threading.Lock()
class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def relay(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
        manifest = "/manifests/" in self.path
        with lock:
            refuse = manifest and not state["refused"]
            state["refused"] = state["refused"] or refuse
            with open(log_file, "a") as log:
                log.write(json.dumps({"time": time.time(), "method": self.command, "path": self.path,
                                      "status": 429 if refuse else 0}) + "\n")
        if refuse:
            self.send_response(429)
            self.send_header("Retry-After", "2")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        connection = http.client.HTTPConnection(upstream)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        connection.request(self.command, self.path, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        with lock:
            if manifest and self.command == "GET" and response.status == 200:
                state["remaining"] -= 1
            remaining = state["remaining"]
        self.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(k, v)
        length = response.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data))
        self.send_header("Content-Length", length)
        if manifest:
            self.send_header("ratelimit-limit", "100;w=21600")
            self.send_header("ratelimit-remaining", f"{remaining};w=21600")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
    do_GET = do_HEAD = relay
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
open(port_file + ".tmp", "w").write(str(server.server_address[1]))
import os; os.rename(port_file + ".tmp", port_file)
server.serve_forever()
PY
proxy_pid=$!
trap 'kill $proxy_pid 2>/dev/null || true; stop_registries; rm -rf "$work"' EXIT
for ((i = 0; i < 200; i++)); do
    [[ -s $work/proxy.port ]] && break
    sleep 0.05
done
hub=127.0.0.1:$(cat "$work/proxy.port")
write_sync_config sync.json '["1"]'

"$HOIST" -q sync --config sync.json >out 2>err || fail "sync failed: $(cat err)"
expect_eq "$(cat out)" "copied $hub/library/app:1 -> $ecr/mirror/library/app:1 $(layout_digest src new)
1 images: 1 copied, 0 up to date, 0 to copy, 0 failed" "stdout"
# The index and its three images were read (4 GETs); the HEADs were free.
expect_eq "$(cat err)" "hoist: $hub rate limit 100;w=21600, remaining 96;w=21600" "stderr"
waited=$(jq -s '(map(.status) | index(429)) as $i | (.[$i + 1].time - .[$i].time) * 10 | floor' proxy.log)
((waited >= 19)) || fail "the try after the 429 came after $((waited / 10)).$((waited % 10)) s, before Retry-After's 2 s"
