import EventLoop

/// Fetches a URL's body; the gateway passes its outbound HTTP client, tests a stub. Kept to one function so auth does
/// not depend on how HTTP is done.
public typealias JWKSFetch = @Sendable (_ url: String) async throws -> [UInt8]

/// The keys of a JWKS URL, fetched on first use, kept for `ttlSeconds`, and fetched again early when a token names a
/// `kid` the set lacks (keys rotate) — but at most once per `minRefetchSeconds`, so tokens with made-up ids cannot make
/// the gateway hammer the identity provider.
actor JWKSCache {
    let url: String
    private let fetch: JWKSFetch
    private let ttlSeconds: Double
    private let minRefetchSeconds: Double
    private let now: @Sendable () -> Double

    private var keys: [JWTKey] = []
    private var fetchedAt: Double?
    private var lastAttempt: Double?
    /// Concurrent verifications share one fetch instead of each starting their own.
    private var inFlight: Task<Result<[JWTKey], JWKSFailure>, Never>?

    init(url: String, fetch: @escaping JWKSFetch, ttlSeconds: Double, minRefetchSeconds: Double,
         now: @escaping @Sendable () -> Double = JWKSCache.monotonicSeconds) {
        self.url = url
        self.fetch = fetch
        self.ttlSeconds = ttlSeconds
        self.minRefetchSeconds = minRefetchSeconds
        self.now = now
    }

    /// The current keys. `missingKeyId` asks for a refresh because a token named a key the cached set lacks.
    func keys(missingKeyId: String? = nil) async throws(AuthError) -> [JWTKey] {
        let time = now()
        let stale = fetchedAt.map { time - $0 >= ttlSeconds } ?? true
        let wantsRotation = missingKeyId.map { id in !keys.contains { $0.id == id } } ?? false
        let mayFetch = lastAttempt.map { time - $0 >= minRefetchSeconds } ?? true
        // A fetch under way is joined even inside the refetch interval: it is the one that interval is waiting for.
        if inFlight != nil || ((stale || wantsRotation) && mayFetch) {
            try await refresh()
        }
        guard fetchedAt != nil else { throw .keysUnavailable("the identity provider's keys could not be loaded") }
        return keys
    }

    /// The reason a fetch failed goes to the log only: clients learn that keys are unavailable, not how the provider failed.
    private func refresh() async throws(AuthError) {
        let task: Task<Result<[JWTKey], JWKSFailure>, Never>
        if let inFlight {
            task = inFlight
        } else {
            lastAttempt = now()
            let (fetch, url) = (self.fetch, self.url)
            task = Task {
                do {
                    return .success(try JWKS.parse(try await fetch(url)))
                } catch let problem as JWKS.Problem {
                    return .failure(JWKSFailure(reason: "invalid JWKS: \(problem)"))
                } catch {
                    return .failure(JWKSFailure(reason: "fetch failed: \(error)"))
                }
            }
            inFlight = task
        }
        let result = await task.value
        if inFlight == task { inFlight = nil }
        switch result {
        case .success(let fresh):
            keys = fresh
            fetchedAt = now()
            Log.info("jwks_fetched", ["url": url, "keys": fresh.count])
        case .failure(let failure):
            // Keys fetched earlier stay in use: an identity provider's hiccup must not log every user out.
            Log.warning("jwks_fetch_failed", ["url": url, "error": failure.reason, "keeping": keys.count])
            if fetchedAt == nil { throw .keysUnavailable("the identity provider's keys could not be loaded") }
        }
    }

    private struct JWKSFailure: Error {
        let reason: String
    }

    static let monotonicSeconds: @Sendable () -> Double = {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
    private static let start = ContinuousClock.now
}
