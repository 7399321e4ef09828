// libFuzzer: the frame decoder in the server role (frames from a client).
#define ROLE FRAME_ROLE_SERVER
#include "fuzz-frame.h"
