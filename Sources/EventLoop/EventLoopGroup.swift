import CLinux
import Glibc
import Synchronization

/// N loops on N threads. Connections are placed by the kernel (shared listener) or round-robin (`next()`).
public final class EventLoopGroup: Sendable {
    public let loops: [EventLoop]
    private let cursor = Atomic<Int>(0)
    private let threads = Mutex<[pthread_t]>([])

    /// `count` 0 means one loop per online CPU core.
    public init(count: Int = 0) throws(SystemError) {
        let n = count > 0 ? count : max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        var loops: [EventLoop] = []
        for i in 0..<n { loops.append(try EventLoop(index: i)) }
        self.loops = loops
    }

    public func next() -> EventLoop {
        loops[cursor.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
    }

    /// Starts one thread per loop. With `pinToCores`, loop i runs on CPU i mod cores (one loop per core, no migration).
    public func start(pinToCores: Bool = false) {
        let cores = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        var started: [pthread_t] = []
        for loop in loops {
            let context = Unmanaged.passRetained(LoopThreadContext(loop: loop, cpu: pinToCores ? loop.index % cores : -1))
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let context = Unmanaged<LoopThreadContext>.fromOpaque(raw!).takeRetainedValue()
                if context.cpu >= 0 { _ = clinux_pin_current_thread(Int32(context.cpu)) }
                context.loop.run()
                return nil
            }, context.toOpaque())
            precondition(status == 0, "pthread_create failed: \(status)")
            started.append(thread)
        }
        threads.withLock { $0 = started }
    }

    /// Stops every loop and waits for its thread to end.
    public func shutdown() {
        for loop in loops { loop.stop() }
        waitUntilStopped()
    }

    /// Blocks until every loop thread has returned.
    public func waitUntilStopped() {
        let threads = self.threads.withLock { threads -> [pthread_t] in
            let all = threads
            threads = []
            return all
        }
        for thread in threads { pthread_join(thread, nil) }
    }
}

private final class LoopThreadContext {
    let loop: EventLoop
    let cpu: Int
    init(loop: EventLoop, cpu: Int) {
        self.loop = loop
        self.cpu = cpu
    }
}
