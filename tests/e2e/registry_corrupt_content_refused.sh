# Content that does not match its digest is refused: with a layer, then the manifest, altered in
# the registry's storage (same size, other bytes), a pull and a copy fail with exit status 1 and a
# message naming the digest that did not match, and nothing of the image reaches the store or
# the layout: no image, no blob under the wrong name.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

# corrupt DIGEST: alters one byte of the blob's data file in the registry's storage, keeping its
# size: a byte in the middle of a layer, a digit of the first "size" in a manifest (still JSON,
# which the registry parses before serving it).
corrupt() {
    local hex=${1#sha256:} data
    data=$HOIST_TEST_STORAGE/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
    [[ -f $data ]] || fail "no $data"
    cp "$data" "$work/original"
    python3 - "$data" <<'PY'
import re, sys
with open(sys.argv[1], "r+b") as f:
    data = bytearray(f.read())
    if data.startswith(b"{"):
        at = re.search(rb'"size":\s*[0-9]', data).end() - 1
        data[at] = ord("0") + (data[at] - ord("0") + 1) % 10
    else:
        data[len(data) // 2] ^= 0xFF
    f.seek(0)
    f.write(data)
PY
    ! cmp -s "$data" "$work/original" || fail "$data did not change"
    expect_eq "$(stat -c %s "$data")" "$(stat -c %s "$work/original")" "size of the altered $hex"
}

make_umoci_image src v1
want=$(layout_digest src v1)
layer=$(skopeo inspect --raw oci:src:v1 | jq -r '.layers[0].digest')
start_registry basic
creds=(--creds "$HOIST_TEST_CREDS")
r=$HOIST_TEST_REGISTRY
"$HOIST" copy -q "${creds[@]}" oci:src:v1 "docker://$r/e2e/app:1" >/dev/null

# A layer whose bytes are not its digest's.
corrupt "$layer"
actual=sha256:$(sha256sum "$HOIST_TEST_STORAGE/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data" |
    cut -d' ' -f1)
expect_error 1 "hoist: pull $r/e2e/app:1: manifest $want: blob $layer: content has digest $actual" \
    "$HOIST" pull -q "${creds[@]}" "$r/e2e/app:1"
expect_error 1 "hoist: copy docker://$r/e2e/app:1 oci:out:v1: manifest $want: blob $layer: content has digest $actual" \
    "$HOIST" copy -q "${creds[@]}" "docker://$r/e2e/app:1" oci:out:v1
expect_error 1 "hoist: inspect local:$r/e2e/app:1: no such image: $r/e2e/app:1" "$HOIST" inspect "local:$r/e2e/app:1"
for dir in "$HOIST_ROOT" out; do
    [[ ! -e $dir/blobs/sha256/${layer#sha256:} ]] || fail "the corrupt layer in $dir"
    [[ ! -e $dir/blobs/sha256/${actual#sha256:} ]] || fail "the corrupt layer in $dir under its own digest"
    [[ ! -e $dir/blobs/sha256/${want#sha256:} ]] || fail "the manifest in $dir"
    expect_blobs_intact "$dir"
done
[[ ! -e out/index.json ]] || expect_eq "$(jq '.manifests | length' out/index.json)" 0 "images in the layout"
cp "$work/original" "$HOIST_TEST_STORAGE/docker/registry/v2/blobs/sha256/${layer:7:2}/${layer#sha256:}/data"

# A manifest whose bytes are not its digest's: refused by tag (the registry's digest header
# names it) and by digest.
corrupt "$want"
manifest=$HOIST_TEST_STORAGE/docker/registry/v2/blobs/sha256/${want:7:2}/${want#sha256:}/data
actual=sha256:$(sha256sum "$manifest" | cut -d' ' -f1)
expect_error 1 "hoist: pull $r/e2e/app@$want: manifest $want: blob $want: content has digest $actual, not $want" \
    "$HOIST" pull -q "${creds[@]}" "$r/e2e/app@$want"
expect_error 1 "hoist: pull $r/e2e/app:1: manifest $want: blob $want: content has digest $actual, not $want" \
    "$HOIST" pull -q "${creds[@]}" "$r/e2e/app:1"
expect_error 1 "hoist: inspect docker://$r/e2e/app@$want: blob $want: content has digest $actual, not $want" \
    "$HOIST" inspect --raw "${creds[@]}" "docker://$r/e2e/app@$want"
expect_error 1 "hoist: inspect local:$r/e2e/app:1: no such image: $r/e2e/app:1" "$HOIST" inspect "local:$r/e2e/app:1"
[[ ! -e $HOIST_ROOT/blobs/sha256/${actual#sha256:} ]] || fail "the corrupt manifest in the store"
expect_blobs_intact "$HOIST_ROOT"
