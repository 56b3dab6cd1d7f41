import Synchronization

/// Counts the requests a client has accepted and not yet answered (in flight plus queued), so that `send` can refuse
/// at once, on the caller's thread, when both the transfer slots and the queue are full.
final class AdmissionGate: Sendable {
    private struct State {
        var admitted = 0
        var closed = false
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    enum Refusal { case full, closed }

    /// Takes a place, or says why none is given.
    func admit() -> Refusal? {
        state.withLock { state in
            if state.closed { return .closed }
            if state.admitted >= capacity { return .full }
            state.admitted += 1
            return nil
        }
    }

    /// Gives back the place of an answered request.
    func release() { state.withLock { $0.admitted -= 1 } }

    func close() { state.withLock { $0.closed = true } }

    var admitted: Int { state.withLock { $0.admitted } }
}
