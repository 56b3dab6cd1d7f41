/// What this side wants from permessage-deflate (RFC 7692). The same struct serves both roles: "server" and
/// "client" always name the direction of compression (server_* = the server's compressor, the client's
/// inflater), as in the RFC's parameter names.
///
/// Defaults are chosen for ~10,000 compressed connections per process (measured numbers in DeflateCodec.swift):
/// - `serverNoContextTakeover = true`: the server's deflater exists only while a message is being compressed
///   and is freed right after, so idle connections hold no deflate state (≈ 268 KB each at 15/8 otherwise:
///   2.6 GB for 10k). It also makes a compressed broadcast identical for every connection, so
///   `PreparedWebSocketMessage` compresses it once. The cost is ratio on small repetitive messages.
/// - `clientNoContextTakeover = false` with `clientMaxWindowBits = 12`: browsers compress with context
///   takeover, which is what makes small JSON messages compress well, so we keep the peer's context but shrink
///   the window the client may use (only possible when the client offers `client_max_window_bits`, which
///   browsers do). Our inflater is created on the first compressed message: ≈ 11 KB at 12 bits versus ≈ 40 KB
///   at 15, i.e. ≈ 110 MB for 10k connections that all sent compressed data. A client that does not offer the
///   parameter gets a 15-bit inflater, as the RFC requires.
/// - `thresholdBytes = 1024`: below that, deflate's fixed overhead and CPU are not worth it.
public struct PerMessageDeflateConfiguration: Sendable, Hashable {
    /// Server's compressor window, 9…15 (a client may still require 8: see DeflateCompressor). Server role: a value < 15 is
    /// announced with server_max_window_bits. Client role: a value < 15 is requested in the offer.
    public var serverMaxWindowBits: Int = 15
    /// Client's compressor window, 9…15. Server role: requested when the client offers client_max_window_bits.
    /// Client role: the largest window our compressor uses (announced as client_max_window_bits=N when < 15).
    public var clientMaxWindowBits: Int = 12
    /// Server role: always answer server_no_context_takeover. Client role: request it.
    public var serverNoContextTakeover: Bool = true
    /// Server role: always answer client_no_context_takeover. Client role: offer it.
    public var clientNoContextTakeover: Bool = false
    /// zlib memLevel for our compressor (1…9); memory is (1 << (memLevel + 9)) bytes.
    public var memLevel: Int32 = 8
    /// zlib level (0…9, -1 = default 6).
    public var level: Int32 = 6
    /// Messages shorter than this are sent uncompressed.
    public var thresholdBytes: Int = 1024

    public init() {}
}

/// The agreed parameters of one connection.
public struct NegotiatedDeflate: Sendable, Hashable {
    public var serverNoContextTakeover: Bool
    public var clientNoContextTakeover: Bool
    /// Window of the server's compressor (the client's inflater).
    public var serverMaxWindowBits: Int
    /// Window of the client's compressor (the server's inflater).
    public var clientMaxWindowBits: Int
    /// The `Sec-WebSocket-Extensions` value a server sends back (empty on the client side).
    public var responseHeaderValue: String

    public init(serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
                serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15, responseHeaderValue: String = "") {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
        self.responseHeaderValue = responseHeaderValue
    }

    /// Compressor/inflater parameters for one side.
    func sending(role: WebSocketRole) -> (windowBits: Int, noContextTakeover: Bool) {
        role == .server ? (serverMaxWindowBits, serverNoContextTakeover) : (clientMaxWindowBits, clientNoContextTakeover)
    }
    func receiving(role: WebSocketRole) -> (windowBits: Int, noContextTakeover: Bool) {
        sending(role: role == .server ? .client : .server)
    }
}

public enum PerMessageDeflate {
    public static let extensionName = "permessage-deflate"

    /// One parsed offer. `clientMaxWindowBits`: nil = absent, .some(nil) = present without value.
    struct Offer: Equatable {
        var serverNoContextTakeover = false
        var clientNoContextTakeover = false
        var serverMaxWindowBits: Int? = nil
        var clientMaxWindowBits: Int?? = nil
    }

    /// Validates an offer's parameters (§7): each known parameter at most once, value rules per parameter,
    /// nothing unknown. nil means the whole offer must be declined.
    static func parseOffer(_ params: [(name: String, value: String?)]) -> Offer? {
        var offer = Offer()
        var seen = Set<String>()
        for (rawName, value) in params {
            let name = rawName.lowercased()
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover":
                guard value == nil else { return nil }
                offer.serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard value == nil else { return nil }
                offer.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let v = value, let bits = windowBits(v) else { return nil }
                offer.serverMaxWindowBits = bits
            case "client_max_window_bits":
                if let v = value {
                    guard let bits = windowBits(v) else { return nil }
                    offer.clientMaxWindowBits = .some(bits)
                } else {
                    offer.clientMaxWindowBits = .some(nil)
                }
            default:
                return nil
            }
        }
        return offer
    }

    /// 1*DIGIT without leading zeros, 8…15 (§7.1.2).
    static func windowBits(_ s: String) -> Int? {
        let u = Array(s.utf8)
        guard (1...2).contains(u.count), u.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), u[0] != 0x30 else { return nil }
        guard let v = Int(s), (8...15).contains(v) else { return nil }
        return v
    }

    /// Server role: picks the first acceptable permessage-deflate offer among the `Sec-WebSocket-Extensions`
    /// values, or nil. Offers that are invalid or ask for something we cannot do are skipped (§7: "decline").
    public static func negotiate(offers headerValues: [String], configuration config: PerMessageDeflateConfiguration) -> NegotiatedDeflate? {
        for ext in parseExtensionList(headerValues) where ext.name.lowercased() == extensionName {
            guard let params = ext.params, let offer = parseOffer(params) else { continue }
            var response = [extensionName]
            var result = NegotiatedDeflate()

            var serverBits = min(max(config.serverMaxWindowBits, 9), 15)
            if let requested = offer.serverMaxWindowBits {
                // 8 is honoured by a 9-bit deflater, whose matches never reach past 250 bytes (see DeflateCompressor).
                serverBits = min(serverBits, requested)
                response.append("server_max_window_bits=\(serverBits)")
            } else if serverBits < 15 {
                response.append("server_max_window_bits=\(serverBits)")
            }
            result.serverMaxWindowBits = serverBits

            if offer.serverNoContextTakeover || config.serverNoContextTakeover {
                response.append("server_no_context_takeover")
                result.serverNoContextTakeover = true
            }
            // The client's own client_no_context_takeover is only a hint (§7.1.1.2); echoing it lets us free
            // our inflater between messages.
            if offer.clientNoContextTakeover || config.clientNoContextTakeover {
                response.append("client_no_context_takeover")
                result.clientNoContextTakeover = true
            }

            let wanted = min(max(config.clientMaxWindowBits, 9), 15)
            switch offer.clientMaxWindowBits {
            case .none:
                result.clientMaxWindowBits = 15  // the client did not say it can limit its window
            case .some(.none):
                if wanted < 15 { response.append("client_max_window_bits=\(wanted)") }
                result.clientMaxWindowBits = wanted
            case .some(.some(let offered)):
                if wanted < offered {
                    response.append("client_max_window_bits=\(wanted)")
                    result.clientMaxWindowBits = wanted
                } else {
                    result.clientMaxWindowBits = offered
                }
            }
            result.responseHeaderValue = response.joined(separator: "; ")
            return result
        }
        return nil
    }

    /// Client role: the offer to send in `Sec-WebSocket-Extensions`.
    public static func clientOffer(_ config: PerMessageDeflateConfiguration) -> String {
        var parts = [extensionName]
        let clientBits = min(max(config.clientMaxWindowBits, 9), 15)
        parts.append(clientBits < 15 ? "client_max_window_bits=\(clientBits)" : "client_max_window_bits")
        let serverBits = min(max(config.serverMaxWindowBits, 9), 15)
        if serverBits < 15 { parts.append("server_max_window_bits=\(serverBits)") }
        if config.serverNoContextTakeover { parts.append("server_no_context_takeover") }
        if config.clientNoContextTakeover { parts.append("client_no_context_takeover") }
        return parts.joined(separator: "; ")
    }

    /// Client role: checks the server's `Sec-WebSocket-Extensions` against the offer made from `config`.
    /// nil = the server declined compression. Throws when the response must fail the connection (§7.1).
    public static func clientAccept(response headerValues: [String], configuration config: PerMessageDeflateConfiguration)
        throws(WebSocketHandshakeError) -> NegotiatedDeflate? {
        let list = parseExtensionList(headerValues)
        if list.isEmpty { return nil }
        guard list.count == 1, list[0].name.lowercased() == extensionName, let params = list[0].params else {
            throw .invalidExtensions(headerValues.joined(separator: ", "))
        }
        let bad = WebSocketHandshakeError.invalidExtensions(headerValues.joined(separator: ", "))
        guard let answer = parseOffer(params) else { throw bad }
        let offeredServerBits = min(max(config.serverMaxWindowBits, 9), 15)
        let offeredClientBits = min(max(config.clientMaxWindowBits, 9), 15)
        var result = NegotiatedDeflate()
        if let bits = answer.serverMaxWindowBits {
            guard bits <= offeredServerBits else { throw bad }
            result.serverMaxWindowBits = bits
        } else {
            guard offeredServerBits == 15 else { throw bad }  // an accepted request must be echoed (§7.1.2.1)
            result.serverMaxWindowBits = 15
        }
        switch answer.clientMaxWindowBits {
        case .none: result.clientMaxWindowBits = offeredClientBits
        case .some(.none): throw bad  // a response must carry a value (§7.1.2.2)
        case .some(.some(let bits)):
            // 8 is honoured by a 9-bit deflater (see DeflateCompressor).
            guard bits <= offeredClientBits, bits >= 8 else { throw bad }
            result.clientMaxWindowBits = bits
        }
        if config.serverNoContextTakeover && !answer.serverNoContextTakeover { throw bad }
        result.serverNoContextTakeover = answer.serverNoContextTakeover
        result.clientNoContextTakeover = answer.clientNoContextTakeover || config.clientNoContextTakeover
        return result
    }

    // MARK: - Header syntax (RFC 6455 §9.1)

    /// Splits `Sec-WebSocket-Extensions` values into extensions with parameters. `params` is nil for an element
    /// whose syntax is broken, so only that offer is declined.
    static func parseExtensionList(_ values: [String]) -> [(name: String, params: [(name: String, value: String?)]?)] {
        var result: [(name: String, params: [(name: String, value: String?)]?)] = []
        for value in values {
            for element in splitOutsideQuotes(value, separator: ",") {
                let parts = splitOutsideQuotes(element, separator: ";").map { trim($0) }
                guard let name = parts.first, !name.isEmpty else { continue }  // empty list elements are allowed
                guard isToken(name) else { result.append((name, nil)); continue }
                var params: [(name: String, value: String?)]? = []
                for part in parts.dropFirst() {
                    guard let p = parseParam(part) else { params = nil; break }
                    params!.append(p)
                }
                result.append((name, params))
            }
        }
        return result
    }

    private static func parseParam(_ s: String) -> (name: String, value: String?)? {
        guard let eq = s.firstIndex(of: "=") else { return isToken(s) ? (s, nil) : nil }
        let name = trim(String(s[..<eq]))
        var value = trim(String(s[s.index(after: eq)...]))
        guard isToken(name) else { return nil }
        if value.hasPrefix("\"") {
            guard value.count >= 2, value.hasSuffix("\"") else { return nil }
            var unescaped = ""
            var escaping = false
            for c in value.dropFirst().dropLast() {
                if escaping { unescaped.append(c); escaping = false }
                else if c == "\\" { escaping = true }
                else if c == "\"" { return nil }
                else { unescaped.append(c) }
            }
            if escaping { return nil }
            value = unescaped
        }
        // §9.1: a quoted value must still be a token once unquoted.
        guard isToken(value) else { return nil }
        return (name, value)
    }

    static func splitOutsideQuotes(_ s: String, separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var inQuotes = false, escaping = false
        for c in s {
            if escaping { current.append(c); escaping = false; continue }
            if inQuotes && c == "\\" { escaping = true; current.append(c); continue }
            if c == "\"" { inQuotes.toggle() }
            if c == separator && !inQuotes { parts.append(current); current = "" } else { current.append(c) }
        }
        parts.append(current)
        return parts
    }

    static func trim(_ s: String) -> String {
        var sub = Substring(s)
        while let c = sub.first, c == " " || c == "\t" { sub.removeFirst() }
        while let c = sub.last, c == " " || c == "\t" { sub.removeLast() }
        return String(sub)
    }

    /// RFC 9110 token characters.
    static func isToken(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        return s.utf8.allSatisfy { b in
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
            case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
                 UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): return true
            default: return false
            }
        }
    }
}
