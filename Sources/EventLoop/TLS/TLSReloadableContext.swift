import Synchronization

/// Thread-safe holder swapped on SIGHUP. `reload()` builds a new context from the same configuration, re-reading the
/// files; on failure the old one stays in service. Sessions already made keep the context that made them (they
/// retain it), so established connections are unaffected; an old context is freed with its last session.
public final class TLSReloadableContext: Sendable {
    public let configuration: TLSServerConfiguration
    private let state: Mutex<TLSServerContext>

    public init(configuration: TLSServerConfiguration) throws(TLSError) {
        self.configuration = configuration
        self.state = Mutex(try TLSServerContext(configuration: configuration))
    }

    public var current: TLSServerContext {
        state.withLock { $0 }
    }

    @discardableResult
    public func reload() -> Result<Void, TLSError> {
        // Built outside the lock: loading files and keys is slow and loops keep calling `current` meanwhile.
        let fresh: TLSServerContext
        do throws(TLSError) {
            fresh = try TLSServerContext(configuration: configuration)
        } catch {
            return .failure(error)
        }
        let previous = state.withLock { context in
            let previous = context
            context = fresh
            return previous
        }
        // Dropped here, outside the lock, in case this was the last reference and freeing it takes a while.
        _ = previous
        return .success(())
    }
}
