# DESIGN.md's workflow 2 against a local registry: one Dockerfile with `ARG ENTRYPOINT` built
# with --build-arg ENTRYPOINT=web|indexer|ingester|deployment and --push into 4 tags of one
# repository. The first push uploads every blob; each later one uploads only what differs (the
# entrypoint layer and the config), as the registry's access log shows: the base and the
# application layer, identical in the 4 builds, are only HEADed.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/build.bash"

make_busybox_base e2e/busybox:1
start_registry basic
mkdir -p ctx/app ctx/entrypoints
for i in 1 2 3; do head -c 200000 /dev/urandom | base64 >"ctx/app/module$i.txt"; done
for role in web indexer ingester deployment; do
    printf '#!/bin/sh\nexec echo %s "$@"\n' "$role" >"ctx/entrypoints/$role.sh"
done
chmod 0755 ctx/entrypoints/*.sh
cat >ctx/Dockerfile <<'DOCKERFILE'
FROM e2e/busybox:1
COPY app/ /srv/app/
ARG ENTRYPOINT
COPY entrypoints/${ENTRYPOINT}.sh /usr/local/bin/entrypoint
ENV ROLE=${ENTRYPOINT}
ENTRYPOINT ["/usr/local/bin/entrypoint"]
DOCKERFILE

declare -A layers
first=1
for role in web indexer ingester deployment; do
    remote=$HOIST_TEST_REGISTRY/app:$role
    sleep 0.2  # the registry writes an access log line just after its answer
    mark=$(wc -l <"$HOIST_TEST_REGISTRY_LOG")
    "$HOIST" --creds "$HOIST_TEST_CREDS" --progress plain build --push -t "$remote" \
        --build-arg "ENTRYPOINT=$role" ctx >/dev/null 2>"$role.log" || { cat "$role.log" >&2; fail "build of $role"; }
    sleep 0.2
    hoist_requests "$mark" >"$role.requests"
    uploads=$(grep -c '^POST /v2/app/blobs/uploads/' "$role.requests" || true)
    config=$(skopeo inspect --tls-verify=false --creds "$HOIST_TEST_CREDS" --config "docker://$remote")
    expect_eq "$(jq -r '.config.Env | map(select(startswith("ROLE="))) | .[0]' <<<"$config")" "ROLE=$role" "$role: ROLE"
    layers[$role]=$(skopeo inspect --tls-verify=false --creds "$HOIST_TEST_CREDS" "docker://$remote" | jq -r '.Layers | join(" ")')
    expect_eq "$(wc -w <<<"${layers[$role]}")" 3 "$role: layers in the registry"
    if ((first)); then
        expect_eq "$uploads" 4 "$role (first push): blob uploads (3 layers and the config)"
        first=0
    else
        # The base and application layers are the same blobs as in the web image.
        expect_eq "$(cut -d' ' -f1-2 <<<"${layers[$role]}")" "$(cut -d' ' -f1-2 <<<"${layers[web]}")" \
            "$role: base and application layers equal to web's"
        expect_eq "$uploads" 2 "$role: blob uploads (the entrypoint layer and the config only)"
    fi
    expect_eq "$("$HOIST" inspect "local:$remote" | jq -r .Digest)" \
        "$(skopeo inspect --tls-verify=false --creds "$HOIST_TEST_CREDS" "docker://$remote" | jq -r .Digest)" \
        "$role: digest in the store and in the registry"
done
