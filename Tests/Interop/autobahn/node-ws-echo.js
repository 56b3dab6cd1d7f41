// Reference target for the Autobahn harness: a Node `ws` echo server with
// permessage-deflate enabled. Debian: apt-get install node-ws, then
//   NODE_PATH=/usr/share/nodejs PORT=38100 node node-ws-echo.js
// Listens on 127.0.0.1 only; echoes every message on WS_PATH (default /ws-echo).
// PER_MESSAGE_DEFLATE=0 turns compression off (12.*/13.* then report UNIMPLEMENTED).
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const port = parseInt(process.env.PORT || '38100', 10);
const path = process.env.WS_PATH || '/ws-echo';

const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({ server, path, perMessageDeflate: process.env.PER_MESSAGE_DEFLATE !== '0', maxPayload: 64 * 1024 * 1024 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => {
  console.log(`node ws ${require('ws/package.json').version} echo on ws://127.0.0.1:${port}${path}`);
});
process.on('SIGTERM', () => { wss.close(); server.close(() => process.exit(0)); });
