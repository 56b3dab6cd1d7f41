import Synchronization

/// Open connections across all loops, against the configured maximum. Shared by the listeners of one server.
public final class ConnectionCounter: Sendable {
    public let limit: Int
    private let open = Atomic<Int>(0)

    public init(limit: Int) { self.limit = limit }

    public var count: Int { open.load(ordering: .relaxed) }

    /// Takes a slot, or returns false when the limit is reached.
    func acquire() -> Bool {
        if open.wrappingAdd(1, ordering: .relaxed).newValue > limit {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() { open.wrappingSubtract(1, ordering: .relaxed) }
}
