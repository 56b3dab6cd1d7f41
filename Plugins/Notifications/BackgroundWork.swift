import Synchronization

/// Work that outlives the request that started it (a fallback SMS may take seconds of retries; the main backend's
/// create call should not wait for it). `drain` lets `stop()` finish it before the gateway exits.
final class BackgroundWork: Sendable {
    private let tasks = Mutex<[Int: Task<Void, Never>]>([:])
    private let nextId = Atomic<Int>(0)

    func run(_ body: @escaping @Sendable () async -> Void) {
        let id = nextId.add(1, ordering: .relaxed).newValue
        // Stored under the lock before the task can remove itself (its removal waits for the lock).
        tasks.withLock { tasks in
            tasks[id] = Task {
                await body()
                self.tasks.withLock { _ = $0.removeValue(forKey: id) }
            }
        }
    }

    func drain() async {
        while true {
            let running = tasks.withLock { Array($0.values) }
            if running.isEmpty { return }
            for task in running { await task.value }
        }
    }
}
