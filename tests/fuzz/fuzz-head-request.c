// libFuzzer: the HTTP head parser on requests, and the server's checks.
#define REQUEST true
#include "fuzz-head.h"
