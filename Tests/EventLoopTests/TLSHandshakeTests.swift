import EventLoop
import TestSupport
import Foundation
import XCTest

final class TLSHandshakeTests: XCTestCase {
    private var dir = ""
    private var pair = TLSCertificatePair(certificatePath: "", privateKeyPath: "")

    override func setUpWithError() throws {
        dir = try TestCertificates.makeTemporaryDirectory()
        pair = try TestCertificates.make(commonName: "server.test", dnsNames: ["server.test"], in: dir)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func connect(server: TLSServerContext, client configuration: TLSClientConfiguration,
                         serverName: String? = "server.test") throws
        -> (sockets: TLSSocketPair, server: TLSSession, client: TLSSession, results: (server: TLSHandshakeResult, client: TLSHandshakeResult)) {
        let sockets = try TLSSocketPair()
        let serverSession = try server.makeSession(fd: sockets.serverFD)
        let clientSession = try TLSClientContext(configuration: configuration)
            .makeSession(fd: sockets.clientFD, serverName: serverName)
        let results = sockets.handshake(server: serverSession, client: clientSession)
        return (sockets, serverSession, clientSession, results)
    }

    private func trustingClient(_ alpn: [String] = [], maximumVersion: TLSVersion? = nil,
                                minimumVersion: TLSVersion = .tls1_2) -> TLSClientConfiguration {
        TLSClientConfiguration(trustedCertificatesPath: pair.certificatePath, alpnProtocols: alpn,
                               minimumVersion: minimumVersion, maximumVersion: maximumVersion)
    }

    func testTLS13HandshakeWithDefaultClient() throws {
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let c = try connect(server: server, client: trustingClient())
        XCTAssertEqual(c.results.server, .complete)
        XCTAssertEqual(c.results.client, .complete)
        XCTAssertTrue(c.server.isHandshakeComplete)
        XCTAssertEqual(c.server.protocolVersion, .tls1_3)
        XCTAssertEqual(c.client.protocolVersion, .tls1_3)
        XCTAssertEqual(c.server.serverName, "server.test")
        XCTAssertEqual(c.client.peerCertificateCommonName, "server.test")
        XCTAssertEqual(server.serverNames, [["server.test"]])
    }

    func testTLS12HandshakeWhenClientCapsAt12() throws {
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let c = try connect(server: server, client: trustingClient(maximumVersion: .tls1_2))
        XCTAssertEqual(c.results.server, .complete)
        XCTAssertEqual(c.results.client, .complete)
        XCTAssertEqual(c.server.protocolVersion, .tls1_2)
        XCTAssertEqual(c.client.protocolVersion, .tls1_2)
    }

    func testTLS11ClientIsRefused() throws {
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let c = try connect(server: server, client: trustingClient(maximumVersion: .tls1_1, minimumVersion: .tls1_1))
        guard case .failed(let serverMessage) = c.results.server, case .failed(let clientMessage) = c.results.client else {
            return XCTFail("expected both sides to fail, got \(c.results)")
        }
        XCTAssertTrue(serverMessage.contains("protocol"), serverMessage)
        XCTAssertFalse(clientMessage.isEmpty)
        XCTAssertFalse(c.server.isHandshakeComplete)
        XCTAssertNil(c.server.protocolVersion)
    }

    func testDataRoundTripIncludingOneMegabyteWithPartialWrites() throws {
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let c = try connect(server: server, client: trustingClient())
        XCTAssertEqual(c.results.client, .complete)

        let hello = Array("hello from the client".utf8)
        let up = try c.sockets.transfer(hello, from: c.client, writerFD: c.sockets.clientFD, to: c.server,
                                        readerFD: c.sockets.serverFD)
        XCTAssertEqual(up.received, hello)

        var generator = SystemRandomNumberGenerator()
        let megabyte = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let down = try c.sockets.transfer(megabyte, from: c.server, writerFD: c.sockets.serverFD, to: c.client,
                                          readerFD: c.sockets.clientFD)
        XCTAssertEqual(down.received, megabyte)
        XCTAssertGreaterThan(down.stats.wantWrite, 0, "1 MB should overflow the socket buffer")
        XCTAssertGreaterThan(down.stats.writeCalls, 1, "partial writes expected")
    }

    func testPendingBytesAreReportedWhenTheReadBufferIsSmall() throws {
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let c = try connect(server: server, client: trustingClient())
        let payload = Array(repeating: UInt8(ascii: "x"), count: 10_000)
        let result = try c.sockets.transfer(payload, from: c.server, writerFD: c.sockets.serverFD, to: c.client,
                                            readerFD: c.sockets.clientFD, readChunk: 100)
        XCTAssertEqual(result.received, payload)
        XCTAssertTrue(result.stats.sawPendingBytes, "one 10 KB record read 100 bytes at a time leaves bytes in OpenSSL")
    }

    func testALPNPicksServerPreferenceAmongClientOffers() throws {
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let c = try connect(server: server, client: trustingClient(["h2", "http/1.1"]))
        XCTAssertEqual(c.results.client, .complete)
        XCTAssertEqual(c.server.negotiatedALPN, "http/1.1")
        XCTAssertEqual(c.client.negotiatedALPN, "http/1.1")
    }

    func testALPNWithoutOverlapStillConnects() throws {
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let c = try connect(server: server, client: trustingClient(["h2"]))
        XCTAssertEqual(c.results.server, .complete)
        XCTAssertEqual(c.results.client, .complete)
        XCTAssertNil(c.server.negotiatedALPN)
        XCTAssertNil(c.client.negotiatedALPN)
    }

    func testCloseNotifyAndBareEOFAreReportedAsClosed() throws {
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let c = try connect(server: server, client: trustingClient())
        c.client.shutdown()
        XCTAssertEqual(c.sockets.readOutcome(c.server, fd: c.sockets.serverFD), .closed)

        let d = try connect(server: server, client: trustingClient())
        XCTAssertEqual(d.results.client, .complete)
        // Let the client consume the TLS 1.3 session tickets first: closing a socket with unread input sends a reset,
        // which is reported as a failure, not as EOF.
        let byte = [UInt8(ascii: "x")]
        XCTAssertEqual(try d.sockets.transfer(byte, from: d.server, writerFD: d.sockets.serverFD, to: d.client,
                                              readerFD: d.sockets.clientFD).received, byte)
        d.sockets.closeClient()
        XCTAssertEqual(d.sockets.readOutcome(d.server, fd: d.sockets.serverFD), .closed)
    }

    func testClientRejectsWrongHostName() throws {
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let c = try connect(server: server, client: trustingClient(), serverName: "other.test")
        guard case .failed(let message) = c.results.client else { return XCTFail("expected failure, got \(c.results)") }
        XCTAssertTrue(message.contains("certificate"), message)
        if case .complete = c.results.server { XCTFail("server should not complete") }
    }

    func testClientRejectsUntrustedCertificate() throws {
        let other = try TestCertificates.make(commonName: "other.test", dnsNames: ["other.test"], in: dir)
        let server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let c = try connect(server: server, client: TLSClientConfiguration(trustedCertificatesPath: other.certificatePath))
        guard case .failed = c.results.client else { return XCTFail("expected failure, got \(c.results)") }
    }
}
