// The handler-module contract (see README.md). It depends on no other target.

/// The version of the module contract. A module declares the version it was built for; the gateway refuses versions it does
/// not support. Major changes break modules; minor ones only add.
public struct ContractVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int
    public init(major: Int, minor: Int) { self.major = major; self.minor = minor }

    /// The version this build of the gateway implements.
    public static let current = ContractVersion(major: 0, minor: 5)

    public static func < (a: ContractVersion, b: ContractVersion) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
    public var description: String { "\(major).\(minor)" }

    /// A module built for `version` runs on this gateway when the majors match and the gateway is at least as new.
    public static func isSupported(_ version: ContractVersion) -> Bool {
        version.major == current.major && version <= current
    }
}
