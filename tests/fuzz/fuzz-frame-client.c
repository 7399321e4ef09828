// libFuzzer: the frame decoder in the client role (frames from a server).
#define ROLE FRAME_ROLE_CLIENT
#include "fuzz-frame.h"
