# A loopback HTTP server for the ADD URLs (its port in $server, which the expected config names
# as @SERVER@); stopped when the build is done.
python3 - "$case_dir/served" >"$work/http-server.port" 2>/dev/null <<'PY' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
http_pid=$!
for _ in $(seq 100); do [[ -s $work/http-server.port ]] && break; sleep 0.05; done
server=127.0.0.1:$(cat "$work/http-server.port")
status=0
"$HOIST" build -t "$image" --build-arg "SERVER=$server" . || status=$?
kill "$http_pid"
wait "$http_pid" 2>/dev/null || true
(exit "$status")
