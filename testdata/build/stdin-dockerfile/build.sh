"$HOIST" build -t "$image" -f - . <stdin.Dockerfile
