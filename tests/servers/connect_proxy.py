#!/usr/bin/env python3
"""A minimal HTTP CONNECT proxy for the Windows host's `Proxy = "system"` scenario
(.ci/package/run-hosts.sh). Standard library only; loopback only.

    python3 tests/servers/connect_proxy.py      # prints "LISTENING <port>", then a line per tunnel

Any host name ending in `.invalid` is opened as 127.0.0.1: such a name resolves nowhere else, so
a client that reaches a server by it went through this proxy. Exits when stdin closes.
"""
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    method, target = (head.split(b"\r\n", 1)[0].split(b" ") + [b"", b""])[:2]
    host, _, port = target.decode("ascii", "replace").rpartition(":")
    if method != b"CONNECT" or not port.isdigit():
        writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        writer.close()
        return
    print(f"CONNECT {host}:{port}", flush=True)
    dial = "127.0.0.1" if host.endswith(".invalid") else host
    try:
        up_reader, up_writer = await asyncio.open_connection(dial, int(port))
    except OSError:
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
        writer.close()
        return
    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await writer.drain()
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(f"LISTENING {server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    # Ends with its stdin, so a killed test run never leaves it behind.
    await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
