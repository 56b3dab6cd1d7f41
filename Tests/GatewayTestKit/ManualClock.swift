import Foundation
import Gateway
import GatewayProtocol

/// A clock the test moves by hand: sleepers wake when `advance` passes their deadline, never on their own. It is both the
/// scheduler's clock and the modules' (`context.clock`), so jobs and handlers agree on "now".
public final class ManualSchedulerClock: SchedulerClock, ModuleClock, @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64
    private var nextID = 0
    private var sleepers: [Int: (deadline: Int64, continuation: CheckedContinuation<Void, Error>)] = [:]
    private var cancelledBeforeSleeping: Set<Int> = []

    public init(nowMs: Int64) { now = nowMs }

    public func nowMs() -> Int64 { lock.withLock { now } }

    /// Deadlines someone is sleeping until, so a test can wait for the scheduler to be idle again.
    public var sleepingUntil: [Int64] { lock.withLock { sleepers.values.map(\.deadline).sorted() } }

    public func advance(toMs target: Int64) {
        let woken: [CheckedContinuation<Void, Error>] = lock.withLock {
            now = max(now, target)
            let due = sleepers.filter { $0.value.deadline <= now }
            for id in due.keys { sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume() }
    }

    public func sleep(untilMs deadline: Int64) async throws {
        let id = lock.withLock { () -> Int in
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                let outcome: Error?? = lock.withLock {
                    if cancelledBeforeSleeping.remove(id) != nil { return .some(CancellationError()) }
                    if now >= deadline { return .some(nil) }
                    sleepers[id] = (deadline, continuation)
                    return nil
                }
                switch outcome {
                case .some(.some(let error)): continuation.resume(throwing: error)
                case .some(.none): continuation.resume()
                case .none: break
                }
            }
        } onCancel: {
            let continuation = lock.withLock { () -> CheckedContinuation<Void, Error>? in
                guard let sleeper = sleepers.removeValue(forKey: id) else {
                    cancelledBeforeSleeping.insert(id)
                    return nil
                }
                return sleeper.continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}
