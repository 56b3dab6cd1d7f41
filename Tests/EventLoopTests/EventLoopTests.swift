import EventLoop
import Synchronization
import TestSupport
import XCTest

final class EventLoopTests: XCTestCase {
    func testExecuteFromOtherThreadsRunsOnTheLoopThread() throws {
        let group = try EventLoopGroup(count: 2)
        group.start()
        defer { group.shutdown() }
        let ranOnLoop = Atomic<Int>(0)
        for loop in group.loops {
            for _ in 0..<1000 {
                loop.execute { if loop.isInLoop { ranOnLoop.wrappingAdd(1, ordering: .relaxed) } }
            }
        }
        XCTAssertTrue(waitUntil { ranOnLoop.load(ordering: .relaxed) == 2000 })
        XCTAssertFalse(group.loops[0].isInLoop, "the test thread is not a loop thread")
    }

    func testTimersFireAfterTheirDelayAndCancelledOnesNever() throws {
        let group = try EventLoopGroup(count: 1)
        group.start()
        defer { group.shutdown() }
        let loop = group.loops[0]
        let fired = Mutex<[String]>([])
        let start = Date()
        loop.execute {
            loop.scheduleTimer(afterMs: 100) { fired.withLock { $0.append("late") } }
            loop.scheduleTimer(afterMs: 20) { fired.withLock { $0.append("early") } }
            let cancelled = loop.scheduleTimer(afterMs: 50) { fired.withLock { $0.append("cancelled") } }
            loop.cancel(cancelled)
        }
        XCTAssertTrue(waitUntil { fired.withLock { $0.count } == 2 })
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.1)
        usleep(100_000)
        XCTAssertEqual(fired.withLock { $0 }, ["early", "late"])
    }

    func testHundredThousandArmedTimersOnOneLoop() throws {
        let group = try EventLoopGroup(count: 1)
        group.start()
        defer { group.shutdown() }
        let loop = group.loops[0]
        let fired = Atomic<Int>(0)
        loop.execute {
            for i in 0..<100_000 {
                loop.scheduleTimer(afterMs: UInt64(10 + i % 200)) { fired.wrappingAdd(1, ordering: .relaxed) }
            }
        }
        XCTAssertTrue(waitUntil(timeoutSeconds: 10) { fired.load(ordering: .relaxed) == 100_000 })
    }
}
