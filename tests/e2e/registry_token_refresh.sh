# A push that outlives its token succeeds: the token server's tokens really expire after 2 s
# (--token-ttl 2), the push is slowed to several seconds by a proxy that passes uploads at
# 128 KiB/s, and hoist asks for new tokens as the old ones run out instead of failing with 401.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

# make_random_image DIR TAG N SIZE: an OCI layout with one image of N layers, each a gzipped tar
# of a file of SIZE random bytes (which gzip cannot shrink).
make_random_image() {
    local dir=$1 tag=$2 n=$3 size=$4 i digest diff_ids=() layers=()
    mkdir -p "$dir/blobs/sha256"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
    for ((i = 0; i < n; i++)); do
        mkdir tree
        head -c "$size" /dev/urandom >"tree/file$i"
        tar -C tree -cf layer.tar "file$i"
        rm -rf tree
        diff_ids+=("sha256:$(sha256sum layer.tar | cut -d' ' -f1)")
        gzip -n -1 layer.tar
        digest=$(sha256sum layer.tar.gz | cut -d' ' -f1)
        layers+=("$(jq -nc --arg d "sha256:$digest" --argjson s "$(stat -c %s layer.tar.gz)" \
            '{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $d, size: $s}')")
        mv layer.tar.gz "$dir/blobs/sha256/$digest"
    done
    jq -nc --args '{architecture: "amd64", os: "linux", config: {}, rootfs: {type: "layers", diff_ids: $ARGS.positional}}' \
        "${diff_ids[@]}" >config.json
    digest=$(sha256sum config.json | cut -d' ' -f1)
    jq -nc --arg d "sha256:$digest" --argjson s "$(stat -c %s config.json)" --args \
        '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $d, size: $s},
          layers: [$ARGS.positional[] | fromjson]}' "${layers[@]}" >manifest.json
    mv config.json "$dir/blobs/sha256/$digest"
    digest=$(sha256sum manifest.json | cut -d' ' -f1)
    jq -nc --arg d "sha256:$digest" --argjson s "$(stat -c %s manifest.json)" --arg tag "$tag" \
        '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $d,
          size: $s, annotations: {"org.opencontainers.image.ref.name": $tag}}]}' >"$dir/index.json"
    mv manifest.json "$dir/blobs/sha256/$digest"
}

# A TCP proxy to the registry that passes what the client sends at RATE bytes a second (and the
# answers at full speed); it prints its port, and ends when this script does.
cat >throttle.py <<'PY'
import asyncio, os, sys

upstream, rate = int(sys.argv[1]), int(sys.argv[2])
parent = os.getppid()

async def pipe(reader, writer, limit):
    try:
        while data := await reader.read(min(16384, limit // 10) if limit else 65536):
            writer.write(data)
            await writer.drain()
            if limit:
                await asyncio.sleep(len(data) / limit)
    except ConnectionError:
        pass
    finally:
        writer.close()

async def handle(client_reader, client_writer):
    upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", upstream)
    await asyncio.gather(pipe(client_reader, upstream_writer, rate), pipe(upstream_reader, client_writer, 0))

async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    while os.getppid() == parent:
        await asyncio.sleep(0.5)

asyncio.run(main())
PY

make_random_image src v1 4 $((160 << 10))
want=$(layout_digest src v1)
"$HOIST" copy -q oci:src:v1 local:e2e/slow:1 >/dev/null

start_registry token --token-ttl 2
python3 throttle.py "${HOIST_TEST_REGISTRY#*:}" $((128 << 10)) >proxy.port &
proxy_pid=$!
for ((i = 0; i < 100; i++)); do
    [[ -s proxy.port ]] && break
    sleep 0.05
done
[[ -s proxy.port ]] || fail "the throttling proxy did not start"
remote=127.0.0.1:$(cat proxy.port)/e2e/slow:1

start=${EPOCHREALTIME/./}
expect_eq "$("$HOIST" push -q --jobs 1 --creds "$HOIST_TEST_CREDS" e2e/slow:1 "$remote")" "$want" "digest printed by push"
elapsed=$(((${EPOCHREALTIME/./} - start) / 1000))  # ms
kill "$proxy_pid"
wait "$proxy_pid" || true

# The push took more than twice a token's life, so one token could not have carried it.
((elapsed > 2000 * HOIST_TEST_TOKEN_TTL)) || fail "the push took only $elapsed ms"
tokens=$(jq -s '[.[] | select((.user_agent | startswith("hoist/")) and .status == 200)] | length' "$HOIST_TEST_TOKEN_LOG")
((tokens > 1)) || fail "hoist asked for $tokens token(s) during a push of $elapsed ms"
expect_eq "$(skopeo inspect --tls-verify=false --creds "$HOIST_TEST_CREDS" "docker://$HOIST_TEST_REGISTRY/e2e/slow:1" |
    jq -r .Digest)" "$want" "digest in the registry"
