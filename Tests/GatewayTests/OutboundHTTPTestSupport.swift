import EventLoop
import Foundation
import Gateway
import GatewayProtocol
import Glibc
import HTTP
import Synchronization
import TestSupport
import XCTest

/// What the test server saw: requests being handled at once (now and at most), connections accepted.
final class OutboundServerProbe: Sendable {
    private struct State {
        var active = 0
        var maxActive = 0
    }
    private let state = Mutex(State())

    func enter() { state.withLock { $0.active += 1; $0.maxActive = max($0.maxActive, $0.active) } }
    func leave() { state.withLock { $0.active -= 1 } }
    var maxActive: Int { state.withLock { $0.maxActive } }
}

/// The project's own `HTTPServer` on 127.0.0.1 (optionally over TLS) with the routes the outbound tests call:
/// - `GET|POST|PUT|DELETE /inspect` -> `METHOD target`, one `name: value` line per request header, an empty line, then
///   the request body; response header `X-Echo: yes`
/// - `GET /status/:code` -> that status, body `status-<code>`
/// - `GET /bytes/:n` -> exactly n bytes (with Content-Length)
/// - `GET /peer` -> the client's address and port as the server sees them (one per connection)
/// - `GET /slow/:ms/:id` -> `id-<id>` after ms milliseconds; counted in `probe` while it waits
final class OutboundTestServer {
    let group: EventLoopGroup
    let server: HTTPServer
    let listener: Listener
    let probe = OutboundServerProbe()
    var port: Int { listener.port }

    init(tls: TLSCertificatePair? = nil, maxBodyBytes: Int = 4_000_000) throws {
        group = try EventLoopGroup(count: 1)
        group.start()
        server = HTTPServer(group: group, configuration: HTTPServerConfiguration(
            limits: HTTPLimits(maxBodyBytes: maxBodyBytes), headerTimeoutMs: 5_000, idleTimeoutMs: 10_000))
        for method in ["GET", "POST", "PUT", "DELETE"] {
            server.route(method, "/inspect") { context in
                let request = context.request
                var text = "\(request.method) \(request.head.target)\n"
                for field in request.headers { text += "\(field.name): \(field.value)\n" }
                var response = HTTPResponse(status: 200, body: Array((text + "\n").utf8) + request.body)
                response.headers.add("X-Echo", "yes")
                context.respond(response)
            }
        }
        server.route("GET", "/status/:code") { context in
            let code = Int(context.parameters["code"] ?? "") ?? 400
            context.respond(HTTPResponse(status: code, body: Array("status-\(code)".utf8)))
        }
        server.route("GET", "/bytes/:n") { context in
            context.respond(HTTPResponse(status: 200, body: OutboundTestServer.pattern(Int(context.parameters["n"] ?? "") ?? 0)))
        }
        server.route("GET", "/peer") { context in
            context.respond(HTTPResponse(status: 200, body: Array(context.remoteAddress.utf8)))
        }
        let probe = self.probe
        server.route("GET", "/slow/:ms/:id") { context in
            probe.enter()
            let ms = UInt64(context.parameters["ms"] ?? "") ?? 0
            let id = context.parameters["id"] ?? ""
            context.loop.scheduleTimer(afterMs: ms) {
                probe.leave()
                context.respond(HTTPResponse(status: 200, body: Array("id-\(id)".utf8)))
            }
        }
        var options = ListenerOptions(connectionLimits: ConnectionLimits(lingerMs: 100))
        if let tls {
            options.tls = try TLSReloadableContext(configuration: TLSServerConfiguration(certificates: [tls]))
        }
        listener = try server.listen(host: "127.0.0.1", port: 0, options: options)
    }

    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(ascii: "a") + UInt8($0 % 26) } }

    func stop() {
        let done = Atomic<Bool>(false)
        server.shutdown(deadlineMs: 0) { done.store(true, ordering: .releasing) }
        _ = waitUntil(timeoutSeconds: 3) { done.load(ordering: .acquiring) }
        group.shutdown()
    }
}

/// A listening socket on 127.0.0.1 that the test drives by hand, for servers that misbehave.
final class RawTestServer: @unchecked Sendable {
    let fd: Int32
    let port: Int

    /// `listening: false` binds only: connecting to it is refused.
    init(listening: Bool = true) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0, !listening || listen(fd, 64) == 0 else { throw TestError("bind/listen: \(errno)") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Accepts one connection on a thread, reads the request head, writes `reply`, then closes.
    func answerOnce(with reply: [UInt8]) {
        let fd = self.fd
        let thread = Thread {
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            var head: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !head.containsCRLFCRLF {
                let n = read(client, &buffer, buffer.count)
                if n <= 0 { break }
                head += buffer[0..<n]
            }
            _ = reply.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            close(client)
        }
        thread.start()
    }

    deinit { close(fd) }
}

private extension [UInt8] {
    var containsCRLFCRLF: Bool {
        count >= 4 && (0...(count - 4)).contains { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 }
    }
}

/// A client on its own loop, closed and stopped in tearDown.
class OutboundHTTPTestCase: XCTestCase {
    private var groups: [EventLoopGroup] = []
    private var clients: [CurlHTTPClient] = []
    private var servers: [OutboundTestServer] = []

    override func tearDown() async throws {
        for client in clients { await client.close() }
        for group in groups { group.shutdown() }
        for server in servers { server.stop() }
        clients = []
        groups = []
        servers = []
    }

    func makeClient(_ adjust: (inout GatewayConfiguration.HTTPClientSettings) -> Void = { _ in }) throws -> CurlHTTPClient {
        let group = try EventLoopGroup(count: 1)
        group.start()
        groups.append(group)
        var settings = GatewayConfiguration.HTTPClientSettings()
        adjust(&settings)
        let client = try CurlHTTPClient(loop: group.loops[0], settings: settings)
        clients.append(client)
        return client
    }

    func makeServer(tls: TLSCertificatePair? = nil) throws -> OutboundTestServer {
        let server = try OutboundTestServer(tls: tls)
        servers.append(server)
        return server
    }

    func error(_ client: CurlHTTPClient, _ request: OutboundRequest, file: StaticString = #filePath,
               line: UInt = #line) async -> OutboundHTTPError? {
        await sendExpectingError(client, request, file: file, line: line)
    }
}

/// The error `send` fails with; a response instead fails the test.
func sendExpectingError(_ client: CurlHTTPClient, _ request: OutboundRequest, file: StaticString = #filePath,
                        line: UInt = #line) async -> OutboundHTTPError? {
    do {
        let response = try await client.send(request)
        XCTFail("expected an error, got status \(response.status)", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

extension OutboundResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// Milliseconds since `start` on the monotonic clock.
func elapsedMs(since start: ContinuousClock.Instant) -> Int {
    let elapsed = ContinuousClock.now - start
    return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
}
