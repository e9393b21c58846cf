# DESIGN.md's workflow 1 against a local registry with basic auth: a second Dockerfile in a
# sub-folder built with `hoist build -t app-sync:dev sync/`, tagged for the registry, pushed,
# then pulled into a fresh store: the same manifest digest everywhere, the same tree.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/build.bash"

make_busybox_base e2e/busybox:1
start_registry basic
remote=$HOIST_TEST_REGISTRY/app:sync

# The repository: a main Dockerfile at the top, the sync service's own in sync/.
mkdir -p repo/sync/bin
printf 'FROM e2e/busybox:1\nCOPY . /wrong-dockerfile/\n' >repo/Dockerfile
printf 'FROM e2e/busybox:1\nCOPY bin/ /usr/local/bin/\nENTRYPOINT ["/usr/local/bin/sync"]\n' >repo/sync/Dockerfile
printf '#!/bin/sh\necho syncing\n' >repo/sync/bin/sync
chmod 0755 repo/sync/bin/sync

cd repo
"$HOIST" -q build -t app-sync:dev sync/ >/dev/null
cd "$work"
built=$("$HOIST" inspect local:app-sync:dev | jq -r .Digest)
expect_eq "$("$HOIST" inspect local:docker.io/library/app-sync:dev | jq -r .Digest)" "$built" \
    "app-sync:dev normalised to docker.io/library/app-sync:dev"
expect_eq "$("$HOIST" inspect --config local:app-sync:dev | jq -c .config.Entrypoint)" '["/usr/local/bin/sync"]' \
    "entrypoint from sync/Dockerfile"
tree=$(image_tree app-sync:dev)
grep -q '^usr/local/bin/sync 0o100000 0o755 0:0 ' <<<"$tree" || fail "no /usr/local/bin/sync 0755 in: $tree"
! grep -q '^wrong-dockerfile' <<<"$tree" || fail "the top Dockerfile was built instead of sync/Dockerfile"

"$HOIST" tag app-sync:dev "$remote"
expect_eq "$("$HOIST" inspect "local:$remote" | jq -r .Digest)" "$built" "digest of the tagged name"
status=0
"$HOIST" push "$remote" >/dev/null 2>push-anonymous.err || status=$?
[[ $status == 1 ]] || fail "a push without credentials to a basic-auth registry exited $status"
"$HOIST" --creds "$HOIST_TEST_CREDS" push "$remote" >/dev/null
expect_eq "$(skopeo inspect --tls-verify=false --creds "$HOIST_TEST_CREDS" "docker://$remote" | jq -r .Digest)" \
    "$built" "digest in the registry (skopeo)"

# Pulled back into a fresh store: the same digest and tree.
export HOIST_ROOT=$work/store-2
"$HOIST" --creds "$HOIST_TEST_CREDS" pull "$remote" >/dev/null
expect_eq "$("$HOIST" inspect "local:$remote" | jq -r .Digest)" "$built" "digest pulled into a fresh store"
expect_eq "$(image_tree "$remote")" "$tree" "tree of the pulled image"
