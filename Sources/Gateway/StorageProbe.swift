import CSQLite
import Dispatch
import EventLoop
import Foundation

/// The embedded SQLite database under the data directory, opened at start-up in WAL mode. Until the storage layer lands
/// (module tables, batched writes), it answers `/readyz`: a query runs on its own queue, never on an event loop, so a
/// slow disk cannot stall a socket.
final class StorageProbe: @unchecked Sendable {
    let path: String
    private let queue = DispatchQueue(label: "fitmate.storage-probe")
    private var database: OpaquePointer?

    init(dataDirectory: String) throws(GatewayStartError) {
        try DataDirectory.prepare(dataDirectory)
        path = dataDirectory + "/gateway.sqlite3"
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw GatewayStartError("dataDir: cannot open \(path): \(message)")
        }
        database = handle
        guard execute("PRAGMA journal_mode=WAL") else {
            throw GatewayStartError("dataDir: cannot use \(path): \(String(cString: sqlite3_errmsg(handle)))")
        }
    }

    deinit { sqlite3_close(database) }

    /// Runs a trivial query off the loops and reports whether the database answered.
    func check(_ completion: @escaping @Sendable (Bool) -> Void) {
        queue.async { [self] in completion(execute("SELECT 1")) }
    }

    private func execute(_ sql: String) -> Bool {
        sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK
    }
}

enum DataDirectory {
    /// Creates the data directory (owner-only: it will hold keys and user data) or checks that it is writable.
    static func prepare(_ path: String) throws(GatewayStartError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw GatewayStartError("dataDir: \(path) exists and is not a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw GatewayStartError("dataDir: cannot create \(path): \(error.localizedDescription)")
            }
        }
        guard access(path, W_OK) == 0 else { throw GatewayStartError("dataDir: \(path) is not writable") }
    }
}

/// Why the gateway could not start; names the configuration key to fix.
public struct GatewayStartError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
