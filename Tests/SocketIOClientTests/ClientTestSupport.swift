import EngineIO
import EventLoop
import Foundation
import GatewayProtocol
import HTTP
import SocketIO
import SocketIOClient
import Synchronization
import XCTest

/// A Socket.IO server on loopback: `SocketIOServer` over `EngineIOServer` over the project's HTTP server, optionally TLS.
final class SocketIOTestServer {
    let group: EventLoopGroup
    let http: HTTPServer
    let engine: EngineIOServer
    let server: SocketIOServer
    let listener: Listener
    var port: Int { listener.port }

    init(engineConfiguration: EngineIOConfiguration = EngineIOConfiguration(), options: SocketIOServerOptions = SocketIOServerOptions(),
         tls: TLSReloadableContext? = nil, configure: (SocketIOServer) -> Void) throws {
        group = try EventLoopGroup(count: 1)
        http = HTTPServer(group: group)
        engine = EngineIOServer(http: http, configuration: engineConfiguration)
        server = SocketIOServer(options: options)
        configure(server)
        server.attach(to: engine)
        listener = try http.listen(host: "127.0.0.1", port: 0, options: ListenerOptions(tls: tls))
        group.start()
    }

    func stop() {
        listener.stop()
        group.shutdown()
    }
}

/// What the client side saw, in order; written on the client loop, read by the test.
final class EventLog: Sendable {
    private let entries = Mutex<[String]>([])

    func add(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }

    /// Waits until an entry starting with `prefix` is logged; returns it.
    @discardableResult
    func wait(for prefix: String, timeout: Double = 5, file: StaticString = #filePath, line: UInt = #line) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let hit = entries.withLock({ $0.first { $0.hasPrefix(prefix) } }) { return hit }
            usleep(2_000)
        }
        XCTFail("no '\(prefix)' within \(timeout) s; log: \(all)", file: file, line: line)
        return nil
    }
}

/// Holds loop-confined client objects between test steps; touched only on `loop`.
final class ClientBox: @unchecked Sendable {
    let loop: EventLoop
    var client: SocketIOClient?
    var sockets: [String: SocketIOClientSocket] = [:]

    init(loop: EventLoop) { self.loop = loop }

    func run(_ body: @escaping @Sendable (ClientBox) -> Void) { loop.execute { body(self) } }
}

/// Arguments as one line of text: JSON values, binary as `<hex>`.
func describe(_ arguments: EventArguments) -> String {
    arguments.values.map { value in
        if let bytes = arguments.binary(value) { return "<" + bytes.map { String($0, radix: 16) }.joined() + ">" }
        var out: [UInt8] = []
        value.serialize(into: &out)
        return String(decoding: out, as: UTF8.self)
    }.joined(separator: ",")
}
