import Foundation
import GatewayProtocol
import SocketIOClient

/// The command line of the Socket.IO scenarios (`connect`, `echo`, `fanout`).
struct SocketIOBenchOptions: Sendable {
    var url = ""
    var caFile: String?
    var serverName: String?
    var connections = 100
    var inFlight = 1
    var size = 32
    var durationSeconds = 10.0
    var warmupSeconds = 2.0
    var loops = 1
    var serverPID: Int32?
    var handshakes = 64
    var settleSeconds = 3.0
    var authToken: String?
    /// `--auth-tokens FILE`: one token per line, one per connection in turn (distinct users, as in production).
    var authTokens: [String] = []
    /// fanout: broadcasts per second from the sender; 0 = saturated (closed loop: `inFlight` broadcasts outstanding, one
    /// counted done when the sender, itself in the room, receives it).
    var rate = 0
    var room = "bench-room"
    /// echo, persist, fanout: every message through the full `SocketIOClient` (emitWithAck, event handlers) instead of the
    /// bench's own hot path on the handed-over WebSocket (`SocketIOWire`); measures the client as much as the server.
    var fullClient = false

    static let usage = """
               gateway-bench connect --url ws://HOST:PORT [--connections 1000] [--server-pid PID] [--handshakes 64] [--settle 3]
               gateway-bench echo    --url ws://HOST:PORT [--connections 100] [--in-flight 1] [--size 32] [--duration 10]
                                     [--warmup 2] [--server-pid PID]
               gateway-bench persist --url ws://HOST:PORT [echo's flags]: the bench module's `persist` (ack after commit)
               gateway-bench fanout  --url ws://HOST:PORT [--connections 1000 (receivers)] [--rate 0 (saturated)]
                                     [--in-flight 1] [--size 32] [--duration 10] [--warmup 2] [--server-pid PID]
               Socket.IO scenarios also take: [--loops 1] [--ca FILE --server-name NAME (wss://)] [--auth-token T]
               [--auth-tokens FILE]: one token per line, the connections use them in turn (distinct users)
               [--full-client]: echo/persist/fanout messages through the full Socket.IO client, not the bench's hot path
               URL: ws:// or wss:// (path default /socket.io/); HOST numeric.

        """

    static func parse(_ arguments: [String], scenario: String) throws(BenchOptions.Failure) -> SocketIOBenchOptions {
        var options = SocketIOBenchOptions()
        if scenario == "connect" || scenario == "fanout" { options.connections = 1000 }
        var index = 0
        func value(_ flag: String) throws(BenchOptions.Failure) -> String {
            guard index < arguments.count else { throw .init(description: "\(flag): missing value") }
            index += 1
            return arguments[index - 1]
        }
        func int(_ flag: String, _ range: ClosedRange<Int>) throws(BenchOptions.Failure) -> Int {
            let text = try value(flag)
            guard let n = Int(text), range.contains(n) else { throw .init(description: "\(flag): expected \(range), got \(text)") }
            return n
        }
        func seconds(_ flag: String) throws(BenchOptions.Failure) -> Double {
            let text = try value(flag)
            guard let s = Double(text), s >= 0, s <= 3600 else { throw .init(description: "\(flag): expected seconds, got \(text)") }
            return s
        }
        while index < arguments.count {
            let flag = arguments[index]
            index += 1
            switch flag {
            case "--url": options.url = try value(flag)
            case "--ca": options.caFile = try value(flag)
            case "--server-name": options.serverName = try value(flag)
            case "--connections": options.connections = try int(flag, 1...1_000_000)
            case "--in-flight": options.inFlight = try int(flag, 1...10_000)
            case "--size": options.size = try int(flag, 1...16_000_000)
            case "--duration": options.durationSeconds = try seconds(flag)
            case "--warmup": options.warmupSeconds = try seconds(flag)
            case "--loops": options.loops = try int(flag, 1...64)
            case "--server-pid": options.serverPID = Int32(try int(flag, 1...Int(Int32.max)))
            case "--handshakes": options.handshakes = try int(flag, 1...100_000)
            case "--settle": options.settleSeconds = try seconds(flag)
            case "--auth-token": options.authToken = try value(flag)
            case "--auth-tokens":
                let path = try value(flag)
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw .init(description: "--auth-tokens: cannot read \(path)")
                }
                options.authTokens = text.split(whereSeparator: \.isNewline).map(String.init)
                guard !options.authTokens.isEmpty else { throw .init(description: "--auth-tokens: \(path) has no token") }
            case "--rate": options.rate = try int(flag, 0...10_000_000)
            case "--full-client": options.fullClient = true
            default: throw .init(description: "\(flag): unknown flag")
            }
        }
        guard options.url.hasPrefix("ws://") || options.url.hasPrefix("wss://") else {
            throw .init(description: "--url: ws://HOST:PORT[/path] or wss://… is required")
        }
        if scenario != "connect" && options.durationSeconds <= 0 { throw .init(description: "--duration must be > 0") }
        return options
    }

    /// Client options for every connection (one TLS context shared by all).
    func clientOptions() throws(SocketIOClientError) -> SocketIOClient.Options {
        var options = try SocketIOClient.Options(url: url, transports: [.websocket], caFile: caFile)
        options.engine.endpoint.serverName = serverName
        return options
    }

    /// The CONNECT payloads the connections use in turn (none: no auth).
    var auths: [JSONObject] {
        (authTokens.isEmpty ? authToken.map { [$0] } ?? [] : authTokens).map { ["token": .string($0)] }
    }
}
