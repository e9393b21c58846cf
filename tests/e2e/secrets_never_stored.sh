# A build secret (RUN --mount=type=secret, from a file and as an environment variable) is used by
# the build but reaches no layer, no config or history, no build cache entry and no output: no
# blob of the store, compressed or not, holds it, nor does anything the build printed. It is not
# part of a step's cache key: a rebuild with another secret value is a cache hit. ARG and ENV
# names that look like secrets draw a warning naming the line.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
[[ $(id -u) == 0 ]] || { echo "skip: RUN as root here"; exit 77; }

make_busybox_base e2e/busybox:1
secret=never-store-$RANDOM-$RANDOM-$RANDOM
mkdir ctx
printf '%s' "$secret" >secret.txt
cat >ctx/Dockerfile <<'DOCKERFILE'
FROM e2e/busybox:1
ARG API_TOKEN=none
RUN --mount=type=secret,id=tok wc -c < /run/secrets/tok > /length && grep -q never-store /run/secrets/tok
RUN --mount=type=secret,id=tok,env=TOK test -n "$TOK" && echo "the secret has ${#TOK} characters"
ENV SERVICE_PASSWORD_FILE=/run/secrets/tok
DOCKERFILE

"$HOIST" build --progress plain --secret id=tok,src=secret.txt -t e2e/secret:1 ctx >out 2>err ||
    { cat err >&2; fail "the build with a secret"; }
expect_eq "$("$HOIST" run --rm e2e/secret:1 busybox cat /length | tr -d ' ')" "${#secret}" \
    "what the RUN wrote from the secret"
grep -q "the secret has ${#secret} characters" err || fail "the env= secret was not seen by the RUN"
expect_eq "$(grep -c 'warning: .* looks like a secret' err)" 2 "warnings for API_TOKEN and SERVICE_PASSWORD_FILE"
grep -q '^Dockerfile:2: warning: ARG "API_TOKEN" looks like a secret' err ||
    fail "the ARG warning: $(grep warning err)"

# Nowhere in the store: every blob as stored and, when it is gzip, uncompressed.
for blob in "$HOIST_ROOT"/blobs/sha256/*; do
    if grep -qF "$secret" "$blob" || { gzip -t "$blob" 2>/dev/null && gzip -dc "$blob" | grep -qF "$secret"; }; then
        fail "blob $(basename "$blob") holds the secret"
    fi
done
if grep -rqF "$secret" "$HOIST_ROOT"/build-cache "$HOIST_ROOT"/index.json out err; then
    fail "the secret is in the build cache, the index or the build's output"
fi
"$HOIST" inspect --config local:e2e/secret:1 >config.json
grep -qF "$secret" config.json && fail "the secret is in the image config"

# Another secret value: the same cache keys.
printf 'never-store-other' >secret.txt
"$HOIST" build --progress plain --secret id=tok,src=secret.txt -t e2e/secret:2 ctx >out 2>err
expect_eq "$(grep -c ' CACHED$' err)" 2 "cached RUN steps with another secret value"
