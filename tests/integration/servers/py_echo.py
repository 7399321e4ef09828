"""An echo server on 127.0.0.1:0 from one of the Python WebSocket libraries
Debian ships; prints its port as its first line.
argv: websockets|aiohttp|tornado [DELAY_SECS]: wait DELAY before each echo
(websockets only)."""
import asyncio
import sys

KIND = sys.argv[1]
DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0


async def serve_websockets():
    import websockets

    async def echo(ws, path):
        try:
            async for m in ws:
                if DELAY:
                    await asyncio.sleep(DELAY)
                await ws.send(m)
        except websockets.ConnectionClosed:
            pass

    async with websockets.serve(echo, "127.0.0.1", 0, max_size=None) as s:
        print(s.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


async def serve_aiohttp():
    from aiohttp import web, WSMsgType

    async def handler(request):
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type == WSMsgType.BINARY:
                await ws.send_bytes(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Future()


async def serve_tornado():
    import tornado.web
    import tornado.websocket

    class Echo(tornado.websocket.WebSocketHandler):
        def on_message(self, message):
            self.write_message(message, binary=isinstance(message, bytes))

    app = tornado.web.Application([("/", Echo)],
                                  websocket_max_message_size=1 << 30)
    server = app.listen(0, "127.0.0.1", max_body_size=1 << 30)
    sock = next(iter(server._sockets.values()))
    print(sock.getsockname()[1], flush=True)
    await asyncio.Future()


asyncio.run({"websockets": serve_websockets, "aiohttp": serve_aiohttp,
             "tornado": serve_tornado}[KIND]())
