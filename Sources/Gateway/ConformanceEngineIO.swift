import EngineIO
import EventLoop
import Foundation
import HTTP

/// The fixture the official Engine.IO test suite (`engine.io-protocol/test-suite`) runs against: with
/// `GATEWAY_CONFORMANCE=1`, a bare Engine.IO server on `/engine.io/` that echoes every message (text and binary), with the
/// suite's timings (pingInterval 300, pingTimeout 200, maxPayload 1000000) and CORS `*`. Off otherwise; not for production.
enum ConformanceEngineIO {
    static var isEnabled: Bool { ProcessInfo.processInfo.environment["GATEWAY_CONFORMANCE"] == "1" }

    /// The suite runs in a browser too: CORS for any origin.
    static func adjust(_ configuration: HTTPServerConfiguration) -> HTTPServerConfiguration {
        guard isEnabled else { return configuration }
        var adjusted = configuration
        adjusted.cors = CORSPolicy(allowedOrigins: ["*"])
        return adjusted
    }

    static func install(on http: HTTPServer) -> EngineIOServer? {
        guard isEnabled else { return nil }
        let server = EngineIOServer(http: http, configuration: EngineIOConfiguration(
            path: "/engine.io/", pingIntervalMs: 300, pingTimeoutMs: 200, maxPayload: 1_000_000))
        let echo = Echo()
        server.onConnection = { socket in socket.delegate = echo }
        Log.info("engineio_conformance_enabled", ["path": "/engine.io/"])
        return server
    }

    /// Stateless, so one instance serves every socket on every loop.
    final class Echo: EngineIOSocketDelegate, Sendable {
        func engineSocket(_ socket: EngineIOSocket, didReceive message: EngineIOMessage) { socket.send(message) }
        func engineSocketDidClose(_ socket: EngineIOSocket, reason: String) {}
    }
}
