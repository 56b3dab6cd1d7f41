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
        var last: UInt64 = 0
        var popped = 0
        while let timer = heap.popDue(now: .max) {
            XCTAssertGreaterThanOrEqual(timer.deadlineMs, last)
            XCTAssertFalse(timer.isArmed)
            last = timer.deadlineMs
            popped += 1
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

    func testNothingIsDueBeforeItsDeadline() {
        var heap = TimerHeap()
        heap.insertOrUpdate(LoopTimer {}, deadline: 100)
        XCTAssertNil(heap.popDue(now: 99))
        XCTAssertNotNil(heap.popDue(now: 100))
    }
}
