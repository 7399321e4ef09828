"""python3-aiohttp echo server on 127.0.0.1:0; prints its port as its first
line. argv: [--deflate]: allow permessage-deflate (off unless given)."""
import asyncio
import socket
import sys

from aiohttp import web, WSMsgType

DEFLATE = "--deflate" in sys.argv[1:]


async def echo(request):
    ws = web.WebSocketResponse(max_msg_size=0, compress=DEFLATE)
    await ws.prepare(request)
    async for m in ws:
        if m.type == WSMsgType.TEXT:
            await ws.send_str(m.data)
        elif m.type == WSMsgType.BINARY:
            await ws.send_bytes(m.data)
    return ws


async def main():
    app = web.Application()
    app.router.add_get("/", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, s)
    await site.start()
    print(s.getsockname()[1], flush=True)
    await asyncio.Future()

asyncio.run(main())
