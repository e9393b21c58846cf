cp /bin/busybox busybox
