// A minimal uWebSockets responder that speaks just enough Engine.IO v4 / Socket.IO v5 over a plain WebSocket for
// gateway-bench (the "minimal uWebSockets responder" anchor of Tests/Benchmarks/socketio-anchors.sh): the open packet
// `0{…}` on connect (no polling, no upgrade), the CONNECT reply `40{"sid":…}` on namespace `/` (the auth payload, a
// token from the bench, is ignored), Engine.IO pings every 25 s, and three events:
//   42<id>["echo",args…]                       -> 43<id>[args…]   (args copied as bytes, never parsed)
//   42<id>["join","room"]                      -> subscribe to the room, 43<id>[]
//   42["broadcast",{"room":R,"payload":P}]     -> 42["bcast",P] to every socket in R (the sender too, as socket.io does)
// A room is a uWS pub/sub topic, so a broadcast is framed once and written to each subscriber. No JSON is built: the
// responder only skips over values to find their bytes. Anything else (other namespaces, binary) is ignored.
// Third-party code (uWebSockets, uSockets) is fetched and built outside the repository: see Tests/Benchmarks/README.md.
// Usage: uws-responder PORT
#include "App.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

constexpr int pingIntervalMs = 25000;

struct PerSocket {
    // Every open socket is on one intrusive list, walked by the ping timer (two pointers, no container per socket).
    PerSocket *prev = nullptr, *next = nullptr;
    void *ws = nullptr;
};

using WS = uWS::WebSocket<false, true, PerSocket>;
PerSocket *sockets = nullptr;
uWS::App *app = nullptr;
unsigned long long sidCounter = 0;

// A 20-character id from a counter and a per-process random prefix: unique, and as long as socket.io's.
std::string makeSid() {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    static unsigned long long salt = ((unsigned long long) random() << 31) ^ (unsigned long long) random();
    unsigned long long n = ++sidCounter, s = salt;
    std::string sid(20, 'A');
    for (int i = 0; i < 10; i++, s >>= 6) sid[(size_t) i] = alphabet[s & 63];
    for (int i = 10; i < 20; i++, n >>= 6) sid[(size_t) i] = alphabet[n & 63];
    return sid;
}

// Returns the end of the JSON value starting at `i` (after leading spaces), or npos when malformed.
size_t skipValue(std::string_view s, size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    if (i >= s.size()) return std::string_view::npos;
    if (s[i] == '"') {
        for (i++; i < s.size(); i++) {
            if (s[i] == '\\') i++;
            else if (s[i] == '"') return i + 1;
        }
        return std::string_view::npos;
    }
    if (s[i] == '[' || s[i] == '{') {
        int depth = 0;
        for (; i < s.size(); i++) {
            char c = s[i];
            if (c == '"') {
                i = skipValue(s, i);
                if (i == std::string_view::npos) return i;
                i--;
            } else if (c == '[' || c == '{') {
                depth++;
            } else if (c == ']' || c == '}') {
                if (--depth == 0) return i + 1;
            }
        }
        return std::string_view::npos;
    }
    while (i < s.size() && s[i] != ',' && s[i] != ']' && s[i] != '}') i++;  // number, true, false, null
    return i;
}

// The contents of a JSON string token without escapes (room names and event names here have none).
bool plainString(std::string_view token, std::string_view &out) {
    if (token.size() < 2 || token.front() != '"' || token.back() != '"') return false;
    out = token.substr(1, token.size() - 2);
    return out.find('\\') == std::string_view::npos;
}

size_t skipSpaces(std::string_view s, size_t i) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

// `{"room":R,"payload":P}` in any key order: finds R (a plain string) and P's bytes.
bool readBroadcast(std::string_view object, std::string_view &room, std::string_view &payload) {
    size_t i = skipSpaces(object, 0);
    if (i >= object.size() || object[i] != '{') return false;
    bool haveRoom = false, havePayload = false;
    i++;
    while (true) {
        i = skipSpaces(object, i);
        if (i < object.size() && object[i] == '}') break;
        size_t keyEnd = skipValue(object, i);
        if (keyEnd == std::string_view::npos) return false;
        std::string_view key;
        if (!plainString(object.substr(i, keyEnd - i), key)) return false;
        i = skipSpaces(object, keyEnd);
        if (i >= object.size() || object[i] != ':') return false;
        size_t valueStart = skipSpaces(object, i + 1);
        size_t valueEnd = skipValue(object, valueStart);
        if (valueEnd == std::string_view::npos) return false;
        std::string_view value = object.substr(valueStart, valueEnd - valueStart);
        if (key == "room") haveRoom = plainString(value, room);
        else if (key == "payload") { payload = value; havePayload = true; }
        i = skipSpaces(object, valueEnd);
        if (i < object.size() && object[i] == ',') { i++; continue; }
        if (i < object.size() && object[i] == '}') break;
        return false;
    }
    return haveRoom && havePayload;
}

// `2[id]["name",args…]` after the Engine.IO `4` (the Socket.IO type already checked): the event on namespace `/`.
void onEvent(WS *ws, std::string_view packet) {
    size_t i = 1;
    size_t idStart = i;
    while (i < packet.size() && packet[i] >= '0' && packet[i] <= '9') i++;
    std::string_view id = packet.substr(idStart, i - idStart);
    if (i >= packet.size() || packet[i] != '[') return;  // another namespace (`/nsp,`) or malformed
    std::string_view array = packet.substr(i);
    size_t nameEnd = skipValue(array, 1);
    std::string_view name;
    if (nameEnd == std::string_view::npos || !plainString(array.substr(1, nameEnd - 1), name)) return;
    size_t rest = skipSpaces(array, nameEnd);  // at `,` (arguments follow) or `]`
    if (array.back() != ']' || rest >= array.size()) return;
    std::string_view arguments = array[rest] == ',' ? array.substr(rest + 1, array.size() - rest - 2) : std::string_view{};

    if (name == "echo") {
        if (id.empty()) return;
        std::string reply;
        reply.reserve(4 + id.size() + arguments.size());
        reply.append("43").append(id).append("[").append(arguments).append("]");
        ws->send(reply, uWS::OpCode::TEXT);
    } else if (name == "join") {
        size_t roomEnd = skipValue(arguments, 0);
        std::string_view room;
        if (roomEnd == std::string_view::npos) return;
        size_t roomStart = skipSpaces(arguments, 0);
        if (!plainString(arguments.substr(roomStart, roomEnd - roomStart), room)) return;
        ws->subscribe(room);
        if (!id.empty()) ws->send(std::string("43").append(id).append("[]"), uWS::OpCode::TEXT);
    } else if (name == "broadcast") {
        size_t end = skipValue(arguments, 0);
        std::string_view room, payload;
        if (end == std::string_view::npos || !readBroadcast(arguments.substr(0, end), room, payload)) return;
        std::string message;
        message.reserve(12 + payload.size());
        message.append("42[\"bcast\",").append(payload).append("]");
        app->publish(room, message, uWS::OpCode::TEXT);  // the App's publish reaches the sender too
        if (!id.empty()) ws->send(std::string("43").append(id).append("[]"), uWS::OpCode::TEXT);
    }
}

void onMessage(WS *ws, std::string_view message, uWS::OpCode opCode) {
    if (opCode != uWS::OpCode::TEXT || message.empty()) return;
    switch (message[0]) {
    case '4':  // Engine.IO message: a Socket.IO packet follows
        if (message.size() < 2) return;
        if (message[1] == '2') {
            onEvent(ws, message.substr(1));
        } else if (message[1] == '0') {
            if (message.size() > 2 && message[2] == '/') {  // only `/`: refuse other namespaces as socket.io does
                size_t comma = message.find(',');
                std::string_view nsp = message.substr(2, (comma == std::string_view::npos ? message.size() : comma) - 2);
                if (nsp != "/") {
                    ws->send(std::string("44").append(nsp).append(",{\"message\":\"Invalid namespace\"}"), uWS::OpCode::TEXT);
                    return;
                }
            }
            ws->send("40{\"sid\":\"" + makeSid() + "\"}", uWS::OpCode::TEXT);
        } else if (message[1] == '1') {
            ws->end(1000);
        }
        break;
    case '1':  // Engine.IO close
        ws->end(1000);
        break;
    default:  // `3` pong, `2` ping (never sent by v4 clients), `6` noop
        break;
    }
}

void pingAll(struct us_timer_t *) {
    for (PerSocket *s = sockets; s; s = s->next) ((WS *) s->ws)->send("2", uWS::OpCode::TEXT);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: uws-responder PORT\n");
        return 2;
    }
    int port = std::atoi(argv[1]);
    srandom((unsigned) getpid());
    uWS::App server;
    app = &server;
    server.ws<PerSocket>("/*", {
        .compression = uWS::DISABLED,
        .maxPayloadLength = 1000000,            // Engine.IO's maxPayload
        .idleTimeout = 0,                       // liveness is Engine.IO's ping, not the WebSocket's
        .maxBackpressure = 64 * 1024 * 1024,    // a slow receiver is buffered, never sent a partial stream
        .closeOnBackpressureLimit = false,
        .resetIdleTimeoutOnSend = false,
        .sendPingsAutomatically = false,
        .open = [](WS *ws) {
            PerSocket *s = ws->getUserData();
            s->ws = ws;
            s->next = sockets;
            if (sockets) sockets->prev = s;
            sockets = s;
            ws->send("0{\"sid\":\"" + makeSid() + "\",\"upgrades\":[],\"pingInterval\":" + std::to_string(pingIntervalMs)
                         + ",\"pingTimeout\":20000,\"maxPayload\":1000000}",
                     uWS::OpCode::TEXT);
        },
        .message = onMessage,
        .close = [](WS *ws, int, std::string_view) {
            PerSocket *s = ws->getUserData();
            if (s->prev) s->prev->next = s->next; else sockets = s->next;
            if (s->next) s->next->prev = s->prev;
        },
    }).listen("127.0.0.1", port, [port](auto *listen) {
        if (!listen) {
            std::fprintf(stderr, "uws-responder: cannot listen on 127.0.0.1:%d\n", port);
            std::exit(1);
        }
    });
    struct us_timer_t *timer = us_create_timer((struct us_loop_t *) uWS::Loop::get(), 0, 0);
    us_timer_set(timer, pingAll, pingIntervalMs, pingIntervalMs);
    server.run();
}
