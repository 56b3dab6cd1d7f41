import EventLoop

/// Where a client connects: `ws://`, `wss://`, `http://` or `https://` with a numeric host (name resolution would block the
/// loop), a port and the Engine.IO path (default `/socket.io/`). The scheme only decides TLS: the transports are chosen in
/// the options.
public struct ClientEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var path: String
    public var secure: Bool
    /// The name the server's certificate must carry (SNI and verification); nil = `host`.
    public var serverName: String?

    public init(host: String, port: Int, path: String = "/socket.io/", secure: Bool = false, serverName: String? = nil) {
        self.host = host
        self.port = port
        self.path = path
        self.secure = secure
        self.serverName = serverName
    }

    var tlsServerName: String { serverName ?? host }

    /// Reads `scheme://host[:port][/path]`; a URL without a path gets `/socket.io/`.
    public init(url: String) throws(SocketIOClientError) {
        let schemes: [(String, Bool, Int)] = [("ws://", false, 80), ("http://", false, 80), ("wss://", true, 443),
                                              ("https://", true, 443)]
        guard let (prefix, secure, defaultPort) = schemes.first(where: { url.hasPrefix($0.0) }) else {
            throw .invalidURL("\(url): the scheme must be ws, wss, http or https")
        }
        let rest = url.dropFirst(prefix.count)
        let authority = rest.prefix { $0 != "/" }
        let pathPart = rest.dropFirst(authority.count)
        let hostPart: Substring, portPart: Substring?
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            portPart = after.isEmpty ? nil : after.dropFirst()
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        } else {
            hostPart = authority
            portPart = nil
        }
        let port = portPart.map { Int($0) } ?? defaultPort
        guard let port, (1...65535).contains(port), !hostPart.isEmpty else {
            throw .invalidURL("\(url): cannot read a host and a port")
        }
        self.init(host: String(hostPart), port: port, path: pathPart.count <= 1 ? "/socket.io/" : String(pathPart),
                  secure: secure)
    }

    /// The Host header value (port omitted when it is the scheme's default).
    var hostHeader: String {
        (host.contains(":") ? "[\(host)]" : host) + (port == (secure ? 443 : 80) ? "" : ":\(port)")
    }

    /// `path?EIO=4&transport=T[&sid=S]` plus the caller's query, percent-encoded.
    func target(transport: EngineIOClient.Transport, sid: String?, query: [(String, String)]) -> String {
        var target = path + "?EIO=4&transport=" + transport.rawValue
        if let sid { target += "&sid=" + Self.percentEncoded(sid) }
        for (name, value) in query { target += "&" + Self.percentEncoded(name) + "=" + Self.percentEncoded(value) }
        return target
    }

    static func percentEncoded(_ text: String) -> String {
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
