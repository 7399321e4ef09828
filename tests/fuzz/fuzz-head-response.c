// libFuzzer: the HTTP head parser on responses, and the client's verdict.
#define REQUEST false
#include "fuzz-head.h"
