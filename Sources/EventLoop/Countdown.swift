import Synchronization

/// Runs `completion` once, when `signal()` has been called `count` times, from whichever loops: how a shutdown that fans
/// out to every loop learns that all of them are done.
public final class Countdown: Sendable {
    private let remaining: Atomic<Int>
    private let completion: @Sendable () -> Void

    public init(_ count: Int, completion: @escaping @Sendable () -> Void) {
        remaining = Atomic(count)
        self.completion = completion
        if count == 0 { completion() }
    }

    public func signal() {
        if remaining.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue == 0 { completion() }
    }
}
