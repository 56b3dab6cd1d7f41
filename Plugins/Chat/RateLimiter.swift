import GatewayProtocol
import Synchronization

/// A token bucket per user: `burst` messages at once, refilled at `perSecond`. Per node (with several gateways a user's
/// sockets on different nodes each get the allowance); kept in memory because a limit checked through storage would cost
/// a round trip per message.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedMs: Int64
    }

    private let perSecond: Double
    private let burst: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Past this many users, full buckets (idle for long enough to refill) are dropped so memory stays bounded.
    private let pruneAbove = 10_000

    init(perSecond: Int, burst: Int) {
        self.perSecond = Double(perSecond)
        self.burst = Double(burst)
    }

    /// Takes one token; false when the user has none left.
    func allow(_ userId: String, nowMs: Int64) -> Bool {
        buckets.withLock { buckets in
            var bucket = buckets[userId] ?? Bucket(tokens: burst, updatedMs: nowMs)
            let elapsed = Double(max(0, nowMs - bucket.updatedMs)) / 1000
            bucket.tokens = min(burst, bucket.tokens + elapsed * perSecond)
            bucket.updatedMs = nowMs
            guard bucket.tokens >= 1 else {
                buckets[userId] = bucket
                return false
            }
            bucket.tokens -= 1
            buckets[userId] = bucket
            if buckets.count > pruneAbove { prune(&buckets, nowMs: nowMs) }
            return true
        }
    }

    private func prune(_ buckets: inout [String: Bucket], nowMs: Int64) {
        let refillMs = Int64(burst / perSecond * 1000) + 1
        buckets = buckets.filter { nowMs - $0.value.updatedMs < refillMs }
    }
}
