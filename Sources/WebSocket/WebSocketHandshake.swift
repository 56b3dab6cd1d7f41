import COpenSSL
import HTTP

public enum WebSocketHandshakeError: Error, Sendable, Equatable {
    case unexpectedStatus(Int)
    case missingUpgrade
    case badAccept
    /// The server answered with extensions we did not offer or cannot honour.
    case invalidExtensions(String)
    case unexpectedSubprotocol(String)
}

/// Opening handshake (RFC 6455 §4). Pure: request head in, response out; the caller writes it.
public enum WebSocketHandshake {
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// base64(SHA-1(key + GUID)) (§4.2.2 step 5.4).
    public static func acceptValue(forKey key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        _ = input.withUnsafeBufferPointer { i in
            digest.withUnsafeMutableBufferPointer { d in SHA1(i.baseAddress, i.count, d.baseAddress) }
        }
        return Base64.encode(digest)
    }

    public struct ServerAcceptance: Sendable {
        /// 101 with Upgrade, Connection, Sec-WebSocket-Accept and, when agreed, protocol and extensions.
        public var response: HTTPResponse
        public var subprotocol: String?
        public var deflate: NegotiatedDeflate?
    }

    public enum ServerResult: Sendable {
        case accept(ServerAcceptance)
        /// Not a valid WebSocket upgrade: send this response (400, or 426 with the version we speak).
        case reject(HTTPResponse)
    }

    /// Validates an upgrade request (§4.2.1). `selectSubprotocol` gets the client's list in preference order;
    /// a name not in that list is ignored, since answering with one the client did not offer fails it (§4.1).
    public static func server(
        request head: HTTPRequestHead, configuration: WebSocketConfiguration,
        selectSubprotocol: ([String]) -> String? = { _ in nil }
    ) -> ServerResult {
        let headers = head.headers
        guard head.method == "GET",
              head.versionMajor > 1 || (head.versionMajor == 1 && head.versionMinor >= 1),
              headers["Host"] != nil,
              headers.containsToken("Upgrade", "websocket"),
              headers.containsToken("Connection", "upgrade") else {
            return .reject(badRequest("Not a WebSocket upgrade"))
        }
        // §4.2.2: a version we do not speak gets 426 and the versions we do, so the client can retry.
        let versions = headers.values("Sec-WebSocket-Version")
        guard versions.count == 1, PerMessageDeflate.trim(versions[0]) == "13" else {
            var h = HTTPHeaders()
            h.add("Sec-WebSocket-Version", "13")
            return .reject(HTTPResponse(status: 426, headers: h))
        }
        let keys = headers.values("Sec-WebSocket-Key")
        guard keys.count == 1 else { return .reject(badRequest("Bad Sec-WebSocket-Key")) }
        let key = PerMessageDeflate.trim(keys[0])
        guard let nonce = Base64.decode(key), nonce.count == 16 else {
            return .reject(badRequest("Bad Sec-WebSocket-Key"))
        }

        var response = HTTPResponse(status: 101)
        response.headers.add("Upgrade", "websocket")
        response.headers.add("Connection", "Upgrade")
        response.headers.add("Sec-WebSocket-Accept", acceptValue(forKey: key))

        let offered = headers.values("Sec-WebSocket-Protocol")
            .flatMap { $0.split(separator: ",") }
            .map { PerMessageDeflate.trim(String($0)) }
            .filter { !$0.isEmpty }
        var subprotocol: String? = nil
        if !offered.isEmpty, let chosen = selectSubprotocol(offered), offered.contains(chosen) {
            subprotocol = chosen
            response.headers.add("Sec-WebSocket-Protocol", chosen)
        }

        var deflate: NegotiatedDeflate? = nil
        if let config = configuration.compression {
            deflate = PerMessageDeflate.negotiate(offers: headers.values("Sec-WebSocket-Extensions"), configuration: config)
            if let d = deflate { response.headers.add("Sec-WebSocket-Extensions", d.responseHeaderValue) }
        }
        return .accept(ServerAcceptance(response: response, subprotocol: subprotocol, deflate: deflate))
    }

    private static func badRequest(_ text: String) -> HTTPResponse {
        var h = HTTPHeaders()
        h.add("Content-Type", "text/plain; charset=utf-8")
        return HTTPResponse(status: 400, headers: h, body: Array(text.utf8))
    }
}

/// Client side of the opening handshake: builds the request and checks the server's 101.
public struct WebSocketClientHandshake: Sendable {
    public let key: String
    public let requestHead: HTTPRequestHead
    public let subprotocols: [String]
    public let compression: PerMessageDeflateConfiguration?

    /// `key` is for tests; by default 16 random bytes from OpenSSL's CSPRNG (§4.1 requires a fresh nonce).
    public init(host: String, target: String, subprotocols: [String] = [], configuration: WebSocketConfiguration,
                extraHeaders: HTTPHeaders = HTTPHeaders(), key: String? = nil) {
        if let key {
            self.key = key
        } else {
            var nonce = [UInt8](repeating: 0, count: 16)
            let ok = nonce.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, 16) }
            precondition(ok == 1, "RAND_bytes failed")
            self.key = Base64.encode(nonce)
        }
        var headers = HTTPHeaders()
        headers.add("Host", host)
        headers.add("Upgrade", "websocket")
        headers.add("Connection", "Upgrade")
        headers.add("Sec-WebSocket-Key", self.key)
        headers.add("Sec-WebSocket-Version", "13")
        if !subprotocols.isEmpty { headers.add("Sec-WebSocket-Protocol", subprotocols.joined(separator: ", ")) }
        if let c = configuration.compression { headers.add("Sec-WebSocket-Extensions", PerMessageDeflate.clientOffer(c)) }
        for field in extraHeaders { headers.add(field.name, field.value) }
        self.requestHead = HTTPRequestHead(method: "GET", target: target, headers: headers)
        self.subprotocols = subprotocols
        self.compression = configuration.compression
    }

    /// Checks the response (§4.1, "the client MUST validate"); on success returns what was agreed.
    public func validate(status: Int, headers: HTTPHeaders) throws(WebSocketHandshakeError)
        -> (subprotocol: String?, deflate: NegotiatedDeflate?) {
        guard status == 101 else { throw .unexpectedStatus(status) }
        guard headers.containsToken("Upgrade", "websocket"), headers.containsToken("Connection", "upgrade") else {
            throw .missingUpgrade
        }
        guard let accept = headers["Sec-WebSocket-Accept"],
              PerMessageDeflate.trim(accept) == WebSocketHandshake.acceptValue(forKey: key) else { throw .badAccept }
        var subprotocol: String? = nil
        if let p = headers["Sec-WebSocket-Protocol"] {
            let chosen = PerMessageDeflate.trim(p)
            guard subprotocols.contains(chosen) else { throw .unexpectedSubprotocol(chosen) }
            subprotocol = chosen
        }
        let extensions = headers.values("Sec-WebSocket-Extensions")
        var deflate: NegotiatedDeflate? = nil
        if let c = compression {
            deflate = try PerMessageDeflate.clientAccept(response: extensions, configuration: c)
        } else if !PerMessageDeflate.parseExtensionList(extensions).isEmpty {
            throw .invalidExtensions(extensions.joined(separator: ", "))
        }
        return (subprotocol, deflate)
    }
}

/// Standard base64 (RFC 4648 §4) with padding; only what the handshake needs, to keep Foundation out.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((v >> UInt32(shift)) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strict: length a multiple of 4, padding only at the end, no whitespace. nil on anything else.
    static func decode(_ s: String) -> [UInt8]? {
        let chars = Array(s.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            var v: UInt32 = 0
            var pad = 0
            for j in 0..<4 {
                let c = chars[i + j]
                let d: UInt32
                switch c {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): d = UInt32(c - UInt8(ascii: "A"))
                case UInt8(ascii: "a")...UInt8(ascii: "z"): d = UInt32(c - UInt8(ascii: "a")) + 26
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0")) + 52
                case UInt8(ascii: "+"): d = 62
                case UInt8(ascii: "/"): d = 63
                case UInt8(ascii: "=") where i + 4 == chars.count && j >= 2: pad += 1; d = 0
                default: return nil
                }
                if pad > 0 && c != UInt8(ascii: "=") { return nil }
                v = v << 6 | d
            }
            out.append(UInt8(v >> 16 & 0xFF))
            if pad < 2 { out.append(UInt8(v >> 8 & 0xFF)) }
            if pad < 1 { out.append(UInt8(v & 0xFF)) }
            i += 4
        }
        return out
    }
}
