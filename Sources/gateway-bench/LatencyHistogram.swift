/// Fixed buckets, no allocation per sample: 1 µs wide below 10 ms, 100 µs wide from 10 ms to 1 s, one overflow bucket.
/// A percentile is reported as its bucket's lower edge, so it is exact to 1 µs below 10 ms and to 1% above.
struct LatencyHistogram: Sendable {
    static let fineLimitUs: UInt64 = 10_000
    static let coarseStepUs: UInt64 = 100
    static let coarseLimitUs: UInt64 = 1_000_000
    static let bucketCount = Int(fineLimitUs + (coarseLimitUs - fineLimitUs) / coarseStepUs) + 1

    private(set) var counts = [UInt64](repeating: 0, count: bucketCount)
    private(set) var total: UInt64 = 0

    @inline(__always)
    mutating func record(nanoseconds: UInt64) {
        let us = nanoseconds / 1000
        let index: Int
        if us < Self.fineLimitUs {
            index = Int(us)
        } else if us < Self.coarseLimitUs {
            index = Int(Self.fineLimitUs + (us - Self.fineLimitUs) / Self.coarseStepUs)
        } else {
            index = Self.bucketCount - 1
        }
        counts[index] &+= 1
        total &+= 1
    }

    mutating func reset() {
        for i in counts.indices { counts[i] = 0 }
        total = 0
    }

    mutating func merge(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] &+= other.counts[i] }
        total &+= other.total
    }

    /// Lower edge in µs of the bucket holding the `fraction` quantile; 0 when empty.
    func percentileUs(_ fraction: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = max(1, UInt64((Double(total) * fraction).rounded(.up)))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() {
            seen &+= count
            if seen >= rank { return Self.lowerEdgeUs(index) }
        }
        return Self.coarseLimitUs
    }

    static func lowerEdgeUs(_ index: Int) -> UInt64 {
        let i = UInt64(index)
        return i < fineLimitUs ? i : fineLimitUs + (i - fineLimitUs) * coarseStepUs
    }
}
