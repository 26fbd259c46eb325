#!/usr/bin/env python3
"""Python `websockets` peer for hybi's interop tests (see ../doc.go).

    peer.py server MODE        listen on 127.0.0.1, print {"event":"listening","port":N}
    peer.py client URL MODE    run the client script against a hybi server at URL

MODE is "plain", or "deflate" to negotiate permessage-deflate.

Every line on stdout is one JSON event; the Go test reads them.
"""

import asyncio
import json
import os
import sys

import websockets
from websockets.exceptions import ConnectionClosed

SUBPROTOCOL = "interop.v1"
SIZES = [0, 125, 126, 65535, 65536, 1 << 20]
TIMEOUT = 10
COMPRESSION = None  # set from MODE: None or "deflate"


def emit(**event):
    print(json.dumps(event), flush=True)


def closed_event(path, exc):
    # The close handshake completed when a close frame went each way.
    emit(event="closed", path=path,
         code=exc.rcvd.code if exc.rcvd else 1006,
         reason=exc.rcvd.reason if exc.rcvd else "",
         clean=exc.rcvd is not None and exc.sent is not None)


def request_path(conn, path):
    if path is not None:
        return path
    if hasattr(conn, "request"):  # websockets >= 13 (new asyncio API)
        return conn.request.path
    return conn.path


async def ping_peer(conn):
    waiter = await conn.ping(b"peer-ping")
    await asyncio.wait_for(waiter, TIMEOUT)


# ---- server: echo, plus commands -----------------------------------------

async def handler(conn, path=None):
    path = request_path(conn, path)
    while True:
        try:
            msg = await conn.recv()
        except ConnectionClosed as exc:
            closed_event(path, exc)
            return
        if isinstance(msg, str) and msg == "cmd:ping":
            await ping_peer(conn)
            await conn.send("pong-received")
        elif isinstance(msg, str) and msg.startswith("cmd:close "):
            _, code, reason = msg.split(" ", 2)
            await conn.close(int(code), reason)
        else:
            await conn.send(msg)


async def server():
    async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=[SUBPROTOCOL],
                                max_size=2 << 20, ping_interval=None,
                                compression=COMPRESSION) as srv:
        port = next(iter(srv.sockets)).getsockname()[1]
        emit(event="listening", port=port)
        # Serve until the test closes stdin.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


# ---- client: the scripted conversation ------------------------------------

def payload(kind, size):
    if kind == "text":
        return ("abcdefghijklmnopqrstuvwxyz0123456789" * (size // 36 + 1))[:size]
    return os.urandom(size)


async def connect(url):
    conn = await websockets.connect(url, subprotocols=["nope.v0", SUBPROTOCOL],
                                    max_size=2 << 20, ping_interval=None,
                                    compression=COMPRESSION)
    if conn.subprotocol != SUBPROTOCOL:
        raise AssertionError(f"subprotocol {conn.subprotocol!r}, want {SUBPROTOCOL!r}")
    return conn


async def wait_closed(conn, path):
    try:
        msg = await asyncio.wait_for(conn.recv(), TIMEOUT)
        raise AssertionError(f"{path}: got {msg!r}, want the close")
    except ConnectionClosed as exc:
        closed_event(path, exc)


async def client(base):
    # 1. echoes, pings both ways, then we close.
    conn = await connect(base + "/echo")
    for size in SIZES:
        for kind in ("text", "binary"):
            sent = payload(kind, size)
            await conn.send(sent)
            got = await asyncio.wait_for(conn.recv(), TIMEOUT)
            if type(got) is not type(sent) or got != sent:
                raise AssertionError(f"echo of {kind} {size}: got {type(got).__name__} of {len(got)}")
            emit(event="echo", kind=kind, size=size)
    await ping_peer(conn)
    emit(event="pong")
    await conn.send("cmd:ping")
    got = await asyncio.wait_for(conn.recv(), TIMEOUT)
    if got != "pong-received":
        raise AssertionError(f"after cmd:ping got {got!r}")
    emit(event="pinged")
    await conn.close(4001, "bye from peer")
    await wait_closed(conn, "/echo")

    # 2. the server closes.
    conn = await connect(base + "/server-closes")
    await conn.send("cmd:close 4002 bye from hybi")
    await wait_closed(conn, "/server-closes")


def main():
    global COMPRESSION
    args = sys.argv[1:]
    if args and args[-1] in ("plain", "deflate"):
        COMPRESSION = "deflate" if args.pop() == "deflate" else None
    if args == ["server"]:
        asyncio.run(server())
    elif len(args) == 2 and args[0] == "client":
        try:
            asyncio.run(client(args[1].rstrip("/")))
        except Exception as exc:  # report, then fail
            emit(event="error", msg=f"{type(exc).__name__}: {exc}")
            sys.exit(1)
        emit(event="done")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
