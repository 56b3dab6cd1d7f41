@testable import EventLoop
import XCTest

final class TimerHeapTests: XCTestCase {
    func testPopsInDeadlineOrderWithCancellationsAndRearms() {
        var heap = TimerHeap()
        var generator = SystemRandomNumberGenerator()
        var timers: [LoopTimer] = []
        for _ in 0..<100_000 {
            let timer = LoopTimer {}
            heap.insertOrUpdate(timer, deadline: UInt64.random(in: 0..<1_000_000, using: &generator))
            timers.append(timer)
        }
        // Cancel a third, re-arm a third: both must keep the heap ordered.
        for (i, timer) in timers.enumerated() {
            if i % 3 == 0 { heap.remove(timer) }
            if i % 3 == 1 { heap.insertOrUpdate(timer, deadline: UInt64.random(in: 0..<1_000_000, using: &generator)) }
        }
        XCTAssertEqual(heap.count, timers.count - (timers.count + 2) / 3)
        // Advance the clock through every live deadline: each timer must come out exactly when its deadline is reached.
        let deadlines = Set(timers.filter(\.isArmed).map(\.deadlineMs)).sorted()
        var previous: UInt64? = nil
        var popped = 0
        for now in deadlines {
            while let timer = heap.popDue(now: now) {
                XCTAssertLessThanOrEqual(timer.deadlineMs, now)
                if let previous { XCTAssertGreaterThan(timer.deadlineMs, previous, "fired late") }
                XCTAssertFalse(timer.isArmed)
                popped += 1
            }
            previous = now
        }
        XCTAssertEqual(popped, timers.count - (timers.count + 2) / 3)
        for (i, timer) in timers.enumerated() where i % 3 == 0 { XCTAssertFalse(timer.isArmed) }
    }

    func testEqualDeadlinesFireInArmingOrder() {
        var heap = TimerHeap()
        var fired: [Int] = []
        let timers = (0..<10).map { i in LoopTimer { fired.append(i) } }
        for timer in timers { heap.insertOrUpdate(timer, deadline: 5) }
        while let timer = heap.popDue(now: 5) { timer.action() }
        XCTAssertEqual(fired, Array(0..<10))
    }

    func testPushingADeadlineLaterIsHonouredWithoutRefiling() {
        var heap = TimerHeap()
        let timer = LoopTimer {}
        heap.insertOrUpdate(timer, deadline: 100)
        heap.insertOrUpdate(timer, deadline: 300)
        XCTAssertNil(heap.popDue(now: 100), "the old deadline no longer fires")
        XCTAssertNil(heap.popDue(now: 299))
        XCTAssertTrue(heap.popDue(now: 300) === timer)
        heap.insertOrUpdate(timer, deadline: 500)
        heap.insertOrUpdate(timer, deadline: 50)
        XCTAssertTrue(heap.popDue(now: 50) === timer, "an earlier deadline moves the timer up at once")
    }

    func testNothingIsDueBeforeItsDeadline() {
        var heap = TimerHeap()
        heap.insertOrUpdate(LoopTimer {}, deadline: 100)
        XCTAssertNil(heap.popDue(now: 99))
        XCTAssertNotNil(heap.popDue(now: 100))
    }
}
