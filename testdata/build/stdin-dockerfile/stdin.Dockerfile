FROM e2e/busybox:1
COPY a.txt /srv/
CMD ["cat", "/srv/a.txt"]
