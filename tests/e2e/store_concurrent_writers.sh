# Several hoist processes writing into one store at once: every name lands, every blob is whole,
# and index.json stays valid.
source "$(dirname "$0")/lib/common.bash"

for tag in a b c; do
    make_umoci_image src "$tag"
done
pids=()
for round in 1 2; do
    for tag in a b c; do
        "$HOIST" copy "oci:src:$tag" "local:app:$tag-$round" >/dev/null &
        pids+=($!)
        "$HOIST" copy "oci:src:$tag" "local:shared:$round" >/dev/null &
        pids+=($!)
    done
done
for pid in "${pids[@]}"; do
    wait "$pid" || fail "a concurrent copy failed"
done

expect_eq "$("$HOIST" images | awk 'NR > 1 {print $1 ":" $2}' | tr '\n' ' ')" \
    "app:a-1 app:a-2 app:b-1 app:b-2 app:c-1 app:c-2 shared:1 shared:2 " "names in the store"
expect_blobs_intact "$HOIST_ROOT"
jq -e '.schemaVersion == 2' "$HOIST_ROOT/index.json" >/dev/null || fail "index.json is not valid"
for tag in a b c; do
    expect_eq "$(layout_digest "$HOIST_ROOT" "docker.io/library/app:$tag-1")" "$(layout_digest src "$tag")" "app:$tag-1"
done
