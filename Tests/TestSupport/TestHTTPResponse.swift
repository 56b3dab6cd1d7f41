import Foundation

/// A response as a test client sees it, parsed from raw bytes. Only what the gateway sends: a status line, fields and a
/// `Content-Length` body (or none).
public struct TestHTTPResponse: CustomStringConvertible {
    public let status: Int
    /// In the order received; names as sent.
    public let headers: [(name: String, value: String)]
    public let body: [UInt8]
    /// Bytes after this response (a pipelined next one), if any.
    public let remainder: [UInt8]

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The first field named `name`, case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public var description: String {
        "HTTP \(status) \(headers.map { "\($0.name): \($0.value)" }) body(\(body.count)): \(bodyText.prefix(200))"
    }

    /// The response at the start of `bytes`, or nil while it is incomplete (no end of head yet, or a short body).
    public static func parse(_ bytes: [UInt8]) -> TestHTTPResponse? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
              let headEnd = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else { return nil }
        let lines = String(decoding: bytes[0..<headEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let bodyStart = headEnd + 4
        guard bytes.count >= bodyStart + length else { return nil }
        return TestHTTPResponse(status: status, headers: headers, body: Array(bytes[bodyStart..<bodyStart + length]),
                                remainder: Array(bytes[(bodyStart + length)...]))
    }

    /// `GET <path>` with `Host` and any extra fields, as bytes to send.
    public static func getRequest(_ path: String, host: String = "127.0.0.1", headers: [String: String] = [:]) -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { request += "\(name): \(value)\r\n" }
        return request + "\r\n"
    }
}

extension BlockingSocket {
    /// Sends `GET path` and reads one whole response.
    public func get(_ path: String, host: String = "127.0.0.1", headers: [String: String] = [:]) throws -> TestHTTPResponse {
        try send(TestHTTPResponse.getRequest(path, host: host, headers: headers))
        return try receiveResponse()
    }

    /// Reads until one whole response has arrived.
    public func receiveResponse() throws -> TestHTTPResponse {
        TestHTTPResponse.parse(try receive { TestHTTPResponse.parse($0) != nil })!
    }
}
