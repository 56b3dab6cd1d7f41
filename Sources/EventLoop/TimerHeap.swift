/// A timer armed on one loop. The object is the handle: re-arming it (`EventLoop.schedule(_:at:)`) moves it in the heap
/// without allocating, which is what per-connection heartbeats and timeouts do all the time.
public final class LoopTimer {
    /// When the timer fires.
    public internal(set) var deadlineMs: UInt64 = 0
    /// The heap's key: never later than `deadlineMs`. Pushing a deadline later (what an idle timeout does on every
    /// request) only changes `deadlineMs`; the heap re-files the timer when the old key comes due.
    var heapKeyMs: UInt64 = 0
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
    /// A lower bound of the next deadline (exact unless the first timer was pushed later since it was filed).
    var earliestDeadline: UInt64? { items.first?.heapKeyMs }

    mutating func insertOrUpdate(_ timer: LoopTimer, deadline: UInt64) {
        timer.deadlineMs = deadline
        if timer.heapIndex >= 0 && deadline >= timer.heapKeyMs { return }
        timer.heapKeyMs = deadline
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
        while let first = items.first, first.heapKeyMs <= now {
            if first.deadlineMs > now {
                // Pushed later since it was filed: re-file at its real deadline, keeping its arming order.
                first.heapKeyMs = first.deadlineMs
                siftDown(0)
                continue
            }
            remove(first)
            return first
        }
        return nil
    }

    @inline(__always) private func less(_ a: Int, _ b: Int) -> Bool {
        let x = items[a], y = items[b]
        return x.heapKeyMs < y.heapKeyMs || (x.heapKeyMs == y.heapKeyMs && x.sequence < y.sequence)
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
