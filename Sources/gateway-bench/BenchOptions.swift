/// The command line of `gateway-bench`: a scenario name followed by flags.
struct BenchOptions: Sendable {
    var host = "127.0.0.1"
    var port = 0
    var path = "/"
    var connections = 100
    /// Payload bytes of each message (text). ws-idle: the one message each connection exchanges.
    var size = 32
    var inFlight = 1
    var durationSeconds = 10.0
    var warmupSeconds = 2.0
    var deflate = false
    var loops = 1
    var serverPID: Int32?
    /// Handshakes in flight at once, over all loops (ws-idle opens 10,000 connections; a burst would overflow the
    /// server's accept backlog and turn into SYN retries of a second or more).
    var handshakes = 64
    /// ws-idle: seconds to wait once every connection is open before the second RSS reading.
    var settleSeconds = 3.0

    static let usage = """
        usage: gateway-bench ws-echo --url ws://HOST:PORT/PATH [--connections 100] [--size 32] [--in-flight 1]
                                     [--duration 10] [--warmup 2] [--deflate] [--loops 1] [--server-pid PID]
               gateway-bench ws-idle --url ws://HOST:PORT/PATH --server-pid PID [--connections 10000] [--size 2048]
                                     [--deflate] [--loops 1] [--handshakes 64] [--settle 3]
        HOST must be a numeric address (name resolution would block the loop).

        """

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ arguments: [String], idle: Bool) throws(Failure) -> BenchOptions {
        var options = BenchOptions()
        if idle {
            options.connections = 10_000
            options.size = 2048
        }
        var sawURL = false
        var index = 0
        func value(_ flag: String) throws(Failure) -> String {
            guard index < arguments.count else { throw Failure(description: "\(flag): missing value") }
            index += 1
            return arguments[index - 1]
        }
        func int(_ flag: String, _ range: ClosedRange<Int>) throws(Failure) -> Int {
            let text = try value(flag)
            guard let n = Int(text), range.contains(n) else { throw Failure(description: "\(flag): expected \(range), got \(text)") }
            return n
        }
        func seconds(_ flag: String) throws(Failure) -> Double {
            let text = try value(flag)
            guard let s = Double(text), s >= 0, s <= 3600 else { throw Failure(description: "\(flag): expected seconds, got \(text)") }
            return s
        }
        while index < arguments.count {
            let flag = arguments[index]
            index += 1
            switch flag {
            case "--url":
                try options.setURL(try value(flag))
                sawURL = true
            case "--connections": options.connections = try int(flag, 1...1_000_000)
            case "--size": options.size = try int(flag, 1...16_000_000)
            case "--in-flight": options.inFlight = try int(flag, 1...10_000)
            case "--duration": options.durationSeconds = try seconds(flag)
            case "--warmup": options.warmupSeconds = try seconds(flag)
            case "--deflate": options.deflate = true
            case "--loops": options.loops = try int(flag, 1...64)
            case "--server-pid": options.serverPID = Int32(try int(flag, 1...Int(Int32.max)))
            case "--handshakes": options.handshakes = try int(flag, 1...100_000)
            case "--settle": options.settleSeconds = try seconds(flag)
            default: throw Failure(description: "\(flag): unknown flag")
            }
        }
        guard sawURL else { throw Failure(description: "--url is required") }
        if idle && options.serverPID == nil { throw Failure(description: "ws-idle needs --server-pid (whose RSS to read)") }
        if options.durationSeconds <= 0 && !idle { throw Failure(description: "--duration must be > 0") }
        return options
    }

    /// `ws://host:port/path`; host numeric (IPv6 in brackets).
    mutating func setURL(_ url: String) throws(Failure) {
        guard url.hasPrefix("ws://") else { throw Failure(description: "--url: only ws:// is supported, got \(url)") }
        let rest = url.dropFirst(5)
        let authority = rest.prefix { $0 != "/" }
        let pathPart = rest.dropFirst(authority.count)
        path = pathPart.isEmpty ? "/" : String(pathPart)
        let hostPart: Substring, portPart: Substring
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            portPart = authority[authority.index(after: close)...].drop { $0 == ":" }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
            portPart = "80"
        }
        guard let p = Int(portPart), (1...65535).contains(p), !hostPart.isEmpty else {
            throw Failure(description: "--url: cannot read host and port from \(url)")
        }
        host = String(hostPart)
        port = p
    }
}
