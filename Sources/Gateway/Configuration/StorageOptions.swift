extension GatewayConfiguration {
    /// The embedded SQLite database.
    public struct StorageSettings: Sendable, Equatable {
        /// Empty: `<dataDir>/gateway.sqlite3`.
        public var path = ""
        public var synchronous = "normal"
        public var readers = 2
        public var maxBatch = 512
        public var busyTimeoutMs = 5_000
        public var statementCacheSize = 64
        public init() {}
    }

    public var resolvedStoragePath: String { storage.path.isEmpty ? dataDir + "/gateway.sqlite3" : storage.path }
}

extension GatewayOptions {
    static let storageOptions: [OptionSpec] = [
        OptionSpec("storage.path", env: "GATEWAY_STORAGE_PATH", kind: .path, default: .string(""),
                   help: "SQLite database file; empty = <dataDir>/gateway.sqlite3.") { $0.configuration.storage.path = $1.string },
        OptionSpec("storage.synchronous", env: "GATEWAY_STORAGE_SYNCHRONOUS", kind: .enumeration(["normal", "full"]),
                   default: .string("normal"),
                   help: "normal: a commit survives a crash of the process; full: also a power loss (one more fsync per commit).") {
            $0.configuration.storage.synchronous = $1.string
        },
        OptionSpec("storage.readers", env: "GATEWAY_STORAGE_READERS", kind: .int(1...64), default: .int(2),
                   help: "Reader threads (each with its own connection) for read-only queries.") {
            $0.configuration.storage.readers = $1.int
        },
        OptionSpec("storage.maxBatch", env: "GATEWAY_STORAGE_MAX_BATCH", kind: .int(1...100_000), default: .int(512),
                   help: "Most writes grouped into one commit.") { $0.configuration.storage.maxBatch = $1.int },
        OptionSpec("storage.busyTimeoutMs", env: "GATEWAY_STORAGE_BUSY_TIMEOUT_MS", kind: .durationMs(0...maxDurationMs),
                   default: .int(5_000),
                   help: "How long a statement waits for a lock held by another process.") {
            $0.configuration.storage.busyTimeoutMs = $1.int
        },
        OptionSpec("storage.statementCacheSize", env: "GATEWAY_STORAGE_STATEMENT_CACHE_SIZE",
                   kind: .int(1...10_000), default: .int(64),
                   help: "Prepared statements kept per connection.") { $0.configuration.storage.statementCacheSize = $1.int },
    ]
}
