"""python3-websockets server on 127.0.0.1:0 with permessage-deflate; prints
its port. argv: SIZE. Each connection is sent one binary message of SIZE
random bytes (incompressible: its compressed payload is longer than the
message), then the server prints the code of the client's Close as a line
("close 1000") and waits for the next connection."""
import asyncio
import os
import sys

import websockets


async def send(ws, path):
    size = int(sys.argv[1])
    try:
        await ws.send(os.urandom(size))
        await ws.wait_closed()
    finally:
        print("close %s" % ws.close_code, flush=True)


async def main():
    async with websockets.serve(send, "127.0.0.1", 0, max_size=None,
                                compression="deflate") as s:
        print(s.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main())
