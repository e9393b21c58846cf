# The base image, with ONBUILD triggers, built from this same context.
"$HOIST" -q build -t e2e/onbuild-base:1 -f base.Dockerfile . >/dev/null
