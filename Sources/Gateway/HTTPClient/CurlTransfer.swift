import CCurl
import GatewayProtocol

typealias OutboundResult = Result<OutboundResponse, OutboundHTTPError>

/// One request as a curl easy handle, and the response it collects. Confined to the client's loop; lives from
/// `curl_multi_add_handle` until its completion is read, kept alive by the driver that owns it (curl holds only
/// unretained pointers to it).
final class CurlTransfer {
    let easy: UnsafeMutableRawPointer
    let continuation: CheckedContinuation<OutboundResult, Never>
    /// `METHOD scheme://host/path`, the prefix of every error message (no credentials, no query).
    let label: String

    private let maxResponseBytes: Int
    private var headers: [(String, String)] = []
    private var headerBytes = 0
    private var body: [UInt8] = []
    private var limitExceeded: String?
    private var requestHeaders: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Sets up the handle; throws `.invalidRequest` for a request curl must never see (header injection, a method
    /// that is not a token, credentials that Basic cannot carry).
    init(_ request: OutboundRequest, settings: GatewayConfiguration.HTTPClientSettings, timeoutMs: Int,
         continuation: CheckedContinuation<OutboundResult, Never>) throws(OutboundHTTPError) {
        label = "\(request.method) \(RequestLabel.redactedURL(request.url))"
        try RequestValidation.check(request, label: label)
        guard let easy = curl_easy_init() else {
            throw OutboundHTTPError(.transfer, "\(label): curl_easy_init failed (out of memory?)")
        }
        self.easy = easy
        self.continuation = continuation
        maxResponseBytes = settings.maxResponseBytes
        errorBuffer = .allocate(capacity: Int(CCURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CCURL_ERROR_SIZE) + 1)
        do {
            try configure(request, settings: settings, timeoutMs: timeoutMs)
        } catch {
            release()
            throw error
        }
    }

    /// Frees the handle and everything it points to; after the driver removed it from the multi handle.
    func release() {
        curl_easy_cleanup(easy)
        curl_slist_free_all(requestHeaders)
        requestHeaders = nil
        errorBuffer.deallocate()
    }

    private func configure(_ request: OutboundRequest, settings: GatewayConfiguration.HTTPClientSettings,
                           timeoutMs: Int) throws(OutboundHTTPError) {
        try set(CURLOPT_URL, string: request.url)
        // A module's request must not be turned into file:// or gopher:// by a URL it got from elsewhere.
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        try set(CURLOPT_FOLLOWLOCATION, 0)
        // libcurl's default would use signals for DNS timeouts, which is unsafe with threads.
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_TIMEOUT_MS, timeoutMs)
        try set(CURLOPT_CONNECTTIMEOUT_MS, min(settings.connectTimeoutMs, timeoutMs))
        try set(CURLOPT_SSL_VERIFYPEER, 1)
        try set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = settings.caFile { try set(CURLOPT_CAINFO, string: caFile) }
        try set(CURLOPT_USERAGENT, string: "fitmate-gateway")
        try set(CURLOPT_ERRORBUFFER, pointer: errorBuffer)
        // A declared Content-Length above the limit fails before any byte of the body is read; a body without one is
        // cut off by the write callback.
        try check(ccurl_easy_setopt_off(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(maxResponseBytes)), "MAXFILESIZE")

        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(ccurl_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlBodyCallback), "WRITEFUNCTION")
        try set(CURLOPT_WRITEDATA, pointer: me)
        try check(ccurl_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback), "HEADERFUNCTION")
        try set(CURLOPT_HEADERDATA, pointer: me)

        if let (user, password) = request.basicAuth {
            try set(CURLOPT_HTTPAUTH, Int(CCURL_AUTH_BASIC))
            try set(CURLOPT_USERNAME, string: user)
            try set(CURLOPT_PASSWORD, string: password)
        }
        try configureMethodAndBody(request)
        try configureHeaders(request.headers)
    }

    private func configureMethodAndBody(_ request: OutboundRequest) throws(OutboundHTTPError) {
        let method = request.method
        if method == "HEAD" {
            try set(CURLOPT_NOBODY, 1)
        } else if !request.body.isEmpty || method == "POST" {
            try check(ccurl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)),
                      "POSTFIELDSIZE")
            // COPYPOSTFIELDS: curl keeps its own copy, so nothing here has to outlive this call.
            let code = request.body.isEmpty
                ? "".withCString { ccurl_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, $0) }
                : request.body.withUnsafeBytes { ccurl_easy_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) }
            try check(code, "COPYPOSTFIELDS")
            if method != "POST" { try set(CURLOPT_CUSTOMREQUEST, string: method) }
        } else if method != "GET" {
            try set(CURLOPT_CUSTOMREQUEST, string: method)
        }
    }

    private func configureHeaders(_ fields: [(String, String)]) throws(OutboundHTTPError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in fields {
            // curl drops `Name:` (it means "remove this header"); `Name;` is how it sends an empty value.
            list = curl_slist_append(list, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // curl asks for `100-continue` before large bodies and waits for it; servers like Twilio's never need it and
        // the round trip only adds latency. An explicit Expect from the caller still wins.
        if !fields.contains(where: { $0.0.lowercased() == "expect" }) {
            list = curl_slist_append(list, "Expect:")
        }
        requestHeaders = list
        try set(CURLOPT_HTTPHEADER, pointer: list)
    }

    // MARK: Collecting the response (called by curl on the loop, during curl_multi_socket_action)

    /// False stops the transfer (curl then fails it with CURLE_WRITE_ERROR, reported as the limit).
    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard body.count + bytes.count <= maxResponseBytes else {
            limitExceeded = "response body exceeds httpClient.maxResponseBytes (\(maxResponseBytes) bytes)"
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// One header line per call, CRLF included: the status line, each field, then the empty line.
    fileprivate func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Bool {
        headerBytes += bytes.count
        guard headerBytes <= maxResponseBytes else {
            limitExceeded = "response headers exceed httpClient.maxResponseBytes (\(maxResponseBytes) bytes)"
            return false
        }
        var line = Substring(String(decoding: bytes, as: UTF8.self))
        while let last = line.last, last == "\r\n" || last == "\n" || last == "\r" { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            // A new response head (after a 1xx interim one): only the final response's fields are kept.
            headers.removeAll()
            headerBytes = bytes.count
        } else if let first = line.first, first == " " || first == "\t", !headers.isEmpty {
            // Obsolete line folding (RFC 9112 §5.2): a continuation of the previous value.
            headers[headers.count - 1].1 += " " + line.trimmingSpaces
        } else if let colon = line.firstIndex(of: ":") {
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingSpaces))
        }
        return true
    }

    // MARK: Completion

    func outcome(_ code: CURLcode) -> OutboundResult {
        if let limitExceeded { return .failure(OutboundHTTPError(.transfer, "\(label): \(limitExceeded)")) }
        if code == CURLE_FILESIZE_EXCEEDED {
            return .failure(OutboundHTTPError(.transfer, "\(label): response body exceeds httpClient.maxResponseBytes "
                                              + "(\(maxResponseBytes) bytes; the server announced more)"))
        }
        guard code == CURLE_OK else {
            var requestBytes = 0
            _ = ccurl_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestBytes)
            return .failure(CurlErrorMapping.error(code, detail: String(cString: errorBuffer), label: label,
                                                   requestSent: requestBytes > 0))
        }
        var status = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return .success(OutboundResponse(status: status, headers: headers, body: body))
    }

    // MARK: Option helpers

    private func set(_ option: CURLoption, _ value: Int) throws(OutboundHTTPError) {
        try check(ccurl_easy_setopt_long(easy, option, value), "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, string: String) throws(OutboundHTTPError) {
        // curl copies string options, so a temporary C string is enough.
        try check(string.withCString { ccurl_easy_setopt_ptr(easy, option, $0) }, "option \(option.rawValue)")
    }

    private func set(_ option: CURLoption, pointer: UnsafeRawPointer?) throws(OutboundHTTPError) {
        try check(ccurl_easy_setopt_ptr(easy, option, pointer), "option \(option.rawValue)")
    }

    private func check(_ code: CURLcode, _ what: String) throws(OutboundHTTPError) {
        guard code == CURLE_OK else {
            throw OutboundHTTPError(CurlErrorMapping.kind(of: code),
                                    "\(label): curl refused \(what): \(String(cString: curl_easy_strerror(code)))")
        }
    }
}

private let curlBodyCallback: ccurl_data_callback = { data, size, count, userdata in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
    return transfer.receiveBody(bytes) ? size * count : 0
}

private let curlHeaderCallback: ccurl_data_callback = { data, size, count, userdata in
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
    return transfer.receiveHeaderLine(bytes) ? size * count : 0
}

private extension Substring {
    var trimmingSpaces: String {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
