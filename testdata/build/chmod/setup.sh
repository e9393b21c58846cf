chmod 0700 tree/d
