import Glibc

/// The scheduler's notion of time, injectable so tests move time by hand instead of waiting for it.
public protocol SchedulerClock: Sendable {
    /// Wall-clock time in Unix milliseconds.
    func nowMs() -> Int64
    /// Returns once `nowMs() >= deadlineMs`; throws `CancellationError` when the task is cancelled first.
    func sleep(untilMs deadlineMs: Int64) async throws
}

/// Real time. Sleeps in slices of at most a minute so that a wall-clock step (NTP, a suspended VM) delays a job by at
/// most that much instead of by the size of the step.
public struct SystemSchedulerClock: SchedulerClock {
    public init() {}

    public func nowMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    public func sleep(untilMs deadlineMs: Int64) async throws {
        while true {
            let remaining = deadlineMs - nowMs()
            if remaining <= 0 { return }
            try await Task.sleep(nanoseconds: UInt64(min(remaining, 60_000)) * 1_000_000)
        }
    }
}
