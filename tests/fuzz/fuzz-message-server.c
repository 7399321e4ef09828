// libFuzzer: the message layer in the server role (frames from a client).
#define ROLE FRAME_ROLE_SERVER
#include "fuzz-message.h"
