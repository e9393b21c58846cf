# Same inputs, same digest: a Dockerfile with COPY and RUN built in two fresh stores at different
# paths, a second apart, one with --jobs 1 and umask 022 and one with --jobs 8 and umask 077,
# gives the same manifest digest with SOURCE_DATE_EPOCH set, with --source-date-epoch, and with
# --reproducible (epoch 0); and
# --offline builds from a local base inside a network namespace with no interfaces (unshare -n),
# but fails at once, naming the reference, when a base is not in the store.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/build.bash"
[[ $(id -u) == 0 ]] || { echo "skip: needs root for unshare -n"; exit 77; }

mkdir -p ctx/src
echo "source file" >ctx/src/a.txt
printf 'FROM e2e/busybox:1\nCOPY src/ /app/\nRUN mkdir -p /out && cp -r /app /out/ && echo built > /out/flag\n' >ctx/Dockerfile

# build_in DIR JOBS FLAGS...: a fresh store in DIR with the busybox base (imported
# reproducibly too), the build; its digest.
build_in() {
    local dir=$1 jobs=$2
    shift 2
    export HOIST_ROOT=$work/$dir
    SOURCE_DATE_EPOCH=1600000000 make_busybox_base e2e/busybox:1 >/dev/null
    (umask "${build_umask:-022}" && "$HOIST" --jobs "$jobs" -q build -t e2e/repro:1 "$@" ctx >/dev/null)
    "$HOIST" inspect local:e2e/repro:1 | jq -r .Digest
}

first=$(SOURCE_DATE_EPOCH=1700000000 build_in stores/a 1)
sleep 1
second=$(build_umask=077 SOURCE_DATE_EPOCH=1700000000 build_in other/place/b 8)
expect_eq "$second" "$first" "digest with SOURCE_DATE_EPOCH in two stores"
expect_eq "$(build_in flag 8 --source-date-epoch 1700000000)" "$first" "digest with --source-date-epoch"
zero=$(build_in reproducible-1 1 --reproducible)
sleep 1
expect_eq "$(build_in reproducible-2 8 --reproducible)" "$zero" "digest with --reproducible"
[[ $zero != "$first" ]] || fail "epoch 0 and 1700000000 gave the same digest"
export HOIST_ROOT=$work/reproducible-2
expect_eq "$("$HOIST" inspect --config local:e2e/repro:1 | jq -r .created)" "1970-01-01T00:00:00Z" \
    "--reproducible's created time"

# Offline, in a network namespace with nothing but a down loopback (the last store has the base):
# with --offline, and without it (all inputs are local, so no connection is tried).
expect_eq "$(unshare -n "$HOIST" -q build --offline -t e2e/offline:1 ctx >/dev/null && echo built)" built \
    "an --offline build from a local base without a network"
expect_eq "$(unshare -n "$HOIST" -q build --no-cache -t e2e/offline:2 ctx >/dev/null && echo built)" built \
    "a build from a local base without a network and without --offline"
printf 'FROM e2e/not-here:1\nRUN true\n' >ctx/Dockerfile
status=0
unshare -n "$HOIST" -q build --offline ctx >stdout 2>stderr || status=$?
expect_eq "$status" 1 "exit status of an --offline build whose base is not local"
expect_eq "$(head -n 1 stderr)" \
    "hoist: build: Dockerfile:1:1: FROM e2e/not-here:1: --offline: docker.io/e2e/not-here:1 is not in the store" \
    "an --offline build whose base is not local"

# Offline from an OCI layout (--build-context NAME=oci-layout://DIR:TAG, or @DIGEST), in a fresh
# store that has no base at all.
"$HOIST" copy -q local:e2e/busybox:1 "oci:$work/base-layout:v1" >/dev/null
base_digest=$(jq -r '.manifests[0].digest' base-layout/index.json)
printf 'FROM base\nRUN echo from-layout > /flag\nCOPY --from=base /etc/passwd /copied\n' >ctx/Dockerfile
export HOIST_ROOT=$work/layout-store
for context in "oci-layout://$work/base-layout:v1" "oci-layout://$work/base-layout@$base_digest"; do
    unshare -n "$HOIST" -q build --offline --build-context "base=$context" -t e2e/from-layout:1 ctx >/dev/null ||
        fail "an --offline build with --build-context base=$context"
    expect_eq "$("$HOIST" run --rm e2e/from-layout:1 busybox cat /flag)" from-layout \
        "the image built from $context"
done
expect_error 1 "hoist: build: Dockerfile:1:1: FROM base: --build-context base=oci-layout://$work/base-layout:v2: no image named v2 in $work/base-layout
FROM base
^" unshare -n "$HOIST" -q build --offline --build-context "base=oci-layout://$work/base-layout:v2" ctx
