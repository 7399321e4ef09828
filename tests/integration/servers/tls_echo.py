"""python3-websockets echo server over TLS (wss) on 127.0.0.1:0; prints its
port. argv: [--host HOST] CERT KEY [CLIENT_CA] - with CLIENT_CA, a client
certificate signed by it is required (ssl.CERT_REQUIRED); --host listens on
HOST (e.g. ::1) instead of 127.0.0.1."""
import asyncio
import ssl
import sys

import websockets


async def echo(ws, path):
    try:
        async for m in ws:
            await ws.send(m)
    except websockets.ConnectionClosed:
        pass


async def main():
    host = "127.0.0.1"
    if sys.argv[1] == "--host":
        host = sys.argv[2]
        del sys.argv[1:3]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    if len(sys.argv) > 3:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(sys.argv[3])
    async with websockets.serve(echo, host, 0, ssl=ctx,
                                max_size=None) as s:
        print(s.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main())
