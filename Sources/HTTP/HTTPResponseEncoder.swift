/// Serialises `HTTPResponse` values into HTTP/1.1 bytes.
///
/// Framing rules (RFC 9110 §6.4.1, §8.6; RFC 9112 §6):
/// - 1xx and 204 never carry a body, `Content-Length` or `Transfer-Encoding`; any such field the handler set is dropped,
///   because sending one is a protocol violation that some clients treat as a framing error.
/// - 304 never carries a body; a handler-set `Content-Length` is kept (it describes the would-be 200), none is added.
/// - For HEAD, `Content-Length` is that of the would-be body and no body bytes follow.
/// - With a handler-set `Transfer-Encoding`, no `Content-Length` is added and the body is written as already framed.
/// The status line always says HTTP/1.1, also to HTTP/1.0 clients: RFC 9110 §2.5 has servers send their highest
/// conformant minor version.
public enum HTTPResponseEncoder {
    public static let continueBytes: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// `keepAlive` is the server's decision for this connection; `http10` says the request was HTTP/1.0, where
    /// persistence must be announced explicitly. A `Connection` field set by the handler (e.g. `Upgrade` on a 101) is
    /// left as it is; keeping it consistent with `keepAlive` is the caller's business.
    public static func encode(_ response: HTTPResponse, keepAlive: Bool, isHeadRequest: Bool = false, http10: Bool = false,
                              date: String, into out: inout [UInt8]) {
        // A status outside 100...999 cannot be put on the wire; a handler bug should not produce a malformed message.
        let status = (100...999).contains(response.status) ? response.status : 500
        let noFramingFields = status < 200 || status == 204
        let bodyForbidden = noFramingFields || status == 304
        let sendsBody = !bodyForbidden && !isHeadRequest

        var hasDate = false, hasContentLength = false, hasTransferEncoding = false, hasConnection = false
        for field in response.headers.fields {
            let name = field.name
            if name.caseInsensitiveASCIIEquals("Date") { hasDate = true }
            else if name.caseInsensitiveASCIIEquals("Content-Length") { hasContentLength = true }
            else if name.caseInsensitiveASCIIEquals("Transfer-Encoding") { hasTransferEncoding = true }
            else if name.caseInsensitiveASCIIEquals("Connection") { hasConnection = true }
        }

        out.reserveCapacity(out.count + 96 + response.headers.count * 40 + (sendsBody ? response.body.count : 0))
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: HTTPStatus.reasonPhrase(status).utf8)
        out.append(contentsOf: crlf)

        if !hasDate { appendField("Date", date, to: &out) }
        for field in response.headers.fields {
            if noFramingFields && (field.name.caseInsensitiveASCIIEquals("Content-Length")
                                   || field.name.caseInsensitiveASCIIEquals("Transfer-Encoding")) { continue }
            appendField(field.name, field.value, to: &out)
        }
        if !bodyForbidden && !hasContentLength && !hasTransferEncoding {
            out.append(contentsOf: "Content-Length: ".utf8)
            appendDecimal(response.body.count, to: &out)
            out.append(contentsOf: crlf)
        }
        if !hasConnection {
            if !keepAlive { out.append(contentsOf: "Connection: close\r\n".utf8) }
            else if http10 { out.append(contentsOf: "Connection: keep-alive\r\n".utf8) }
        }
        out.append(contentsOf: crlf)
        if sendsBody { out.append(contentsOf: response.body) }
    }

    private static let crlf: [UInt8] = [13, 10]

    /// CR, LF and NUL become spaces: a header value that echoes client input (an Origin, a file name) must never be
    /// able to end the header block early and smuggle a second response (response splitting).
    private static func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
        appendSanitised(name, to: &out)
        out.append(UInt8(ascii: ":"))
        out.append(UInt8(ascii: " "))
        appendSanitised(value, to: &out)
        out.append(contentsOf: crlf)
    }

    @inline(__always)
    private static func appendSanitised(_ s: String, to out: inout [UInt8]) {
        var s = s
        // Native strings are contiguous UTF-8: scan and copy from the buffer instead of iterating the UTF8View.
        s.withUTF8 { bytes in
            var clean = true
            for byte in bytes where byte == 13 || byte == 10 || byte == 0 {
                clean = false
                break
            }
            if clean {
                out.append(contentsOf: bytes)
            } else {
                for byte in bytes { out.append(byte == 13 || byte == 10 || byte == 0 ? UInt8(ascii: " ") : byte) }
            }
        }
    }

    /// Digits written straight into the output: `String(value)` costs a formatting call per response.
    @inline(__always)
    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")); appendDecimal(-value, to: &out); return }
        if value < 10 { out.append(UInt8(ascii: "0") &+ UInt8(value)); return }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while v > 0 {
                buffer[23 - count] = UInt8(ascii: "0") &+ UInt8(v % 10)
                v /= 10
                count += 1
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
        }
    }
}


extension HTTPHeaders {
    /// Adds `token` to `Vary` unless it (or `*`) is already listed, merging into an existing field so that several
    /// layers (CORS, compression) can each declare what they vary on without producing duplicates.
    mutating func addVary(_ token: String) {
        let existing = values("Vary")
        if existing.isEmpty { add("Vary", token); return }
        if containsToken("Vary", token) || containsToken("Vary", "*") { return }
        set("Vary", (existing + [token]).joined(separator: ", "))
    }
}
