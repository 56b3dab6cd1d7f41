import Foundation
@testable import Gateway
import Glibc
import TestSupport
import XCTest

/// The Autobahn echo endpoint as the gateway serves it from its configuration (raw socket: this target does not link the
/// WebSocket module, so these tests see only what a foreign client sees).
final class WebSocketEchoIntegrationTests: XCTestCase {
    private var dataDir = ""

    override func setUpWithError() throws {
        dataDir = NSTemporaryDirectory() + "ws-echo-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dataDir) }

    private func startGateway(echoPath: String?, compression: Bool = true) throws -> Gateway {
        var configuration = GatewayConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.loops = 1
        configuration.dataDir = dataDir
        configuration.logLevel = .error
        configuration.websocket.echoPath = echoPath
        configuration.websocket.compression = compression
        let gateway = try Gateway(configuration: configuration)
        try gateway.start()
        return gateway
    }

    private func stop(_ gateway: Gateway) {
        let done = DispatchSemaphore(value: 0)
        gateway.shutdown { done.signal() }
        _ = done.wait(timeout: .now() + 5)
        gateway.group.waitUntilStopped()
    }

    private func upgrade(_ socket: BlockingSocket, path: String, extensions: String? = nil) throws -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        if let extensions { request += "Sec-WebSocket-Extensions: \(extensions)\r\n" }
        try socket.send(request + "\r\n")
        let bytes = try socket.receive { String(decoding: $0, as: UTF8.self).contains("\r\n\r\n") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A masked client frame with a short payload.
    private func maskedFrame(_ opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count < 126)
        let key: [UInt8] = [1, 2, 3, 4]
        return [0x80 | opcode, 0x80 | UInt8(payload.count)] + key + payload.enumerated().map { $1 ^ key[$0 % 4] }
    }

    func testEchoEndpointIsServedWhenConfigured() throws {
        let gateway = try startGateway(echoPath: "/ws-echo")
        defer { stop(gateway) }
        let socket = try BlockingSocket(port: gateway.port)
        let head = try upgrade(socket, path: "/ws-echo", extensions: "permessage-deflate; client_max_window_bits")
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 101 "), head)
        XCTAssertTrue(head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), head)
        XCTAssertTrue(head.contains("permessage-deflate"), "compression is on by default for the echo endpoint")
        try socket.send(maskedFrame(0x1, Array("hello autobahn".utf8)))
        let echoed = try socket.receive { $0.count >= 2 + 14 }
        XCTAssertEqual(echoed, [0x81, 14] + Array("hello autobahn".utf8))
        try socket.send(maskedFrame(0x2, [0, 1, 2, 255]))
        XCTAssertEqual(try socket.receive { $0.count >= 6 }, [0x82, 4, 0, 1, 2, 255])
        try socket.send(maskedFrame(0x8, [0x03, 0xE8]))
        XCTAssertEqual(try socket.receive { $0.count >= 4 }, [0x88, 2, 0x03, 0xE8])
        XCTAssertTrue(socket.isClosedByPeer())
    }

    func testCompressionCanBeTurnedOff() throws {
        let gateway = try startGateway(echoPath: "/ws-echo", compression: false)
        defer { stop(gateway) }
        let socket = try BlockingSocket(port: gateway.port)
        let head = try upgrade(socket, path: "/ws-echo", extensions: "permessage-deflate")
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 101 "), head)
        XCTAssertFalse(head.contains("permessage-deflate"), head)
    }

    func testEchoEndpointIsOffByDefault() throws {
        XCTAssertNil(GatewayConfiguration().websocket.echoPath)
        XCTAssertEqual(GatewayConfiguration().websocket.maxMessageBytes, 1_000_000)
        XCTAssertEqual(GatewayConfiguration().websocket.echoMaxMessageBytes, 16 * 1024 * 1024)
        let gateway = try startGateway(echoPath: nil)
        defer { stop(gateway) }
        let socket = try BlockingSocket(port: gateway.port)
        let head = try upgrade(socket, path: "/ws-echo")
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 404 "), head)
    }

    func testEchoPathOptionIsValidated() {
        XCTAssertThrowsError(try GatewayCommandLine.load(configPath: nil, environment: ["GATEWAY_WS_ECHO_PATH": "ws-echo"],
                                                         flagOverrides: [:]))
        XCTAssertEqual(try GatewayCommandLine.load(configPath: nil, environment: ["GATEWAY_WS_ECHO_PATH": "/e"],
                                                   flagOverrides: [:]).websocket.echoPath, "/e")
    }
}
