import EventLoop
import Foundation
import Synchronization
import TestSupport
import XCTest
@testable import Gateway

/// Base for tests that run a `Gateway` inside the test process on 127.0.0.1, port 0, with a temporary data directory.
/// Whatever a test starts is shut down in tearDown, so a failing test never leaves loop threads behind.
class GatewayInProcessTestCase: XCTestCase {
    var directory = ""
    private var running: [Gateway] = []

    override func setUpWithError() throws {
        directory = try TestCertificates.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        for gateway in running { _ = stopAndWait(gateway) }
        running = []
        try? FileManager.default.removeItem(atPath: directory)
    }

    func configuration(tls: GatewayConfiguration.TLSSettings? = nil) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.loops = 2
        configuration.dataDir = directory + "/data"
        configuration.shutdownTimeoutMs = 3_000
        configuration.tls = tls
        return configuration
    }

    /// Builds the gateway, lets `prepare` add routes, starts it, and registers it for tearDown.
    func startGateway(_ configuration: GatewayConfiguration, prepare: (Gateway) -> Void = { _ in }) throws -> Gateway {
        let gateway = try Gateway(configuration: configuration)
        prepare(gateway)
        try gateway.start()
        running.append(gateway)
        XCTAssertGreaterThan(gateway.port, 0)
        return gateway
    }

    /// Graceful shutdown, then waits (bounded) for the completion and for every loop thread to end.
    @discardableResult
    func stopAndWait(_ gateway: Gateway, timeoutSeconds: Double = 5) -> (completed: Bool, stopped: Bool) {
        running.removeAll { $0 === gateway }
        let completed = Flag()
        gateway.shutdown { completed.set() }
        return (waitUntil(timeoutSeconds: timeoutSeconds) { completed.isSet }, waitUntilStopped(gateway, timeoutSeconds: timeoutSeconds))
    }

    /// `group.waitUntilStopped()` on another thread, so a hang fails the test instead of blocking it forever.
    func waitUntilStopped(_ gateway: Gateway, timeoutSeconds: Double = 5) -> Bool {
        let stopped = Flag()
        let group = gateway.group
        Thread {
            group.waitUntilStopped()
            stopped.set()
        }.start()
        return waitUntil(timeoutSeconds: timeoutSeconds) { stopped.isSet }
    }

    /// Forgets `gateway` for tearDown (a test that shut it down itself).
    func forget(_ gateway: Gateway) { running.removeAll { $0 === gateway } }
}

/// A one-way flag shared between a test and the loop threads.
final class Flag: Sendable {
    private let state = Atomic<Bool>(false)
    func set() { state.store(true, ordering: .releasing) }
    var isSet: Bool { state.load(ordering: .acquiring) }
}
