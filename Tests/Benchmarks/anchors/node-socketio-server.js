// Node socket.io server with the gateway's bench events, for Tests/Benchmarks/socketio-anchors.sh.
// socket.io 4.8.3 on its default engine (engine.io 6.6.9 on `ws`), defaults otherwise (no per-message deflate, no
// connection-state recovery), one process. Built from source outside the repository: see Tests/Benchmarks/README.md.
// Events on namespace '/': echo (ack with the same arguments), join (join the room named by the first argument, ack),
// broadcast {room, payload} (emit 'bcast' with payload to the room, the sender included when it is in the room).
// The auth token the bench sends in CONNECT is ignored.
// Usage: NODE_PATH=$NODE_SIO_DIR/node_modules:/usr/share/nodejs node node-socketio-server.js PORT
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2]);
const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false, transports: ["polling", "websocket"] });

io.on("connection", (socket) => {
  socket.on("echo", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("join", (room, ack) => {
    socket.join(String(room));
    if (typeof ack === "function") ack();
  });
  socket.on("broadcast", (request) => {
    if (request && typeof request.room === "string") io.to(request.room).emit("bcast", request.payload);
  });
});

httpServer.listen(port, "127.0.0.1");
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
