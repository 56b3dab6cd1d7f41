"""python-socketio's AsyncClient against the gateway's interop fixture (`/interop/`), once per transport setting."""
import asyncio

import socketio

from harness import AFTER_EACH, case, check, wait_for

TRANSPORT_SETTINGS = {
    "polling": ["polling"],
    "websocket": ["websocket"],
    "upgrade": ["polling", "websocket"],
}


OPEN_CLIENTS = []


async def close_open_clients():
    while OPEN_CLIENTS:
        await OPEN_CLIENTS.pop().sio.disconnect()


AFTER_EACH.append(close_open_clients)


class Client:
    """One AsyncClient and what it received, event by event."""

    def __init__(self, url, transports, **options):
        OPEN_CLIENTS.append(self)
        self.url = url
        self.transports = transports
        self.sio = socketio.AsyncClient(reconnection_delay=0.2, reconnection_delay_max=0.5, **options)
        self.received = []
        self.connect_errors = []
        for namespace in ["/", "/private"]:
            self.sio.on("*", self._recorder(namespace), namespace=namespace)
            self.sio.on("connect_error", self._error_recorder(namespace), namespace=namespace)

    def _recorder(self, namespace):
        async def record(event, *args):
            self.received.append((namespace, event, args))
        return record

    def _error_recorder(self, namespace):
        async def record(data=None):
            self.connect_errors.append((namespace, data))
        return record

    async def connect(self, auth=None, namespaces=None):
        await self.sio.connect(self.url, socketio_path="interop", transports=self.transports, auth=auth,
                               namespaces=namespaces or ["/"], wait_timeout=5)
        if self.transports == ["polling", "websocket"]:
            await wait_for(lambda: self.sio.transport() == "websocket", "the upgrade to websocket")
        check(self.sio.transport() == self.transports[-1], f"transport {self.sio.transport()}, wanted {self.transports[-1]}")

    def events(self, name, namespace="/"):
        """The arguments of each `name` event, without the offset the server appends (recovery is on, as official);
        python-socketio does not know about offsets and leaves it in."""
        found = [args for ns, event, args in self.received if event == name and ns == namespace]
        for args in found:
            check(args and isinstance(args[-1], str), f"{name} without an offset: {args!r}")
        return [args[:-1] for args in found]

    async def close(self):
        await self.sio.disconnect()


def register(url):
    for label, transports in TRANSPORT_SETTINGS.items():
        _register_for(url, label, transports)


def _register_for(url, label, transports):
    @case(f"python-socketio {label}: connect with auth")
    async def connect_with_auth():
        client = Client(url, transports)
        await client.connect(auth={"token": "abc", "n": 1})
        await wait_for(lambda: client.events("auth"), "the auth event")
        check(client.events("auth")[0] == ({"token": "abc", "n": 1, "recovered": False},), f"auth: {client.events('auth')}")
        await client.close()

    @case(f"python-socketio {label}: emit with ack")
    async def emit_with_ack():
        client = Client(url, transports)
        await client.connect()
        reply = await client.sio.call("echo", ({"a": [1, 2.5, None, "é"]}, "x"), timeout=5)
        check(reply == ({"a": [1, 2.5, None, "é"]}, "x"), f"ack: {reply!r}")
        await client.close()

    @case(f"python-socketio {label}: binary both ways")
    async def binary_both_ways():
        client = Client(url, transports)
        await client.connect()
        blob = bytes(range(256)) * 40
        reply = await client.sio.call("echo", (blob, {"nested": [b"\x00\xff", "text"]}), timeout=5)
        check(reply == (blob, {"nested": [b"\x00\xff", "text"]}), f"binary ack: {reply!r:.200}")
        await client.sio.emit("binary-back", (b"\x01\x02\x03", "tag"))
        await wait_for(lambda: client.events("binary-back"), "the binary-back event")
        check(client.events("binary-back")[0] == (b"\x01\x02\x03", "tag"), f"binary event: {client.events('binary-back')}")
        await client.close()

    @case(f"python-socketio {label}: rooms")
    async def rooms():
        member, outsider = Client(url, transports), Client(url, transports)
        await member.connect()
        await outsider.connect()
        joined = await member.sio.call("join", "room-a", timeout=5)
        check(sorted(joined[0] if isinstance(joined, tuple) else joined) == sorted(["room-a", member.sio.get_sid()]),
              f"rooms after join: {joined}")
        await outsider.sio.call("to-room", ("room-a", "hello", b"\x07"), timeout=5)
        await wait_for(lambda: member.events("room-message"), "the room message")
        check(member.events("room-message")[0] == ("hello", b"\x07"), f"room message: {member.events('room-message')}")
        await asyncio.sleep(0.3)
        check(not outsider.events("room-message"), "the sender, outside the room, got the room message")
        await member.close()
        await outsider.close()

    @case(f"python-socketio {label}: namespace with auth middleware")
    async def namespace_allowed():
        client = Client(url, transports)
        await client.connect(auth={"token": "let-me-in"}, namespaces=["/private"])
        await wait_for(lambda: client.events("auth", "/private"), "the auth event on /private")
        reply = await client.sio.call("echo", "in private", namespace="/private", timeout=5)
        check(reply == "in private", f"ack on /private: {reply!r}")
        await client.close()

    @case(f"python-socketio {label}: namespace refused by middleware")
    async def namespace_refused():
        client = Client(url, transports)
        try:
            await client.connect(auth={"token": "wrong"}, namespaces=["/private"])
        except socketio.exceptions.ConnectionError:
            pass
        await wait_for(lambda: client.connect_errors, "connect_error")
        namespace, data = client.connect_errors[0]
        check(namespace == "/private", f"connect_error on {namespace}")
        check(data == {"message": "unauthorized", "data": {"reason": "bad token", "given": "wrong"}},
              f"connect_error data: {data!r}")
        check("/private" not in client.sio.namespaces, "the refused namespace is connected")
        await client.close()

    @case(f"python-socketio {label}: reconnection after a dropped transport")
    async def reconnection():
        # python-socketio's client (5.x) does not send pid/offset, so the server cannot recover its session: it
        # reconnects as a new socket (recovered false, its auth sent again), and must be fully usable again.
        client = Client(url, transports)
        await client.connect(auth={"token": "again"})
        await wait_for(lambda: client.events("auth"), "the auth event")
        first_sid = client.sio.get_sid()
        await drop_transport(client.sio)
        await wait_for(lambda: len(client.events("auth")) == 2, "the reconnection", timeout=10)
        check(client.events("auth")[1] == ({"token": "again", "recovered": False},), f"auth: {client.events('auth')}")
        check(client.sio.get_sid() != first_sid, "same sid after a reconnection without recovery")
        reply = await client.sio.call("echo", "after", timeout=5)
        check(reply == "after", f"ack after reconnection: {reply!r}")
        await client.close()


async def drop_transport(sio):
    """Breaks the Engine.IO transport under the client the way a network failure would (no Socket.IO DISCONNECT)."""
    eio = sio.eio
    if eio.current_transport == "websocket":
        await eio.ws.close()
    else:
        # The next long-poll goes to a session the server does not know: a 400, which the client takes as a failure.
        eio.base_url = eio.base_url.replace(f"sid={eio.sid}", "sid=gone")
