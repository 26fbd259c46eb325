#!/usr/bin/env python3
"""Python `websockets` echo client for hybi's broadcast interop test.

    echo_client.py URL    connect to URL offering permessage-deflate (with
                          context takeover, websockets' default) and send
                          every message back as it was decoded, until the
                          server closes.
"""

import asyncio
import json
import sys

import websockets
from websockets.exceptions import ConnectionClosed


async def main(url):
    async with websockets.connect(url, max_size=4 << 20, ping_interval=None,
                                  compression="deflate") as conn:
        print(json.dumps({"event": "open"}), flush=True)
        try:
            while True:
                msg = await conn.recv()
                await conn.send(msg)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else 1006
            print(json.dumps({"event": "closed", "code": code}), flush=True)


asyncio.run(main(sys.argv[1]))
