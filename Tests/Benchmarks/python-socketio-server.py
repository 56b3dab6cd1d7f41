"""python-socketio server with the gateway's bench events, for Tests/Benchmarks/socketio-vs-python.sh.

Deployment: socketio.AsyncServer on aiohttp (aiohttp's own WebSocket implementation, C-accelerated frame reader) with
the uvloop event loop, one process: of python-socketio's documented asyncio deployments (aiohttp, ASGI on uvicorn,
Tornado, Sanic) the one that needs no extra WebSocket library between the server and the socket.
Events on namespace '/': echo (ack with the same arguments), join (join the room named by the first argument, ack),
broadcast {room, payload} (emit 'bcast' with payload to the room).
Usage: python-socketio-server.py PORT
"""
import sys

import socketio
import uvloop
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=None)
app = web.Application()
sio.attach(app, socketio_path="/socket.io/")


@sio.on("echo")
async def echo(sid, *args):
    return args


@sio.on("join")
async def join(sid, room, *rest):
    await sio.enter_room(sid, room)
    return None


@sio.on("broadcast")
async def broadcast(sid, request):
    await sio.emit("bcast", request.get("payload"), to=request["room"])


if __name__ == "__main__":
    uvloop.install()
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
