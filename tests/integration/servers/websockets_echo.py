"""python3-websockets echo server; prints its port as its first line.
argv: [--bind ADDRESS] [--tls CERT KEY] [--client-ca CA] [--delay SECS]
[subprotocol ...]
  --bind       the one address to listen on (127.0.0.1 unless given,
               e.g. ::1)
  --tls        wss: TLS with this certificate chain and key
  --client-ca  with --tls: a client certificate signed by CA is required
  --delay      wait SECS before each echo
  subprotocol  offered subprotocols it accepts
permessage-deflate is allowed (the library's default)."""
import argparse
import asyncio
import ssl

import websockets


def options():
    p = argparse.ArgumentParser()
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--client-ca")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("subprotocols", nargs="*")
    return p.parse_args()


def tls_context(opts):
    if not opts.tls:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*opts.tls)
    if opts.client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(opts.client_ca)
    return ctx


async def main(opts):
    async def echo(ws, path):
        try:
            async for m in ws:
                if opts.delay:
                    await asyncio.sleep(opts.delay)
                await ws.send(m)
        except websockets.ConnectionClosed:
            pass

    async with websockets.serve(echo, opts.bind, 0, ssl=tls_context(opts),
                                max_size=None,
                                subprotocols=opts.subprotocols or None) as s:
        print(s.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main(options()))
