import Foundation

/// Everything the gateway reads at start. Build it with `GatewayCommandLine.load`; `GatewayConfiguration()` gives the
/// defaults (useful in tests). The defaults live in the option table (`GatewayOptions.all`), not here, so the values
/// `--help` prints are the values used.
public struct GatewayConfiguration: Sendable, Equatable {
    public enum LogLevel: String, Sendable, CaseIterable {
        case debug, info, warning, error
    }

    public struct CertificatePair: Sendable, Hashable {
        /// PEM file paths, kept as given; relative ones are resolved against the working directory by the caller.
        public var certificate: String
        public var key: String
        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    public struct TLSSettings: Sendable, Equatable {
        /// The default certificate, also used when a client sends no SNI or an unknown name.
        public var certificate: String
        public var key: String
        /// Extra certificates picked by SNI.
        public var sni: [CertificatePair]
        public var handshakeTimeoutMs: Int
        /// Port of a plain-HTTP listener that answers 308 to https; 0 = no such listener.
        public var redirectPort: Int
        /// 0 = send no Strict-Transport-Security header.
        public var hstsMaxAgeSeconds: Int
    }

    public struct HTTPSettings: Sendable, Equatable {
        public var maxRequestLineBytes: Int
        public var maxHeaderBytes: Int
        public var maxHeaderCount: Int
        public var maxBodyBytes: Int
        /// The request head must be complete within this time, else 408.
        public var headerTimeoutMs: Int
        /// A keep-alive connection with no request in flight is closed after this time.
        public var idleTimeoutMs: Int
        /// Smaller bodies are sent uncompressed; 0 compresses everything compressible.
        public var compressionThresholdBytes: Int
        /// Allowed CORS origins, as `scheme://host[:port]`; `"*"` allows any.
        public var corsOrigins: [String]
        public var corsCredentials: Bool
    }

    public struct ConnectionSettings: Sendable, Equatable {
        /// Above this many buffered outgoing bytes the connection stops reading (back-pressure)...
        public var writeHighWatermarkBytes: Int
        /// ...and resumes once the buffer drains below this. Always < high.
        public var writeLowWatermarkBytes: Int
        /// A peer that lets this much pile up is closed. Always >= high.
        public var maxWriteBufferBytes: Int
    }

    public struct WebSocketSettings: Sendable, Equatable {
        /// Path of the plain WebSocket echo endpoint (for the Autobahn fuzzing client); nil = not served.
        public var echoPath: String?
        /// Largest message accepted by WebSocket endpoints in general (the echo endpoint has its own limit).
        public var maxMessageBytes: Int
        /// Largest message the echo endpoint accepts (Autobahn's 9.x cases send up to 16 MiB).
        public var echoMaxMessageBytes: Int
        /// Negotiate permessage-deflate when the client offers it.
        public var compression: Bool
        /// After sending Close, TCP is closed if the peer has not answered within this time.
        public var closeTimeoutMs: Int
    }

    /// A handler module's section, `modules.<name>`, kept raw because its schema belongs to the module.
    public struct ModuleSettings: Sendable, Equatable {
        /// `enabled` from the section; listing a module without it means it is wanted, hence `true`.
        public var enabled: Bool
        /// The whole section as written, including `enabled`.
        public var raw: [String: ConfigValue]
        public init(enabled: Bool = true, raw: [String: ConfigValue] = [:]) {
            self.enabled = enabled
            self.raw = raw
        }
        public subscript(key: String) -> ConfigValue? { raw[key] }
    }

    public var host: String
    public var port: Int
    /// 0 = one event loop per CPU core; see `resolvedLoopCount`.
    public var loops: Int
    public var dataDir: String
    public var logLevel: LogLevel
    public var maxConnections: Int
    public var shutdownTimeoutMs: Int
    /// nil = plain HTTP.
    public var tls: TLSSettings?
    public var http: HTTPSettings
    public var connection: ConnectionSettings
    public var websocket: WebSocketSettings
    public var modules: [String: ModuleSettings]
    public var socketio = SocketIOSettings()
    public var storage = StorageSettings()
    public var auth = AuthSettings()
    public var httpClient = HTTPClientSettings()

    /// The defaults from the option table.
    public init() {
        self = ConfigurationLoader.defaults()
    }

    /// All-zero values that the option table's defaults are then applied over; never seen outside the loader.
    init(blank: Void) {
        host = ""; port = 0; loops = 0; dataDir = ""; logLevel = .info; maxConnections = 0; shutdownTimeoutMs = 0
        tls = nil
        http = HTTPSettings(maxRequestLineBytes: 0, maxHeaderBytes: 0, maxHeaderCount: 0, maxBodyBytes: 0,
                            headerTimeoutMs: 0, idleTimeoutMs: 0, compressionThresholdBytes: 0,
                            corsOrigins: [], corsCredentials: false)
        connection = ConnectionSettings(writeHighWatermarkBytes: 0, writeLowWatermarkBytes: 0, maxWriteBufferBytes: 0)
        websocket = WebSocketSettings(echoPath: nil, maxMessageBytes: 0, echoMaxMessageBytes: 0, compression: false,
                                      closeTimeoutMs: 0)
        modules = [:]
    }

    public var resolvedLoopCount: Int {
        loops > 0 ? loops : max(1, ProcessInfo.processInfo.activeProcessorCount)
    }
}

/// Every problem found in the configuration or command line, all at once so an operator fixes them in one round.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    /// One line each, naming the key (or flag) and where the value came from.
    public let problems: [String]

    public init(problems: [String]) { self.problems = problems }

    public var description: String {
        problems.map { "config error: \($0)" }.joined(separator: "\n")
    }
}
