import CCurl
import GatewayProtocol

/// Which contract error kind a failed transfer is. The kind is what a caller decides on (retry a `.connect`, never
/// blindly retry a `.timeout` or `.transfer`, which may have reached the server), so the grouping follows what is
/// known about the request's fate, not curl's own categories.
enum CurlErrorMapping {
    static func kind(of code: CURLcode, requestSent: Bool = false) -> OutboundHTTPError.Kind {
        // curl reuses "unsupported protocol" for a reply it refuses (HTTP/0.9, an SSH banner): once bytes went out,
        // the server may have acted, whatever the code says.
        if requestSent, code == CURLE_UNSUPPORTED_PROTOCOL || code == CURLE_URL_MALFORMAT { return .transfer }
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return .connect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED,
             CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
             CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            return .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_NOT_BUILT_IN,
             CURLE_UNKNOWN_OPTION:
            return .invalidRequest
        default:
            // Partial file, send/recv errors, empty or malformed replies, HTTP/2 stream errors: the request may have
            // been sent, so the honest answer is "broke during the transfer".
            return .transfer
        }
    }

    /// `<label>: <curl's detail>` — the detail is the error buffer's text when curl wrote one (it names the host,
    /// port and cause), else curl's generic text for the code.
    static func error(_ code: CURLcode, detail: String, label: String, requestSent: Bool) -> OutboundHTTPError {
        let text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        return OutboundHTTPError(kind(of: code, requestSent: requestSent), "\(label): \(text) (curl error \(code.rawValue))")
    }
}
