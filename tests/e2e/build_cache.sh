# The build cache. A rebuild of an unchanged context runs no RUN, gives the same image digest
# and, with --push, uploads nothing; changing one COPY source reruns that step and the ones
# after it only; --no-cache and --no-cache-filter run steps again; a build arg a RUN sees is in
# its key. A second runner with an empty store and --cache-from the registry the first one
# pushed to with --cache-to gets a hit on every step and the same digest. hoist prune empties
# the local cache (--keep-storage keeps the newest entries).
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
source "$lib_dir/registry.bash"
[[ $(id -u) == 0 ]] || { echo "skip: RUN as root here"; exit 77; }

start_registry basic
creds=(--creds "$HOIST_TEST_CREDS")
cache=$HOIST_TEST_REGISTRY/e2e/app-cache
SOURCE_DATE_EPOCH=1600000000 make_busybox_base e2e/busybox:1  # the same base on both runners

mkdir -p ctx/src ctx/conf
echo one >ctx/src/one.txt
echo two >ctx/src/two.txt
echo settings >ctx/conf/app.conf
cat >ctx/Dockerfile <<'DOCKERFILE'
FROM e2e/busybox:1 AS tool
RUN echo ran-tool; echo tool > /tool
FROM e2e/busybox:1
ARG FLAVOUR=plain
ENV APP=/app
COPY src/ /app/src/
RUN echo ran-1; cat /app/src/*.txt > /app/all
COPY --from=tool /tool /app/tool
WORKDIR /app
COPY conf/app.conf conf/
RUN echo ran-2-$FLAVOUR; wc -c conf/app.conf > size
RUN --mount=type=bind,source=conf,target=/mnt echo ran-3; cp /mnt/app.conf /app/copy
CMD ["busybox", "cat", "/app/all"]
DOCKERFILE

# build FLAGS...: builds e2e/app:1; $out has the progress, $ran the RUNs that ran (their
# "ran-" lines) and $cached the number of CACHED steps.
build() {
    "$HOIST" "${creds[@]}" build -t "$HOIST_TEST_REGISTRY/e2e/app:1" "$@" ctx 2>out >/dev/null ||
        { cat out >&2; fail "build $*"; }
    ran=$(sed -nE 's/^#[0-9]+ [0-9.]+ (ran-.*)$/\1/p' out | sort | tr '\n' ' ')
    cached=$(grep -c ' CACHED$' out || true)
}
digest() { "$HOIST" inspect "local:$HOIST_TEST_REGISTRY/e2e/app:1" | jq -r .Digest; }

build --push --cache-to "$cache"
expect_eq "$ran" "ran-1 ran-2-plain ran-3 ran-tool " "RUNs of the first build"
expect_eq "$cached" 0 "cached steps of the first build"
first=$(digest)

# Unchanged: nothing runs, nothing is uploaded, the same digest.
sleep 1.1  # a different second: only the cache can make the times equal
mark=$(wc -l <"$HOIST_TEST_REGISTRY_LOG")
build --push
expect_eq "$ran" "" "RUNs of an unchanged rebuild"
expect_eq "$cached" 8 "cached steps of an unchanged rebuild (4 RUN, 3 COPY, WORKDIR)"
expect_eq "$(digest)" "$first" "digest of an unchanged rebuild"
sleep 0.2
if hoist_requests "$mark" | grep -E '^(POST|PUT|PATCH) .*/blobs/'; then
    fail "an unchanged rebuild uploaded a blob"
fi

# One COPY source changes: that COPY and what follows run again, nothing before.
echo changed >ctx/conf/app.conf
build
expect_eq "$ran" "ran-2-plain ran-3 " "RUNs after conf/app.conf changed"
expect_eq "$cached" 5 "cached steps after conf/app.conf changed (tool RUN, COPY src, RUN 1, COPY --from, WORKDIR)"
grep -q '^#[0-9]* \[stage-1 8/11\] COPY conf/app.conf conf/$' out || fail "no COPY conf step in the output"
# Only the mounted file's content changes: the RUN with the bind mount reruns.
build
expect_eq "$ran" "" "RUNs of the second unchanged rebuild"
echo changed again >ctx/conf/app.conf
build --build-arg FLAVOUR=plain
expect_eq "$ran" "ran-2-plain ran-3 " "RUNs after conf/app.conf changed again"
build --build-arg FLAVOUR=fancy
expect_eq "$ran" "ran-1 ran-2-fancy ran-3 " "RUNs with another build arg (every RUN after its ARG sees it)"
expect_eq "$cached" 2 "cached steps with another build arg (tool RUN, COPY src)"
echo changed >ctx/conf/app.conf
build
expect_eq "$ran" "" "RUNs with the first content back"
expect_eq "$(digest)" "$(build --push >/dev/null; digest)" "digest of a rebuild"

build --no-cache
expect_eq "$ran" "ran-1 ran-2-plain ran-3 ran-tool " "RUNs with --no-cache"
expect_eq "$cached" 0 "cached steps with --no-cache"
build --no-cache-filter TOOL
expect_eq "$ran" "ran-tool " "RUNs with --no-cache-filter TOOL (its file is the same, so the rest hit)"

# A second runner: an empty store, the registry cache the first one filled.
echo one >ctx/conf/app.conf  # back to what the first build, which pushed the cache, had
echo settings >ctx/conf/app.conf
export HOIST_ROOT=$work/runner2
SOURCE_DATE_EPOCH=1600000000 make_busybox_base e2e/busybox:1  # the same base on both runners
build --cache-from "$cache"
expect_eq "$ran" "" "RUNs of a second runner with --cache-from"
expect_eq "$cached" 8 "cached steps of a second runner with --cache-from"
expect_eq "$(digest)" "$first" "digest on a second runner with --cache-from"
"$HOIST" run --rm "$HOIST_TEST_REGISTRY/e2e/app:1" >stdout
expect_eq "$(cat stdout)" "$(printf 'one\ntwo')" "the second runner's image runs"
# A cache repository with no entry for a step is a miss, not an error.
echo three >ctx/src/three.txt
build --cache-from "$HOIST_TEST_REGISTRY/e2e/empty-cache"
expect_eq "$ran" "ran-1 ran-2-plain ran-3 " "RUNs with an empty cache repository"

# prune: --keep-storage keeps the newest entries; without it the cache is empty and every
# step runs again.
entries=$(ls "$HOIST_ROOT/build-cache" | wc -l)
"$HOIST" prune --keep-storage 1m >prune.out
[[ $(ls "$HOIST_ROOT/build-cache" | wc -l) -gt 0 ]] || fail "prune --keep-storage 1m removed every entry"
"$HOIST" prune >prune.out
expect_eq "$(ls "$HOIST_ROOT/build-cache" | wc -l)" 0 "cache entries after prune (were $entries)"
grep -q '^Removed [1-9][0-9]* build cache entries, [0-9]* unpacked layers' prune.out ||
    fail "prune's report: $(cat prune.out)"
expect_eq "$(cd "$HOIST_ROOT/snapshots" && ls -A ./*)" "$(printf 'lock\ntmp')" "unpacked layers after prune"
build
expect_eq "$ran" "ran-1 ran-2-plain ran-3 ran-tool " "RUNs after prune"
"$HOIST" run --rm "$HOIST_TEST_REGISTRY/e2e/app:1" >stdout
expect_eq "$(cat stdout)" "$(printf 'one\nthree\ntwo')" "the image after prune runs"
