# DESIGN.md's workflow 5 end to end, offline, against a local registry with basic auth: build an
# app image with a version, run its test suite inside it with `hoist run` (a failing suite makes
# hoist run exit with the suite's status), tag it dev, push it, promote dev to prod by a registry
# retag (hoist tag docker://...:dev prod: no blob goes up again, only the manifest), then pull
# dev and prod into a fresh store: the same digest, and the pulled image runs.
source "$(dirname "$0")/lib/common.bash"
source "$lib_dir/registry.bash"
source "$lib_dir/build.bash"

make_busybox_base e2e/busybox:1
start_registry basic
registry=$HOIST_TEST_REGISTRY
export REGISTRY_AUTH_FILE=$work/auth.json
printf '%s' "${HOIST_TEST_CREDS#*:}" | "$HOIST" login "$registry" -u "${HOIST_TEST_CREDS%%:*}" --password-stdin >/dev/null

# The app: a tool, its tests, built with its version baked in by a RUN.
mkdir -p app/bin app/tests
printf '#!/bin/sh\necho "$(($1 + $2))"\n' >app/bin/add
printf '#!/bin/sh\nset -e\n[ "$(add 2 3)" = 5 ] || { echo "add 2 3 failed"; exit 1; }\n[ "$(cat /etc/app-version)" = "$1" ] || { echo "wrong version"; exit 2; }\necho "all tests passed"\n' >app/tests/run.sh
chmod 0755 app/bin/add app/tests/run.sh
cat >app/Dockerfile <<'DOCKERFILE'
FROM e2e/busybox:1
ARG VERSION
COPY bin/ /usr/local/bin/
COPY tests/ /opt/tests/
RUN echo "$VERSION" > /etc/app-version && /bin/busybox --install -s /usr/local/bin
ENTRYPOINT ["/usr/local/bin/add"]
DOCKERFILE
"$HOIST" -q build --build-arg VERSION=1.4.2 -t app:1.4.2 app >/dev/null

# The test suite inside the image, over its ENTRYPOINT; then a suite that fails.
expect_eq "$("$HOIST" run --rm --entrypoint /opt/tests/run.sh app:1.4.2 1.4.2)" "all tests passed" "the test suite"
status=0
"$HOIST" run --rm --entrypoint /opt/tests/run.sh app:1.4.2 9.9.9 >suite.out 2>&1 || status=$?
expect_eq "$status" 2 "hoist run's status for a failing suite"
expect_eq "$(cat suite.out)" "wrong version" "a failing suite's output"
expect_eq "$("$HOIST" run app:1.4.2 20 22)" 42 "the entrypoint with arguments"

# Tag dev, push, promote dev to prod in the registry.
"$HOIST" tag app:1.4.2 "$registry/app:dev"
"$HOIST" -q push "$registry/app:dev" >/dev/null
built=$("$HOIST" inspect "local:$registry/app:dev" | jq -r .Digest)
log_lines=$(wc -l <"$HOIST_TEST_REGISTRY_LOG")
"$HOIST" tag "docker://$registry/app:dev" prod >/dev/null
hoist_requests "$log_lines" >promote.requests
! grep -E '^(POST|PATCH|PUT) .*/blobs/' promote.requests || fail "the promotion uploaded blobs: $(cat promote.requests)"
grep -qE '^PUT /v2/app/manifests/prod 201$' promote.requests || fail "no manifest PUT for prod: $(cat promote.requests)"
expect_eq "$(skopeo inspect --tls-verify=false --creds "$HOIST_TEST_CREDS" "docker://$registry/app:prod" | jq -r .Digest)" \
    "$built" "prod's digest in the registry"

# Developers pull dev and prod back into a fresh store; both are the image built, and run.
export HOIST_ROOT=$work/store-developer
"$HOIST" -q pull "$registry/app:dev" >/dev/null
"$HOIST" -q pull "$registry/app:prod" >/dev/null
expect_eq "$("$HOIST" inspect "local:$registry/app:dev" | jq -r .Digest)" "$built" "dev pulled back"
expect_eq "$("$HOIST" inspect "local:$registry/app:prod" | jq -r .Digest)" "$built" "prod pulled back"
expect_eq "$("$HOIST" run --rm --entrypoint /opt/tests/run.sh "$registry/app:prod" 1.4.2)" "all tests passed" \
    "the test suite in the pulled prod image"
