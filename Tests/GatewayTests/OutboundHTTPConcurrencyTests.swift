import EventLoop
import Foundation
import Gateway
import GatewayProtocol
import Synchronization
import TestSupport
import XCTest

/// Many requests at once: all answered, never more than `maxConcurrent` on the wire, a bounded FIFO queue behind them,
/// and a loop that keeps doing other work meanwhile.
final class OutboundHTTPConcurrencyTests: OutboundHTTPTestCase {
    func testTwoHundredParallelRequestsAllGetTheirOwnAnswer() async throws {
        let server = try makeServer()
        let client = try makeClient()
        let port = server.port
        let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for id in 0..<200 {
                group.addTask {
                    let response = try await client.send(OutboundRequest(url: "http://127.0.0.1:\(port)/slow/20/\(id)"))
                    return (id, response.text)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        XCTAssertEqual(answers.count, 200)
        for id in 0..<200 { XCTAssertEqual(answers[id], "id-\(id)") }
        XCTAssertLessThanOrEqual(server.probe.maxActive, 64, "httpClient.maxConcurrent defaults to 64")
        XCTAssertEqual(client.pendingCount, 0)
    }

    func testServerNeverSeesMoreThanMaxConcurrent() async throws {
        let server = try makeServer()
        let client = try makeClient { $0.maxConcurrent = 3 }
        let port = server.port
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in 0..<12 {
                group.addTask {
                    let response = try await client.send(OutboundRequest(url: "http://127.0.0.1:\(port)/slow/100/\(id)"))
                    XCTAssertEqual(response.text, "id-\(id)")
                }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(server.probe.maxActive, 3)
    }

    /// maxConcurrent 2 + maxQueued 3: five are taken, the sixth is refused at once, and the places come back.
    func testQueueFullIsOverloadedAtOnce() async throws {
        let server = try makeServer()
        let client = try makeClient {
            $0.maxConcurrent = 2
            $0.maxQueued = 3
        }
        let port = server.port
        let accepted = (0..<5).map { id in
            Task { try await client.send(OutboundRequest(url: "http://127.0.0.1:\(port)/slow/300/\(id)")).text }
        }
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { client.pendingCount == 5 })

        let start = ContinuousClock.now
        let refused = await error(client, OutboundRequest(url: "http://127.0.0.1:\(port)/slow/0/x"))
        XCTAssertLessThan(elapsedMs(since: start), 150, "refused at once, not after the 300 ms a place would take")
        XCTAssertEqual(refused?.kind, .overloaded)
        XCTAssertTrue(refused?.message.contains("httpClient.maxQueued") ?? false, String(describing: refused))

        for (id, task) in accepted.enumerated() {
            let text = try await task.value
            XCTAssertEqual(text, "id-\(id)")
        }
        XCTAssertEqual(server.probe.maxActive, 2)
        XCTAssertEqual(client.pendingCount, 0)
        let after = try await client.send(OutboundRequest(url: "http://127.0.0.1:\(port)/slow/0/again"))
        XCTAssertEqual(after.text, "id-again", "the places are given back")
    }

    func testNoQueueRefusesTheFirstRequestBeyondMaxConcurrent() async throws {
        let server = try makeServer()
        let client = try makeClient {
            $0.maxConcurrent = 1
            $0.maxQueued = 0
        }
        let port = server.port
        let first = Task { try await client.send(OutboundRequest(url: "http://127.0.0.1:\(port)/slow/200/1")).text }
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { client.pendingCount == 1 })
        let refused = await error(client, OutboundRequest(url: "http://127.0.0.1:\(port)/slow/0/2"))
        XCTAssertEqual(refused?.kind, .overloaded)
        let text = try await first.value
        XCTAssertEqual(text, "id-1")
    }

    /// The timeout covers the whole exchange: time spent queued counts, and a queued request fails at its deadline,
    /// not when a slot finally frees.
    func testQueuedRequestTimesOutOnTime() async throws {
        let server = try makeServer()
        let client = try makeClient { $0.maxConcurrent = 1 }
        let port = server.port
        let blocker = Task { try await client.send(OutboundRequest(url: "http://127.0.0.1:\(port)/slow/1000/1")).text }
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { client.pendingCount == 1 })
        let start = ContinuousClock.now
        let error = await error(client, OutboundRequest(url: "http://127.0.0.1:\(port)/slow/0/2", timeoutMs: 200))
        let elapsed = elapsedMs(since: start)
        XCTAssertEqual(error?.kind, .timeout)
        XCTAssertTrue(error?.message.contains("waiting for a free transfer slot") ?? false, String(describing: error))
        XCTAssertGreaterThanOrEqual(elapsed, 190)
        XCTAssertLessThan(elapsed, 600)
        let text = try await blocker.value
        XCTAssertEqual(text, "id-1")
        XCTAssertEqual(server.probe.maxActive, 1, "the expired request was never sent")
    }

    /// Requests that expire in the queue give their places back at once and are skipped when their turn comes; the
    /// ones still waiting keep their order.
    func testExpiredQueueEntriesFreeTheirPlaces() async throws {
        let server = try makeServer()
        let client = try makeClient {
            $0.maxConcurrent = 1
            $0.maxQueued = 2
        }
        let port = server.port
        let blocker = Task { try await client.send(OutboundRequest(url: "http://127.0.0.1:\(port)/slow/700/blocker")).text }
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { client.pendingCount == 1 })
        let survivor = Task { try await client.send(OutboundRequest(url: "http://127.0.0.1:\(port)/slow/0/survivor")).text }
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { client.pendingCount == 2 })
        // One place left in the queue, taken and given back by expiry ten times over.
        for round in 0..<10 {
            let error = await sendExpectingError(client, OutboundRequest(url: "http://127.0.0.1:\(port)/slow/0/r\(round)",
                                                                         timeoutMs: 20))
            XCTAssertEqual(error?.kind, .timeout, "round \(round): \(String(describing: error))")
        }
        let blockerText = try await blocker.value
        let survivorText = try await survivor.value
        XCTAssertEqual(blockerText, "id-blocker")
        XCTAssertEqual(survivorText, "id-survivor")
        XCTAssertEqual(server.probe.maxActive, 1)
        XCTAssertEqual(client.pendingCount, 0)
    }

    /// While 20 requests hang on a silent server, the client's loop still runs its timers every 10 ms.
    func testLoopKeepsServingWhileRequestsAreInFlight() async throws {
        let silent = try RawTestServer()
        let client = try makeClient()
        let loop = client.loop
        let requests = (0..<20).map { _ in
            Task { await sendExpectingError(client, OutboundRequest(url: "http://127.0.0.1:\(silent.port)/", timeoutMs: 800)) }
        }
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { client.pendingCount == 20 })

        let ticks = Mutex<[Int]>([])
        let done = Atomic<Bool>(false)
        let origin = ContinuousClock.now
        loop.execute {
            func tick(_ remaining: Int) {
                ticks.withLock { $0.append(elapsedMs(since: origin)) }
                if remaining == 0 {
                    done.store(true, ordering: .releasing)
                    return
                }
                loop.scheduleTimer(afterMs: 10) { tick(remaining - 1) }
            }
            tick(30)
        }
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { done.load(ordering: .acquiring) })
        XCTAssertEqual(client.pendingCount, 20, "the requests were in flight the whole time")
        let times = ticks.withLock { $0 }
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        XCTAssertLessThan(gaps.max() ?? 0, 200, "no tick was held up: \(gaps)")

        for request in requests {
            let error = await request.value
            XCTAssertEqual(error?.kind, .timeout)
        }
    }

    /// Kept-alive connections belong to curl's multi handle: every connection a burst needed is kept (not curl's
    /// default handful), and closing the client closes them (the server sees them go).
    func testBurstConnectionsAreKeptThenClosedByClose() async throws {
        let server = try makeServer()
        let client = try makeClient()
        let port = server.port
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in 0..<8 {
                group.addTask { _ = try await client.send(OutboundRequest(url: "http://127.0.0.1:\(port)/slow/300/\(id)")) }
            }
            try await group.waitForAll()
        }
        let needed = server.probe.maxActive
        XCTAssertGreaterThan(needed, 4, "the burst overlapped")
        XCTAssertEqual(server.server.openConnectionCount, needed, "every connection of the burst is kept for reuse")
        await client.close()
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { server.server.openConnectionCount == 0 },
                      "\(server.server.openConnectionCount) connections left open")
    }

    func testCloseFailsPendingRequestsAndRefusesNewOnes() async throws {
        let silent = try RawTestServer()
        let client = try makeClient { $0.maxConcurrent = 1 }
        let url = "http://127.0.0.1:\(silent.port)/"
        let inFlight = Task { await sendExpectingError(client, OutboundRequest(url: url)) }
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { client.pendingCount == 1 })
        let queued = Task { await sendExpectingError(client, OutboundRequest(url: url)) }
        XCTAssertTrue(waitUntil(timeoutSeconds: 2) { client.pendingCount == 2 })

        await client.close()
        let inFlightError = await inFlight.value
        let queuedError = await queued.value
        XCTAssertEqual(inFlightError?.kind, .transfer)
        XCTAssertTrue(inFlightError?.message.contains("closed while the request was in flight") ?? false)
        XCTAssertEqual(queuedError?.kind, .connect, "nothing was sent")
        XCTAssertTrue(queuedError?.message.contains("closed") ?? false)
        let late = await error(client, OutboundRequest(url: url))
        XCTAssertEqual(late?.kind, .connect)
        XCTAssertEqual(client.pendingCount, 0)
        let loop = client.loop
        let armedTimers = Atomic<Int>(-1)
        loop.execute { armedTimers.store(loop.armedTimerCount, ordering: .releasing) }
        XCTAssertTrue(waitUntil { armedTimers.load(ordering: .acquiring) >= 0 })
        XCTAssertEqual(armedTimers.load(ordering: .acquiring), 0, "no timer of curl's or the queue's is left on the loop")
    }
}
