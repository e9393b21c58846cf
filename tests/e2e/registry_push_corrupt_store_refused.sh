#!/usr/bin/env bash
# A blob that went bad in the local store is not pushed: hoist leaves the digest check of a push
# to the registry (hashing twice on one machine slows the push), the registry refuses the content
# on the final PUT, and hoist reports the mismatch; no manifest reaches the registry.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

start_registry none
make_umoci_image src 1
"$HOIST" copy -q oci:src:1 local:app:1 >/dev/null
layer=$("$HOIST" inspect local:app:1 | jq -r '.Layers[-1]')
blob=$HOIST_ROOT/blobs/sha256/${layer#sha256:}
size=$(stat -c %s "$blob")
chmod u+w "$blob"
head -c "$size" /dev/zero >"$blob"  # same size, other bytes

status=0
"$HOIST" push -q app:1 "$HOIST_TEST_REGISTRY/app:1" >out 2>err || status=$?
expect_eq "$status" 1 "exit status of a push of a corrupt blob"
grep -q "blob $layer: 400 DIGEST_INVALID" err || fail "no digest mismatch reported: $(cat err)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$HOIST_TEST_REGISTRY/v2/app/manifests/1")
expect_eq "$code" 404 "the manifest at the registry"
code=$(curl -s -o /dev/null -w '%{http_code}' -I "http://$HOIST_TEST_REGISTRY/v2/app/blobs/$layer")
expect_eq "$code" 404 "the corrupt layer at the registry"
