import Foundation

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
