import EventLoop
import Foundation
import Glibc
import TestSupport
import XCTest
@testable import Gateway

/// TLS as a client sees it over real sockets against an in-process `Gateway`: versions, ALPN, SNI, handshake timeout.
final class TLSGatewayTests: GatewayInProcessTestCase {
    private var a = TLSCertificatePair(certificatePath: "", privateKeyPath: "")
    private var b = TLSCertificatePair(certificatePath: "", privateKeyPath: "")

    override func setUpWithError() throws {
        try super.setUpWithError()
        a = try TestCertificates.make(commonName: "a.test", dnsNames: ["a.test"], in: directory)
        b = try TestCertificates.make(commonName: "b.test", dnsNames: ["b.test"], in: directory)
    }

    private func tlsGateway(sni: Bool = false, handshakeTimeoutMs: Int? = nil) throws -> Gateway {
        var tls = GatewayConfiguration.TLSSettings(
            certificate: a.certificatePath, key: a.privateKeyPath,
            sni: sni ? [.init(certificate: b.certificatePath, key: b.privateKeyPath)] : [])
        if let handshakeTimeoutMs { tls.handshakeTimeoutMs = handshakeTimeoutMs }
        return try startGateway(configuration(tls: tls))
    }

    /// A client that verifies the chain against `a`'s certificate and the host name a.test.
    private func trustingA(maximumVersion: TLSVersion? = nil, minimumVersion: TLSVersion = .tls1_2,
                           alpn: [String] = []) -> TLSClientConfiguration {
        TLSClientConfiguration(trustedCertificatesPath: a.certificatePath, alpnProtocols: alpn,
                               minimumVersion: minimumVersion, maximumVersion: maximumVersion)
    }

    func testTLS13HandshakeAndRequest() throws {
        let gateway = try tlsGateway()
        let client = try BlockingTLSSocket(port: gateway.port, serverName: "a.test", configuration: trustingA())
        XCTAssertEqual(client.protocolVersion, .tls1_3)
        XCTAssertEqual(client.peerCommonName, "a.test")
        let response = try client.get("/healthz", host: "a.test")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.bodyText, #"{"status":"ok"}"#)
        XCTAssertNotNil(response.header("Strict-Transport-Security"))
    }

    func testClientCappedAtTLS12NegotiatesTLS12() throws {
        let gateway = try tlsGateway()
        let client = try BlockingTLSSocket(port: gateway.port, serverName: "a.test",
                                           configuration: trustingA(maximumVersion: .tls1_2))
        XCTAssertEqual(client.protocolVersion, .tls1_2)
        XCTAssertEqual(try client.get("/healthz").status, 200)
    }

    func testClientCappedAtTLS11IsRefusedAndTheServerCarriesOn() throws {
        let gateway = try tlsGateway()
        XCTAssertThrowsError(try BlockingTLSSocket(port: gateway.port, serverName: "a.test",
                                                   configuration: trustingA(maximumVersion: .tls1_1, minimumVersion: .tls1_1),
                                                   timeoutMs: 3000)) { error in
            XCTAssertTrue(error is TLSHandshakeFailure, "\(error)")
            XCTAssertFalse("\(error)".contains("timed out"), "refused by an alert, not by silence: \(error)")
        }
        // The refusal cost one connection only.
        let client = try BlockingTLSSocket(port: gateway.port, serverName: "a.test", configuration: trustingA())
        XCTAssertEqual(try client.get("/healthz").status, 200)
    }

    func testALPNPrefersHTTP11WhenClientOffersH2First() throws {
        let gateway = try tlsGateway()
        let client = try BlockingTLSSocket(port: gateway.port, serverName: "a.test",
                                           configuration: trustingA(alpn: ["h2", "http/1.1"]))
        XCTAssertEqual(client.negotiatedALPN, "http/1.1")
        XCTAssertEqual(try client.get("/healthz").status, 200)
    }

    func testALPNWithoutOverlapStillConnects() throws {
        let gateway = try tlsGateway()
        let client = try BlockingTLSSocket(port: gateway.port, serverName: "a.test", configuration: trustingA(alpn: ["h2"]))
        XCTAssertNil(client.negotiatedALPN)
        XCTAssertEqual(try client.get("/healthz").status, 200)
    }

    func testSNISelectsTheMatchingCertificateAndFallsBackToTheDefault() throws {
        let gateway = try tlsGateway(sni: true)
        let trustingB = TLSClientConfiguration(trustedCertificatesPath: b.certificatePath)
        let toB = try BlockingTLSSocket(port: gateway.port, serverName: "b.test", configuration: trustingB)
        XCTAssertEqual(toB.peerCommonName, "b.test")
        XCTAssertEqual(try toB.get("/healthz", host: "b.test").status, 200)

        let toA = try BlockingTLSSocket(port: gateway.port, serverName: "a.test", configuration: trustingA())
        XCTAssertEqual(toA.peerCommonName, "a.test")

        let unknown = try BlockingTLSSocket(port: gateway.port, serverName: "unknown.test")
        XCTAssertEqual(unknown.peerCommonName, "a.test")
        let noName = try BlockingTLSSocket(port: gateway.port, serverName: nil)
        XCTAssertEqual(noName.peerCommonName, "a.test")
        XCTAssertEqual(try noName.get("/healthz").status, 200)
    }

    func testHandshakeNeverStartedIsClosedAfterTheHandshakeTimeout() throws {
        let gateway = try tlsGateway(handshakeTimeoutMs: 300)
        let silent = try BlockingSocket(port: gateway.port, receiveTimeoutMs: 3000)
        let started = Date()
        XCTAssertTrue(silent.isClosedByPeer(), "a client that never says hello must be dropped")
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThanOrEqual(elapsed, 0.25, "closed before the timeout")
        XCTAssertLessThan(elapsed, 2.0, "not closed at the 300 ms handshake timeout")
    }

    func testHandshakeStalledHalfwayIsClosedAfterTheHandshakeTimeout() throws {
        let gateway = try tlsGateway(handshakeTimeoutMs: 300)
        // A ClientHello's first bytes only: the server waits for the rest, then gives up.
        let stalled = try BlockingSocket(port: gateway.port, receiveTimeoutMs: 3000)
        try stalled.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        let started = Date()
        XCTAssertTrue(stalled.isClosedByPeer())
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.0)
        // The timeout of one connection does not touch others.
        let client = try BlockingTLSSocket(port: gateway.port, serverName: "a.test", configuration: trustingA())
        XCTAssertEqual(try client.get("/healthz").status, 200)
    }

    func testCompletedHandshakeIsNotClosedByTheHandshakeTimeout() throws {
        let gateway = try tlsGateway(handshakeTimeoutMs: 300)
        let client = try BlockingTLSSocket(port: gateway.port, serverName: "a.test", configuration: trustingA())
        usleep(600_000)
        XCTAssertEqual(try client.get("/healthz").status, 200)
    }

    func testReloadCertificatesAPIKeepsOldSessionAndRefusesBadFiles() throws {
        let gateway = try tlsGateway()
        let before = try BlockingTLSSocket(port: gateway.port, serverName: "a.test")
        XCTAssertEqual(before.peerCommonName, "a.test")

        try TestCertificates.overwrite(a, commonName: "a2.test", dnsNames: ["a2.test"])
        XCTAssertTrue(gateway.reloadCertificates())
        XCTAssertEqual(try BlockingTLSSocket(port: gateway.port, serverName: "a2.test").peerCommonName, "a2.test")
        XCTAssertEqual(try before.get("/healthz").status, 200)

        try FileManager.default.removeItem(atPath: a.privateKeyPath)
        XCTAssertFalse(gateway.reloadCertificates())
        XCTAssertEqual(try BlockingTLSSocket(port: gateway.port, serverName: "a2.test").peerCommonName, "a2.test")
    }

    func testPlainHTTPOnTheTLSPortIsDropped() throws {
        let gateway = try tlsGateway()
        let plain = try BlockingSocket(port: gateway.port, receiveTimeoutMs: 3000)
        try plain.send(TestHTTPResponse.getRequest("/healthz"))
        let reply = (try? plain.receiveUntilClose()) ?? []
        XCTAssertFalse(String(decoding: reply, as: UTF8.self).contains("200"), "plaintext must never be served on the TLS port")
    }
}
