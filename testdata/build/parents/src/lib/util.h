extern int util;
