/// The configuration while it is being assembled; TLS stays in loose fields until the end because it only exists
/// when both the certificate and the key are known.
struct ConfigurationDraft {
    var configuration = GatewayConfiguration(blank: ())
    var tlsCertificate: String?
    var tlsKey: String?
    var tlsSNI: [GatewayConfiguration.CertificatePair] = []
    var tlsHandshakeTimeoutMs = 0
    var tlsRedirectPort = 0
    var tlsHSTSMaxAgeSeconds = 0
}

/// The option table. Adding an option here is all it takes for it to be read from the file, env and flags,
/// validated, and listed by `--help`.
enum GatewayOptions {
    /// A day. Timeouts are turned into nanoseconds downstream; without a ceiling a huge value would overflow there.
    static let maxDurationMs = 86_400_000

    static let all: [OptionSpec] = [
        OptionSpec("host", env: "GATEWAY_HOST", flag: "--host", kind: .string, default: .string("0.0.0.0"),
                   help: "Address to listen on.") { $0.configuration.host = $1.string },
        OptionSpec("port", env: "GATEWAY_PORT", flag: "--port", kind: .int(1...65535), default: .int(3000),
                   help: "TCP port for HTTP, or HTTPS when TLS is on.") { $0.configuration.port = $1.int },
        OptionSpec("loops", env: "GATEWAY_LOOPS", flag: "--loops", kind: .int(0...256), default: .int(0),
                   help: "Event-loop threads; 0 = one per CPU core.") { $0.configuration.loops = $1.int },
        OptionSpec("dataDir", env: "GATEWAY_DATA_DIR", flag: "--data-dir", kind: .path, default: .string("./data"),
                   help: "Directory for persistent data; relative to the working directory.") {
            $0.configuration.dataDir = $1.string
        },
        OptionSpec("logLevel", env: "GATEWAY_LOG_LEVEL", flag: "--log-level",
                   kind: .enumeration(GatewayConfiguration.LogLevel.allCases.map(\.rawValue)), default: .string("info"),
                   help: "Least severe log level written.") {
            $0.configuration.logLevel = GatewayConfiguration.LogLevel(rawValue: $1.string)!
        },
        OptionSpec("maxConnections", env: "GATEWAY_MAX_CONNECTIONS", kind: .int(1...Int.max), default: .int(100_000),
                   help: "Open connections beyond this are refused.") { $0.configuration.maxConnections = $1.int },
        OptionSpec("shutdownTimeoutMs", env: "GATEWAY_SHUTDOWN_TIMEOUT_MS", kind: .durationMs(0...maxDurationMs),
                   default: .int(10_000),
                   help: "On SIGTERM, time given to connections to finish before they are closed.") {
            $0.configuration.shutdownTimeoutMs = $1.int
        },

        OptionSpec("tls.certificate", env: "GATEWAY_TLS_CERT", flag: "--tls-cert", kind: .path, default: nil,
                   help: "PEM certificate chain; TLS is on when this and tls.key are both set.") {
            $0.tlsCertificate = $1.string
        },
        OptionSpec("tls.key", env: "GATEWAY_TLS_KEY", flag: "--tls-key", kind: .path, default: nil,
                   help: "PEM private key for tls.certificate.") { $0.tlsKey = $1.string },
        OptionSpec("tls.sni", kind: .certificatePairs, default: .pairs([]),
                   help: #"Extra certificates chosen by SNI: [{"certificate": PATH, "key": PATH}, ...]. Config file only."#) {
            $0.tlsSNI = $1.pairs
        },
        OptionSpec("tls.handshakeTimeoutMs", env: "GATEWAY_TLS_HANDSHAKE_TIMEOUT_MS", kind: .durationMs(1...maxDurationMs),
                   default: .int(10_000), help: "A TLS handshake not done by then is dropped.") {
            $0.tlsHandshakeTimeoutMs = $1.int
        },
        OptionSpec("tls.redirectPort", env: "GATEWAY_HTTP_REDIRECT_PORT", flag: "--redirect-port", kind: .int(0...65535),
                   default: .int(0), help: "Plain-HTTP port that answers 308 to https; 0 = off. Needs TLS.") {
            $0.tlsRedirectPort = $1.int
        },
        OptionSpec("tls.hstsMaxAgeSeconds", env: "GATEWAY_HSTS_MAX_AGE", kind: .int(0...Int.max), default: .int(31_536_000),
                   help: "max-age of the Strict-Transport-Security header; 0 = no header.") {
            $0.tlsHSTSMaxAgeSeconds = $1.int
        },

        OptionSpec("http.maxRequestLineBytes", kind: .int(1...Int.max), default: .int(8192),
                   help: "Longest request line; longer gets 414.") { $0.configuration.http.maxRequestLineBytes = $1.int },
        OptionSpec("http.maxHeaderBytes", kind: .int(1...Int.max), default: .int(16_384),
                   help: "Largest header block; larger gets 431.") { $0.configuration.http.maxHeaderBytes = $1.int },
        OptionSpec("http.maxHeaderCount", kind: .int(1...Int.max), default: .int(100),
                   help: "Most header fields in one request; more gets 431.") {
            $0.configuration.http.maxHeaderCount = $1.int
        },
        OptionSpec("http.maxBodyBytes", env: "GATEWAY_MAX_BODY_BYTES", kind: .int(1...Int.max), default: .int(1_000_000),
                   help: "Largest request body; larger gets 413.") { $0.configuration.http.maxBodyBytes = $1.int },
        OptionSpec("http.headerTimeoutMs", kind: .durationMs(1...maxDurationMs), default: .int(10_000),
                   help: "The request head must arrive within this time, else 408.") {
            $0.configuration.http.headerTimeoutMs = $1.int
        },
        OptionSpec("http.idleTimeoutMs", kind: .durationMs(1...maxDurationMs), default: .int(30_000),
                   help: "Idle keep-alive connections are closed after this time.") {
            $0.configuration.http.idleTimeoutMs = $1.int
        },
        OptionSpec("http.compressionThresholdBytes", kind: .int(0...Int.max), default: .int(1024),
                   help: "Responses smaller than this are not compressed.") {
            $0.configuration.http.compressionThresholdBytes = $1.int
        },
        OptionSpec("http.cors.origins", env: "GATEWAY_CORS_ORIGINS", kind: .stringList,
                   default: .strings(["http://localhost:5173"]),
                   help: #"Allowed CORS origins as scheme://host[:port]; "*" allows any. The default is the React dev server."#,
                   validate: validateOrigins) { $0.configuration.http.corsOrigins = $1.strings },
        OptionSpec("http.cors.credentials", kind: .bool, default: .bool(true),
                   help: "Send Access-Control-Allow-Credentials: true.") {
            $0.configuration.http.corsCredentials = $1.bool
        },

        OptionSpec("connection.writeHighWatermarkBytes", kind: .int(1...Int.max), default: .int(65_536),
                   help: "Buffered outgoing bytes above which a connection stops reading.") {
            $0.configuration.connection.writeHighWatermarkBytes = $1.int
        },
        OptionSpec("connection.writeLowWatermarkBytes", kind: .int(0...Int.max), default: .int(16_384),
                   help: "Reading resumes below this; must be less than the high watermark.") {
            $0.configuration.connection.writeLowWatermarkBytes = $1.int
        },
        OptionSpec("connection.maxWriteBufferBytes", kind: .int(1...Int.max), default: .int(4_194_304),
                   help: "A connection with more buffered outgoing bytes is closed; at least the high watermark.") {
            $0.configuration.connection.maxWriteBufferBytes = $1.int
        },

        OptionSpec("websocket.echoPath", env: "GATEWAY_WS_ECHO_PATH", kind: .string, default: nil,
                   help: "Serve a WebSocket echo endpoint (for the Autobahn test suite) at this path, e.g. /ws-echo; unset = off.",
                   validate: validateEchoPath) { $0.configuration.websocket.echoPath = $1.string },
        OptionSpec("websocket.maxMessageBytes", kind: .int(1...Int.max), default: .int(1_000_000),
                   help: "Largest WebSocket message accepted; larger closes the connection with 1009.") {
            $0.configuration.websocket.maxMessageBytes = $1.int
        },
        OptionSpec("websocket.echoMaxMessageBytes", kind: .int(1...Int.max), default: .int(16_777_216),
                   help: "Largest message the echo endpoint accepts.") {
            $0.configuration.websocket.echoMaxMessageBytes = $1.int
        },
        OptionSpec("websocket.compression", kind: .bool, default: .bool(true),
                   help: "Negotiate permessage-deflate with clients that offer it.") {
            $0.configuration.websocket.compression = $1.bool
        },
        OptionSpec("websocket.closeTimeoutMs", kind: .durationMs(1...maxDurationMs), default: .int(5_000),
                   help: "After a WebSocket Close is sent, TCP is closed if the peer has not answered within this time.") {
            $0.configuration.websocket.closeTimeoutMs = $1.int
        },
    ] + socketIOOptions + storageOptions + authOptions + httpClientOptions

    static let byKey: [String: OptionSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0) })
    static let byFlag: [String: OptionSpec] = Dictionary(uniqueKeysWithValues: all.compactMap { spec in
        spec.flag.map { ($0, spec) }
    })

    /// Objects in the file that group options (`tls`, `http`, `http.cors`, `connection`), derived from the keys.
    static let sections: Set<String> = Set(all.flatMap { spec in
        let parts = spec.key.split(separator: ".")
        return (1..<max(parts.count, 1)).map { parts.prefix($0).joined(separator: ".") }
    })

    private static let validateEchoPath: @Sendable (OptionValue) -> ParseFailure? = { value in
        let path = value.string
        guard path.hasPrefix("/"), !path.contains("?"), !path.contains(" ") else {
            return ParseFailure(message: "must be an absolute path without query, like /ws-echo, got \(path.debugDescription)")
        }
        return nil
    }

    /// A browser sends `Origin` as exactly scheme://host[:port], so anything else (a path, a trailing slash) can never
    /// match and would silently break CORS.
    private static let validateOrigins: @Sendable (OptionValue) -> ParseFailure? = { value in
        for (index, origin) in value.strings.enumerated() where origin != "*" {
            guard let schemeEnd = origin.range(of: "://"),
                  ["http", "https"].contains(origin[..<schemeEnd.lowerBound].lowercased()),
                  !origin[schemeEnd.upperBound...].isEmpty,
                  !origin[schemeEnd.upperBound...].contains("/") else {
                return ParseFailure(keySuffix: "[\(index)]",
                                    message: #"must be "*" or scheme://host[:port] with no path, got \#(origin.debugDescription)"#)
            }
        }
        return nil
    }
}

extension GatewayConfiguration.TLSSettings {
    /// TLS with the table's defaults for everything but the certificates (for tests and embedding).
    public init(certificate: String, key: String, sni: [GatewayConfiguration.CertificatePair] = []) {
        func defaultInt(_ key: String) -> Int { GatewayOptions.byKey[key]!.defaultValue!.int }
        self.init(certificate: certificate, key: key, sni: sni,
                  handshakeTimeoutMs: defaultInt("tls.handshakeTimeoutMs"),
                  redirectPort: defaultInt("tls.redirectPort"),
                  hstsMaxAgeSeconds: defaultInt("tls.hstsMaxAgeSeconds"))
    }
}
