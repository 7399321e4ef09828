"""python3-websockets echo server on 127.0.0.1:0; prints its port.
argv: [--bind ADDRESS] [subprotocol ...]: the one address to listen on
(127.0.0.1 unless given, e.g. ::1), offered subprotocols it accepts."""
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
    args = sys.argv[1:]
    host = "127.0.0.1"
    if args[:1] == ["--bind"]:
        host, args = args[1], args[2:]
    protos = args or None
    async with websockets.serve(echo, host, 0, max_size=None,
                                subprotocols=protos) as s:
        print(s.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main())
