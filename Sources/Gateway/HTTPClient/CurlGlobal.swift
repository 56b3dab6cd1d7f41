import CCurl

/// Why the outbound HTTP client could not be set up; says what to fix.
public struct CurlHTTPClientError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// libcurl's process-wide set-up. It must run once before any handle exists; a static's initialiser runs exactly once
/// per process, on first use, from whichever thread gets there first.
enum CurlGlobal {
    private static let status: CURLcode = curl_global_init(CCURL_GLOBAL_DEFAULT)

    static func initialize() throws(CurlHTTPClientError) {
        guard status == CURLE_OK else {
            throw CurlHTTPClientError("curl_global_init failed: \(String(cString: curl_easy_strerror(status)))")
        }
    }
}
