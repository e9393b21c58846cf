int util;
