// libFuzzer: the message layer in the client role (frames from a server).
#define ROLE FRAME_ROLE_CLIENT
#include "fuzz-message.h"
