"""The chat as FitMate's React client uses it, spoken by python-socketio (an independent Socket.IO implementation).

Run by ChatPythonInteropTests with the gateway's URL and tokens; prints one JSON line of findings and exits 0 when every
check passed. Needs `python-socketio` and `aiohttp` (pip); the Swift test skips when they are missing.
"""
import asyncio
import json
import sys

import socketio


async def connect(url, token):
    client = socketio.AsyncClient()
    events = asyncio.Queue()
    for name in ("chatHistory", "newMessage", "userJoined", "error", "messagesRead", "typing", "messageDeleted"):
        client.on(name, (lambda n: (lambda data=None: events.put_nowait((n, data))))(name))
    await client.connect(url, auth={"token": token}, transports=["websocket"])
    return client, events


async def next_event(events, name, timeout=5):
    while True:
        got, data = await asyncio.wait_for(events.get(), timeout)
        if got == name:
            return data


async def main(url, alice_token, bob_token, carol_token):
    failures = []

    def check(condition, what):
        if not condition:
            failures.append(what)

    alice, alice_events = await connect(url, alice_token)
    bob, bob_events = await connect(url, bob_token)
    carol, carol_events = await connect(url, carol_token)

    await alice.emit("joinChat", {"chatRoomId": "py"})
    check(await next_event(alice_events, "chatHistory") == [], "empty history")
    await bob.emit("joinChat", {"chatRoomId": "py"})
    await next_event(bob_events, "chatHistory")
    joined = await next_event(alice_events, "userJoined")
    check(joined == {"userId": "bob", "chatRoomId": "py"}, f"userJoined {joined}")

    ack = await alice.call("sendMessage", {"chatRoomId": "py", "message": "from python"}, timeout=5)
    delivered = await next_event(bob_events, "newMessage")
    check(delivered == ack and ack["message"] == "from python" and ack["senderId"] == "alice", f"newMessage {delivered}")

    await bob.emit("typing", {"chatRoomId": "py", "isTyping": True})
    typing = await next_event(alice_events, "typing")
    check(typing == {"chatRoomId": "py", "userId": "bob", "isTyping": True}, f"typing {typing}")

    await bob.emit("markAsRead", {"chatRoomId": "py"})
    read = await next_event(alice_events, "messagesRead")
    check(read == {"chatRoomId": "py", "userId": "bob"}, f"messagesRead {read}")

    await carol.emit("joinChat", {"chatRoomId": "py"})
    refused = await next_event(carol_events, "error")
    check(refused.get("code") == "forbidden", f"non-member join {refused}")

    deleted = await alice.call("deleteMessage", {"messageId": ack["id"]}, timeout=5)
    check(deleted.get("success") is True, f"delete ack {deleted}")
    gone = await next_event(bob_events, "messageDeleted")
    check(gone.get("messageId") == ack["id"], f"messageDeleted {gone}")

    for client in (alice, bob, carol):
        await client.disconnect()
    print(json.dumps({"failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:5])))
