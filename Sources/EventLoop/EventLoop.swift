import CLinux
import Glibc
import Synchronization

/// Told by its loop that its file descriptor is ready. Called on the loop's thread only.
public protocol IOHandler: AnyObject {
    func handleIO(readable: Bool, writable: Bool, hangup: Bool)
}

/// Which readiness a registration asks for.
public struct IOInterest: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let readable = IOInterest(rawValue: 1)
    public static let writable = IOInterest(rawValue: 2)
    public static let exclusive = IOInterest(rawValue: 4)

    var epollEvents: UInt32 {
        // EPOLLEXCLUSIVE admits only IN/OUT (the kernel refuses RDHUP beside it); listeners need nothing else.
        var events: UInt32 = contains(.exclusive) ? CLINUX_EPOLLEXCLUSIVE : 0
        // RDHUP only together with IN: it is level-triggered, so a connection whose reading is paused (backpressure,
        // pipeline limit, closing after flush) would otherwise be woken again and again by a peer that half-closed,
        // spinning its loop until it resumes. HUP and ERR are always reported, so a reset is still noticed.
        if contains(.readable) { events |= CLINUX_EPOLLIN | (contains(.exclusive) ? 0 : CLINUX_EPOLLRDHUP) }
        if contains(.writable) { events |= CLINUX_EPOLLOUT }
        return events
    }
}

/// One epoll reactor on one thread. Everything but `execute(_:)`, `stop()` and `isInLoop` must be called on the loop's
/// thread: the state below takes no lock, which is the point (a connection is confined to its loop for life).
public final class EventLoop: @unchecked Sendable {
    public let index: Int
    private let epollFD: Int32
    private let wakeFD: Int32

    /// Registrations indexed by fd. The generation, packed beside the fd in `epoll_data`, makes an event that was queued for a
    /// closed fd harmless when the number is reused within the same poll batch.
    private struct Slot {
        var generation: UInt32 = 0
        var handler: IOHandler?
        var interest: IOInterest = []
    }
    private var slots: [Slot] = []
    private var nextGeneration: UInt32 = 1

    private var timers = TimerHeap()
    private var beforeSleepActions: [() -> Void] = []
    private var flushQueue: [Connection] = []

    private struct RemoteQueue: ~Copyable {
        var tasks: [@Sendable () -> Void] = []
        var stopRequested = false
    }
    private let remote = Mutex(RemoteQueue())
    /// Tasks of the current drain that have not run yet (loop thread only).
    private var drainedNotYetRun = 0
    private let loopThread = Atomic<UInt>(0)

    public private(set) var nowMs: UInt64 = clinux_monotonic_ms()
    private var running = false

    /// One receive buffer per loop, shared by its connections: a read lands here and is handed up as a borrowed view.
    public let receiveBuffer: UnsafeMutableRawBufferPointer
    /// Staging for TLS writes, which cannot gather (`SSL_write` takes one buffer): one per loop, not per connection.
    let tlsStagingBuffer: UnsafeMutableRawBufferPointer
    public static let receiveBufferSize = 64 * 1024
    static let tlsRecordSize = 16 * 1024

    /// Number of connections currently registered on this loop.
    public internal(set) var connectionCount = 0

    public init(index: Int = 0) throws(SystemError) {
        self.index = index
        // A peer that closes while we write must cost an EPIPE, not the process (OpenSSL writes with plain write(2)).
        _ = clinux_ignore_sigpipe()
        let ep = clinux_epoll_create()
        guard ep >= 0 else { throw SystemError("epoll_create1") }
        let wake = clinux_eventfd()
        guard wake >= 0 else { Glibc.close(ep); throw SystemError("eventfd") }
        epollFD = ep
        wakeFD = wake
        receiveBuffer = .allocate(byteCount: Self.receiveBufferSize, alignment: 16)
        tlsStagingBuffer = .allocate(byteCount: Self.tlsRecordSize, alignment: 16)
        guard clinux_epoll_ctl(ep, CLINUX_EPOLL_CTL_ADD, wake, CLINUX_EPOLLIN, UInt64(UInt32(bitPattern: wake))) == 0 else {
            throw SystemError("epoll_ctl(eventfd)")
        }
    }

    deinit {
        Glibc.close(epollFD)
        Glibc.close(wakeFD)
        receiveBuffer.deallocate()
        tlsStagingBuffer.deallocate()
    }

    // MARK: Thread-safe entry points

    /// Runs `task` on this loop's thread at its next iteration. The only way in from another thread.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        let wasEmpty = remote.withLock { queue -> Bool in
            let wasEmpty = queue.tasks.isEmpty
            queue.tasks.append(task)
            return wasEmpty
        }
        if wasEmpty { wake() }
    }

    /// Asks the loop to return from `run()` after its current iteration.
    public func stop() {
        remote.withLock { $0.stopRequested = true }
        wake()
    }

    /// On the loop's thread: whether tasks handed in from other threads are still waiting to run (queued, or taken for
    /// this iteration but not yet run). Work that must not overtake them (a write ordered after an earlier hand-off)
    /// goes through `execute` instead of running inline while this is true.
    public var hasPendingRemoteTasks: Bool {
        drainedNotYetRun > 0 || remote.withLock { !$0.tasks.isEmpty }
    }

    public var isInLoop: Bool {
        let owner = loopThread.load(ordering: .acquiring)
        return owner != 0 && pthread_equal(pthread_t(owner), pthread_self()) != 0
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    // MARK: Registrations (loop thread)

    public func register(_ fd: Int32, interest: IOInterest, handler: IOHandler) throws(SystemError) {
        let index = Int(fd)
        if index >= slots.count { slots.append(contentsOf: repeatElement(Slot(), count: max(index + 1 - slots.count, slots.count))) }
        let generation = nextGeneration
        nextGeneration &+= 1
        if nextGeneration == 0 { nextGeneration = 1 }
        guard clinux_epoll_ctl(epollFD, CLINUX_EPOLL_CTL_ADD, fd, interest.epollEvents, Self.pack(fd, generation)) == 0 else {
            throw SystemError("epoll_ctl(ADD)")
        }
        slots[index] = Slot(generation: generation, handler: handler, interest: interest)
    }

    public func setInterest(_ fd: Int32, _ interest: IOInterest) {
        let index = Int(fd)
        guard index < slots.count, slots[index].handler != nil, slots[index].interest != interest else { return }
        slots[index].interest = interest
        _ = clinux_epoll_ctl(epollFD, CLINUX_EPOLL_CTL_MOD, fd, interest.epollEvents, Self.pack(fd, slots[index].generation))
    }

    public func unregister(_ fd: Int32) {
        let index = Int(fd)
        guard index < slots.count, slots[index].handler != nil else { return }
        _ = clinux_epoll_ctl(epollFD, CLINUX_EPOLL_CTL_DEL, fd, 0, 0)
        slots[index] = Slot()
    }

    @inline(__always) private static func pack(_ fd: Int32, _ generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    // MARK: Timers (loop thread)

    /// Arms (or re-arms) `timer` to fire `afterMs` from now. Re-arming an armed timer moves it; no allocation.
    public func schedule(_ timer: LoopTimer, afterMs: UInt64) {
        timers.insertOrUpdate(timer, deadline: clinux_monotonic_ms() &+ afterMs)
    }

    @discardableResult
    public func scheduleTimer(afterMs: UInt64, _ action: @escaping () -> Void) -> LoopTimer {
        let timer = LoopTimer(action)
        schedule(timer, afterMs: afterMs)
        return timer
    }

    public func cancel(_ timer: LoopTimer) { timers.remove(timer) }

    public var armedTimerCount: Int { timers.count }

    // MARK: Before-sleep work (loop thread)

    /// Runs `action` once, after this iteration's events and before the loop next sleeps: where writes are batched.
    public func runBeforeSleep(_ action: @escaping () -> Void) { beforeSleepActions.append(action) }

    func enqueueFlush(_ connection: Connection) { flushQueue.append(connection) }

    // MARK: Running

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        loopThread.store(UInt(pthread_self()), ordering: .releasing)
        running = true
        let capacity = 256
        let eventSize = clinux_epoll_event_size()
        let events = UnsafeMutableRawPointer.allocate(byteCount: eventSize * capacity, alignment: 16)
        defer { events.deallocate() }
        while running {
            runDeferredWork()
            let timeout = pollTimeout()
            let n = clinux_epoll_wait(epollFD, events.assumingMemoryBound(to: epoll_event.self), Int32(capacity), timeout)
            nowMs = clinux_monotonic_ms()
            if n < 0 {
                if clinux_errno() == EINTR { continue }
                Log.error("epoll_wait_failed", ["loop": index, "error": SystemError("epoll_wait").description])
                break
            }
            for i in 0..<Int(n) {
                let event = (events + i * eventSize).assumingMemoryBound(to: epoll_event.self)
                dispatch(clinux_epoll_event_data(event), clinux_epoll_event_events(event))
            }
            runDueTimers()
        }
        runDeferredWork()
        loopThread.store(0, ordering: .releasing)
    }

    private func dispatch(_ data: UInt64, _ events: UInt32) {
        let fd = Int32(bitPattern: UInt32(truncatingIfNeeded: data))
        if fd == wakeFD && data >> 32 == 0 {
            drainRemoteQueue()
            return
        }
        let index = Int(fd)
        guard index < slots.count, slots[index].generation == UInt32(data >> 32), let handler = slots[index].handler else { return }
        let hangup = events & (CLINUX_EPOLLHUP | CLINUX_EPOLLERR) != 0
        handler.handleIO(readable: events & (CLINUX_EPOLLIN | CLINUX_EPOLLRDHUP) != 0 || hangup,
                         writable: events & CLINUX_EPOLLOUT != 0, hangup: hangup)
    }

    private func drainRemoteQueue() {
        var counter: UInt64 = 0
        _ = Glibc.read(wakeFD, &counter, 8)
        let (tasks, stop) = remote.withLock { queue -> ([@Sendable () -> Void], Bool) in
            let tasks = queue.tasks
            queue.tasks.removeAll(keepingCapacity: true)
            return (tasks, queue.stopRequested)
        }
        drainedNotYetRun = tasks.count
        for task in tasks {
            drainedNotYetRun -= 1
            task()
        }
        if stop { running = false }
    }

    private func runDueTimers() {
        let now = clinux_monotonic_ms()
        nowMs = now
        while let timer = timers.popDue(now: now) { timer.action() }
    }

    /// Flushes first, then the generic actions; either may enqueue more, so repeat until quiet.
    private func runDeferredWork() {
        while !flushQueue.isEmpty || !beforeSleepActions.isEmpty {
            let flushes = flushQueue
            flushQueue.removeAll(keepingCapacity: true)
            for connection in flushes { connection.flushFromLoop() }
            let actions = beforeSleepActions
            beforeSleepActions.removeAll(keepingCapacity: true)
            for action in actions { action() }
        }
    }

    private func pollTimeout() -> Int32 {
        if remote.withLock({ !$0.tasks.isEmpty || $0.stopRequested }) { return 0 }
        guard let deadline = timers.earliestDeadline else { return -1 }
        let now = clinux_monotonic_ms()
        if deadline <= now { return 0 }
        return Int32(min(deadline - now, 60_000))
    }
}
