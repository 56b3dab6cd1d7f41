import EventLoop
import Foundation
import Glibc
import HTTP
import Synchronization
import TestSupport
import XCTest

/// Shared, thread-safe state the test routes report into.
final class RouteProbe: Sendable {
    /// Requests that reached a route handler, by path.
    let hits = Mutex<[String: Int]>([:])
    /// Set when `/never` was entered (its handler never answers).
    let neverEntered = Atomic<Bool>(false)

    func hit(_ path: String) { hits.withLock { $0[path, default: 0] += 1 } }
    func count(_ path: String) -> Int { hits.withLock { $0[path] ?? 0 } }
    func total() -> Int { hits.withLock { $0.values.reduce(0, +) } }
}

/// A server on its own loop group, bound to 127.0.0.1 on a free port, with the routes every test file uses:
/// - `GET /hello` -> `hello`
/// - `POST /echo` -> the request body
/// - `GET /delay/:ms` -> `delayed-<ms>` after `ms` milliseconds (answered from a loop timer)
/// - `GET /big` -> `bigBody` (256 KB, a recognisable pattern)
/// - `GET /json/:n` -> a JSON document of exactly `n` bytes (compressible)
/// - `GET /never` -> never answered
/// - `GET /loop` -> the index of the loop that serves the connection
final class TestHTTPServer {
    let group: EventLoopGroup
    let server: HTTPServer
    let listener: Listener
    let probe = RouteProbe()
    var port: Int { listener.port }

    static let bigBody: [UInt8] = (0..<(256 * 1024)).map { UInt8(truncatingIfNeeded: $0 % 251) }

    static func json(bytes n: Int) -> String {
        let prefix = "{\"data\":\"", suffix = "\"}"
        let fill = max(0, n - prefix.utf8.count - suffix.utf8.count)
        return prefix + String(repeating: "abcdefgh", count: fill / 8 + 1).prefix(fill) + suffix
    }

    init(loops: Int = 1,
         configuration: HTTPServerConfiguration = HTTPServerConfiguration(headerTimeoutMs: 2_000, idleTimeoutMs: 5_000),
         connectionLimits: ConnectionLimits = ConnectionLimits(lingerMs: 200)) throws {
        group = try EventLoopGroup(count: loops)
        group.start()
        server = HTTPServer(group: group, configuration: configuration)
        let probe = self.probe
        server.route("GET", "/hello") { context in
            probe.hit("/hello")
            context.respond(.text(200, "hello"))
        }
        server.route("POST", "/echo") { context in
            probe.hit("/echo")
            context.respond(HTTPResponse(status: 200, body: context.request.body))
        }
        server.route("GET", "/delay/:ms") { context in
            probe.hit("/delay")
            let ms = UInt64(context.parameters["ms"] ?? "0") ?? 0
            context.loop.scheduleTimer(afterMs: ms) { context.respond(.text(200, "delayed-\(ms)")) }
        }
        server.route("GET", "/big") { context in
            probe.hit("/big")
            context.respond(HTTPResponse(status: 200, body: TestHTTPServer.bigBody))
        }
        server.route("GET", "/json/:n") { context in
            probe.hit("/json")
            context.respond(.json(200, TestHTTPServer.json(bytes: Int(context.parameters["n"] ?? "0") ?? 0)))
        }
        server.route("GET", "/never") { _ in
            probe.hit("/never")
            probe.neverEntered.store(true, ordering: .releasing)
        }
        server.route("GET", "/loop") { context in
            probe.hit("/loop")
            context.respond(.text(200, "\(context.loop.index)"))
        }
        listener = try server.listen(host: "127.0.0.1", port: 0, options: ListenerOptions(connectionLimits: connectionLimits))
    }

    /// Closes everything (deadline 0) and stops the loops. Safe after a test's own `shutdown`.
    func stop() {
        let done = Atomic<Bool>(false)
        server.shutdown(deadlineMs: 0) { done.store(true, ordering: .releasing) }
        _ = waitUntil(timeoutSeconds: 3) { done.load(ordering: .acquiring) }
        group.shutdown()
    }
}

/// One parsed response.
struct TestResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}

/// A blocking HTTP/1.1 client over `BlockingSocket` that keeps the bytes it read past a response for the next one,
/// so pipelined responses can be read one at a time.
final class HTTPTestClient {
    let socket: BlockingSocket
    private var buffer: [UInt8] = []

    init(port: Int, receiveTimeoutMs: Int = 3_000) throws {
        socket = try BlockingSocket(port: port, receiveTimeoutMs: receiveTimeoutMs)
    }

    func send(_ text: String) throws { try socket.send(text) }
    func send(_ bytes: [UInt8]) throws { try socket.send(bytes) }

    /// Our side of the stream is done (the server sees EOF); we can still read.
    func shutdownWrite() { _ = Glibc.shutdown(socket.fd, Int32(SHUT_WR)) }

    private func fill() throws {
        let chunk = try socket.receiveSome()
        if chunk.isEmpty {
            throw TestError("connection closed; unparsed bytes: \(String(decoding: buffer, as: UTF8.self).prefix(300))")
        }
        buffer += chunk
    }

    /// Reads the next response. `bodyless` for answers to HEAD. 1xx, 204 and 304 carry no body.
    func readResponse(bodyless: Bool = false) throws -> TestResponse {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
            if headEnd == nil { try fill() }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeSubrange(0..<(headEnd! + 4))
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw TestError("bad status line in: \(head)")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw TestError("bad header line: \(line)") }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var response = TestResponse(status: status, headers: headers, body: [])
        if bodyless || status < 200 || status == 204 || status == 304 { return response }
        guard let lengthText = response.header("Content-Length"), let length = Int(lengthText) else {
            throw TestError("response without Content-Length: \(head)")
        }
        while buffer.count < length { try fill() }
        response.body = Array(buffer[0..<length])
        buffer.removeSubrange(0..<length)
        return response
    }

    /// True when the server closes the connection (EOF, or a reset) within the receive timeout with no further bytes.
    func closesWithoutMoreData() -> Bool {
        guard buffer.isEmpty else { return false }
        do {
            let chunk = try socket.receiveSome()
            if !chunk.isEmpty { buffer += chunk; return false }
            return true
        } catch {
            return errno == ECONNRESET
        }
    }

    /// Unparsed bytes plus everything until EOF.
    func readUntilClose() throws -> [UInt8] {
        let rest = buffer + (try socket.receiveUntilClose())
        buffer = []
        return rest
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}

/// Milliseconds elapsed since `start` on the monotonic clock.
func milliseconds(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

/// Process CPU time (all threads) in milliseconds.
func processCPUMilliseconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func ms(_ t: timeval) -> Double { Double(t.tv_sec) * 1000 + Double(t.tv_usec) / 1000 }
    return ms(usage.ru_utime) + ms(usage.ru_stime)
}

func get(_ path: String, _ extra: String = "") -> String { "GET \(path) HTTP/1.1\r\nHost: t\r\n\(extra)\r\n" }
func post(_ path: String, body: String, _ extra: String = "") -> String {
    "POST \(path) HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\(extra)\r\n\(body)"
}
