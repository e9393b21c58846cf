chmod 0700 foo1 foo1/foo2
