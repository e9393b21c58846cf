# The context as a tar on stdin, its Dockerfile inside.
tar --numeric-owner -cf - . | "$HOIST" build -t "$image" -
