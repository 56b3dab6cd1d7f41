/// A timer armed on one loop. The object is the handle: re-arming it (`EventLoop.schedule(_:at:)`) moves it in the heap
/// without allocating, which is what per-connection heartbeats and timeouts do all the time.
public final class LoopTimer {
    public internal(set) var deadlineMs: UInt64 = 0
    /// Position in the heap, or -1 when not armed.
    var heapIndex = -1
    /// Breaks ties between equal deadlines so timers fire in arming order.
    var sequence: UInt64 = 0
    let action: () -> Void

    public init(_ action: @escaping () -> Void) { self.action = action }
    public var isArmed: Bool { heapIndex >= 0 }
}

/// Min-heap of timers by deadline, intrusive (each timer knows its index), so arm, cancel and re-arm are O(log n)
/// with 100k armed — Redis' unsorted list would be O(n) per tick.
struct TimerHeap {
    private var items: [LoopTimer] = []
    private var nextSequence: UInt64 = 0

    var count: Int { items.count }
    var earliestDeadline: UInt64? { items.first?.deadlineMs }

    mutating func insertOrUpdate(_ timer: LoopTimer, deadline: UInt64) {
        timer.deadlineMs = deadline
        timer.sequence = nextSequence
        nextSequence &+= 1
        if timer.heapIndex >= 0 {
            let i = timer.heapIndex
            if !siftUp(i) { siftDown(i) }
        } else {
            timer.heapIndex = items.count
            items.append(timer)
            _ = siftUp(items.count - 1)
        }
    }

    mutating func remove(_ timer: LoopTimer) {
        let i = timer.heapIndex
        guard i >= 0, i < items.count, items[i] === timer else { return }
        let last = items.count - 1
        if i != last {
            swapAt(i, last)
        }
        items.removeLast()
        timer.heapIndex = -1
        if i < items.count, !siftUp(i) { siftDown(i) }
    }

    /// Removes and returns the earliest timer if it is due.
    mutating func popDue(now: UInt64) -> LoopTimer? {
        guard let first = items.first, first.deadlineMs <= now else { return nil }
        remove(first)
        return first
    }

    @inline(__always) private func less(_ a: Int, _ b: Int) -> Bool {
        let x = items[a], y = items[b]
        return x.deadlineMs < y.deadlineMs || (x.deadlineMs == y.deadlineMs && x.sequence < y.sequence)
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        items.swapAt(a, b)
        items[a].heapIndex = a
        items[b].heapIndex = b
    }

    /// Returns true when the element moved.
    @discardableResult private mutating func siftUp(_ start: Int) -> Bool {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { break }
            swapAt(i, parent)
            i = parent
        }
        return i != start
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let n = items.count
        while true {
            let left = 2 * i + 1
            guard left < n else { return }
            var smallest = left
            if left + 1 < n, less(left + 1, left) { smallest = left + 1 }
            guard less(smallest, i) else { return }
            swapAt(i, smallest)
            i = smallest
        }
    }
}
