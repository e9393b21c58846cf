as_mode "$HOIST" --progress plain build "${build_flags[@]}" -f Dockerfile.fill -t e2e/run-cache-fill:latest . || exit
as_mode "$HOIST" --progress plain build "${build_flags[@]}" -t "$image" . || exit
