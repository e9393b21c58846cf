#!/usr/bin/env bash
# The uploader cuts blobs as each registry needs: one PUT by default, 8 MiB PATCHes for ECR
# (parts of 5 to 10 MiB) and 4 MiB for GHCR, both for blobs of known digest and for blobs
# produced on the fly; the last bytes always ride in the final PUT. Each blob then reads back
# from the registry with the right digest.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

start_registry none
head -c $((12 << 20)) /dev/urandom >blob
want=$(sha256sum blob | cut -d' ' -f1)

patches() { grep -c "\"PATCH /v2/$1/blobs/uploads/" "$HOIST_TEST_REGISTRY_LOG" || true; }
for mode in known stream; do
    flag=()
    [[ $mode == stream ]] && flag=(--stream)
    for profile in default:0 ecr:1 ghcr:2; do
        name=${profile%:*}-$mode
        out=$("$HOIST" --upload-profile "${profile%:*}" debug upload "${flag[@]}" blob "$HOIST_TEST_REGISTRY/$name")
        expect_eq "$out" "sha256:$want $((12 << 20))" "upload $name"
        expect_eq "$(patches "$name")" "${profile#*:}" "PATCH requests of $name"
        got=$(curl -sf "http://$HOIST_TEST_REGISTRY/v2/$name/blobs/sha256:$want" | sha256sum | cut -d' ' -f1)
        expect_eq "$got" "$want" "blob $name read back"
    done
done
