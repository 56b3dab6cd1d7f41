/// CORS (Fetch standard, "CORS protocol") for the REST API and Engine.IO polling.
///
/// Origins are an exact allow-list (compared ASCII case-insensitively, since scheme and host are) or `["*"]`.
/// With credentials a literal `*` is useless (browsers reject it), so `*` then echoes the request's Origin — except the
/// opaque origin `null` (sandboxed iframes, `file:`), which would otherwise let any sandboxed page make credentialed
/// requests; list `"null"` explicitly to allow it.
/// Whenever `Access-Control-Allow-Origin` depends on the request, responses carry `Vary: Origin` — also to requests
/// that were denied or had no Origin, so a shared cache never serves one origin's answer to another.
public struct CORSPolicy: Sendable {
    public var allowedOrigins: [String]
    public var allowCredentials: Bool
    public var allowedMethods: [String]
    public var allowedHeaders: [String]
    public var maxAgeSeconds: Int
    /// Response headers scripts may read beyond the CORS-safelisted ones (`Access-Control-Expose-Headers`).
    public var exposedHeaders: [String]

    public init(allowedOrigins: [String], allowCredentials: Bool = true,
                allowedMethods: [String] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                allowedHeaders: [String] = ["Authorization", "Content-Type"], maxAgeSeconds: Int = 600,
                exposedHeaders: [String] = []) {
        self.allowedOrigins = allowedOrigins
        self.allowCredentials = allowCredentials
        self.allowedMethods = allowedMethods
        self.allowedHeaders = allowedHeaders
        self.maxAgeSeconds = maxAgeSeconds
        self.exposedHeaders = exposedHeaders
    }

    private var allowsAnyOrigin: Bool { allowedOrigins.contains("*") }
    /// A literal `*` is sent only when it is both permitted (no credentials) and true for every origin.
    private var sendsLiteralStar: Bool { allowsAnyOrigin && !allowCredentials }

    public func isAllowed(origin: String) -> Bool {
        if allowedOrigins.contains(where: { $0 != "*" && $0.caseInsensitiveASCIIEquals(origin) }) { return true }
        guard allowsAnyOrigin else { return false }
        return !(allowCredentials && origin == "null")
    }

    /// For an `OPTIONS` request carrying `Origin` and `Access-Control-Request-Method`: the 204 preflight response
    /// (allowed) or a 403 (origin not allowed). nil when the request is not a preflight — it is then an ordinary request.
    /// The configured methods and headers are always listed, not echoed from the request: the browser compares them
    /// against what it wants and fails the preflight itself, and the policy stays visible in one place.
    public func preflightResponse(for head: HTTPRequestHead) -> HTTPResponse? {
        guard head.method == "OPTIONS", let origin = head.headers["Origin"],
              head.headers["Access-Control-Request-Method"] != nil else { return nil }
        guard isAllowed(origin: origin) else {
            var denied = HTTPResponse.error(403, "origin not allowed")
            if !sendsLiteralStar { denied.headers.addVary("Origin") }
            return denied
        }
        var response = HTTPResponse(status: 204)
        addAllowOrigin(origin, to: &response.headers)
        response.headers.add("Access-Control-Allow-Methods", allowedMethods.joined(separator: ", "))
        if !allowedHeaders.isEmpty {
            response.headers.add("Access-Control-Allow-Headers", allowedHeaders.joined(separator: ", "))
        }
        if maxAgeSeconds >= 0 { response.headers.add("Access-Control-Max-Age", String(maxAgeSeconds)) }
        return response
    }

    /// Adds Access-Control-Allow-Origin / -Credentials / -Expose-Headers to an actual response when the request's Origin
    /// is allowed, and `Vary: Origin` whenever the answer depends on the Origin. Fields the handler set are kept.
    public func apply(to response: inout HTTPResponse, for head: HTTPRequestHead) {
        if !sendsLiteralStar { response.headers.addVary("Origin") }
        guard let origin = head.headers["Origin"], isAllowed(origin: origin),
              response.headers["Access-Control-Allow-Origin"] == nil else { return }
        addAllowOrigin(origin, to: &response.headers)
        if !exposedHeaders.isEmpty && response.headers["Access-Control-Expose-Headers"] == nil {
            response.headers.add("Access-Control-Expose-Headers", exposedHeaders.joined(separator: ", "))
        }
    }

    private func addAllowOrigin(_ origin: String, to headers: inout HTTPHeaders) {
        if sendsLiteralStar {
            headers.add("Access-Control-Allow-Origin", "*")
        } else {
            headers.add("Access-Control-Allow-Origin", origin)
            headers.addVary("Origin")
        }
        if allowCredentials && headers["Access-Control-Allow-Credentials"] == nil {
            headers.add("Access-Control-Allow-Credentials", "true")
        }
    }
}
