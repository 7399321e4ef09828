"""python3-websockets echo server on 127.0.0.1:0; prints its port.
argv: [subprotocol ...] offered subprotocols it accepts."""
import asyncio
import sys

import websockets


async def echo(ws, path):
    try:
        async for m in ws:
            await ws.send(m)
    except websockets.ConnectionClosed:
        pass


async def main():
    protos = sys.argv[1:] or None
    async with websockets.serve(echo, "127.0.0.1", 0, max_size=None,
                                subprotocols=protos) as s:
        print(s.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main())
