chmod 0700 files/sub
