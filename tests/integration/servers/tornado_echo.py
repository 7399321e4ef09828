"""python3-tornado echo server on 127.0.0.1:0; prints its port as its first
line. argv: [--deflate]: allow permessage-deflate (off unless given)."""
import asyncio
import socket
import sys

import tornado.web
import tornado.websocket
from tornado.httpserver import HTTPServer

DEFLATE = "--deflate" in sys.argv[1:]


class Echo(tornado.websocket.WebSocketHandler):
    def on_message(self, m):
        self.write_message(m, binary=isinstance(m, bytes))

    def get_compression_options(self):
        return {} if DEFLATE else None


async def main():
    app = tornado.web.Application([("/", Echo)],
                                  websocket_max_message_size=1 << 30)
    s = socket.socket()
    s.setblocking(False)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    HTTPServer(app, max_body_size=1 << 30).add_sockets([s])
    print(s.getsockname()[1], flush=True)
    await asyncio.Future()

asyncio.run(main())
