# A docker-credential helper named in config.json is what hoist asks for the registry's
# credentials: through credHelpers (per registry) and through credsStore (the default helper),
# push and pull work with token and basic auth, the helper's log shows hoist's `get` for the
# registry, and the secret it handed out appears nowhere in hoist's output.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"

unset REGISTRY_AUTH_FILE
export DOCKER_CONFIG=$work/docker
mkdir -p "$DOCKER_CONFIG" bin
export PATH=$work/bin:$PATH
export HELPER_LOG=$work/helper.log HELPER_SECRETS=$work/secrets
registry_credential_files+=("$HELPER_SECRETS")  # the fake helper's store

# docker-credential-test: the docker-credential protocol over $HELPER_SECRETS (lines "SERVER
# USER PASSWORD"), logging "ACTION SERVER" lines.
cat >bin/docker-credential-test <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
server=$(cat)
echo "$1 $server" >>"$HELPER_LOG"
[[ $1 == get ]] || { echo "unsupported action $1" >&2; exit 1; }
while read -r name user password; do
    if [[ $name == "$server" ]]; then
        printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "$server" "$user" "$password"
        exit 0
    fi
done <"$HELPER_SECRETS"
echo "credentials not found in native keychain"
exit 1
EOF
chmod +x bin/docker-credential-test

make_umoci_image src v1
want=$(layout_digest src v1)
"$HOIST" copy -q oci:src:v1 local:e2e/app:1 >/dev/null

n=0
for mode in token basic; do
    start_registry "$mode"
    r=$HOIST_TEST_REGISTRY
    echo "$r $HOIST_TEST_USER $HOIST_TEST_PASSWORD" >"$HELPER_SECRETS"
    for config in "{\"credHelpers\": {\"$r\": \"test\"}}" '{"credsStore": "test"}'; do
        what="$mode, $config"
        echo "$config" >"$DOCKER_CONFIG/config.json"
        : >"$HELPER_LOG"
        tag=$((++n))
        "$HOIST" push --progress plain e2e/app:1 "$r/e2e/app:$tag" >out.txt 2>&1 || {
            cat out.txt >&2
            fail "$what: push through the helper"
        }
        HOIST_ROOT=$work/pulled-$tag "$HOIST" pull --progress plain "$r/e2e/app:$tag" >>out.txt 2>&1 || {
            cat out.txt >&2
            fail "$what: pull through the helper"
        }
        expect_eq "$(HOIST_ROOT=$work/pulled-$tag "$HOIST" digest "local:$r/e2e/app:$tag")" "$want" \
            "$what: digest of the pulled image"
        expect_eq "$(sort -u "$HELPER_LOG")" "get $r" "$what: the helper's calls"
        if grep -F -e "$HOIST_TEST_PASSWORD" -e "$(printf %s "$HOIST_TEST_CREDS" | base64 -w0)" out.txt; then
            fail "$what: the secret in hoist's output"
        fi
    done

    # A helper that has nothing for the registry: hoist goes on anonymously and is refused.
    echo "other.example $HOIST_TEST_USER $HOIST_TEST_PASSWORD" >"$HELPER_SECRETS"
    if [[ $mode == basic ]]; then
        refused="401 (no credentials for $r: hoist login $r, or --creds)"
    else
        refused="token server $HOIST_TEST_TOKEN_REALM: 401 UNAUTHORIZED: anonymous access is refused (no credentials for $r: hoist login $r, or --creds)"
    fi
    expect_error 1 "hoist: pull $r/e2e/app:1: $refused" "$HOIST" pull -q "$r/e2e/app:1"
    stop_registry
done
