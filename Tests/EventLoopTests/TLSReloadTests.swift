import EventLoop
import TestSupport
import Foundation
import XCTest

final class TLSReloadTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = try TestCertificates.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func connect(_ server: TLSServerContext) throws -> (TLSSocketPair, TLSSession, TLSSession) {
        let sockets = try TLSSocketPair()
        let serverSession = try server.makeSession(fd: sockets.serverFD)
        let clientSession = try TLSClientContext(configuration: TLSClientConfiguration(verifyPeer: false))
            .makeSession(fd: sockets.clientFD, serverName: "site.test")
        let results = sockets.handshake(server: serverSession, client: clientSession)
        XCTAssertEqual(results.server, .complete)
        XCTAssertEqual(results.client, .complete)
        return (sockets, serverSession, clientSession)
    }

    private func assertExchange(_ sockets: TLSSocketPair, server: TLSSession, client: TLSSession,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let ping = Array("ping".utf8), pong = Array("pong".utf8)
        XCTAssertEqual(try sockets.transfer(ping, from: client, writerFD: sockets.clientFD, to: server,
                                            readerFD: sockets.serverFD).received, ping, file: file, line: line)
        XCTAssertEqual(try sockets.transfer(pong, from: server, writerFD: sockets.serverFD, to: client,
                                            readerFD: sockets.clientFD).received, pong, file: file, line: line)
    }

    func testReloadServesNewCertificateWhileOldSessionsKeepWorking() throws {
        let pair = try TestCertificates.make(commonName: "old", dnsNames: ["site.test"], in: dir)
        let reloadable = try TLSReloadableContext(configuration: TLSServerConfiguration(certificates: [pair]))

        let (oldSockets, oldServer, oldClient) = try connect(reloadable.current)
        XCTAssertEqual(oldClient.peerCertificateCommonName, "old")
        // Made before the reload, handshaken after it: must still be served by (and keep alive) the old context.
        let lateSockets = try TLSSocketPair()
        let lateServer = try reloadable.current.makeSession(fd: lateSockets.serverFD)

        try TestCertificates.overwrite(pair, commonName: "new", dnsNames: ["site.test"])
        let before = reloadable.current
        switch reloadable.reload() {
        case .success: break
        case .failure(let error): return XCTFail("reload failed: \(error)")
        }
        XCTAssertFalse(reloadable.current === before)

        let (newSockets, newServer, newClient) = try connect(reloadable.current)
        XCTAssertEqual(newClient.peerCertificateCommonName, "new")
        try assertExchange(newSockets, server: newServer, client: newClient)
        try assertExchange(oldSockets, server: oldServer, client: oldClient)

        let lateClient = try TLSClientContext(configuration: TLSClientConfiguration(verifyPeer: false))
            .makeSession(fd: lateSockets.clientFD, serverName: "site.test")
        let results = lateSockets.handshake(server: lateServer, client: lateClient)
        XCTAssertEqual(results.client, .complete)
        XCTAssertEqual(lateClient.peerCertificateCommonName, "old")
    }

    func testFailedReloadKeepsServingPreviousCertificate() throws {
        let pair = try TestCertificates.make(commonName: "good", dnsNames: ["site.test"], in: dir)
        let reloadable = try TLSReloadableContext(configuration: TLSServerConfiguration(certificates: [pair]))
        let before = reloadable.current
        try Data("-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n".utf8)
            .write(to: URL(fileURLWithPath: pair.privateKeyPath))

        guard case .failure(let error) = reloadable.reload() else { return XCTFail("reload should fail") }
        XCTAssertTrue(error.message.contains(pair.privateKeyPath), error.message)
        XCTAssertTrue(reloadable.current === before)
        let (sockets, server, client) = try connect(reloadable.current)
        XCTAssertEqual(client.peerCertificateCommonName, "good")
        try assertExchange(sockets, server: server, client: client)
    }

    func testKeyNotMatchingCertificateIsRejected() throws {
        let a = try TestCertificates.make(commonName: "a", dnsNames: ["a.test"], in: dir)
        let b = try TestCertificates.make(commonName: "b", dnsNames: ["b.test"], in: dir)
        let mixed = TLSCertificatePair(certificatePath: a.certificatePath, privateKeyPath: b.privateKeyPath)
        XCTAssertThrowsError(try TLSServerContext(configuration: TLSServerConfiguration(certificates: [a, mixed]))) {
            let message = ($0 as? TLSError)?.message ?? "\($0)"
            XCTAssertTrue(message.contains("does not match"), message)
            XCTAssertTrue(message.contains(b.privateKeyPath), message)
            XCTAssertTrue(message.contains(a.certificatePath), message)
        }
    }

    func testMissingFilesAreNamed() throws {
        let pair = try TestCertificates.make(commonName: "a", dnsNames: ["a.test"], in: dir)
        let missingCert = TLSCertificatePair(certificatePath: "\(dir)/nope.crt", privateKeyPath: pair.privateKeyPath)
        XCTAssertThrowsError(try TLSReloadableContext(configuration: TLSServerConfiguration(certificates: [missingCert]))) {
            let message = ($0 as? TLSError)?.message ?? "\($0)"
            XCTAssertTrue(message.contains("\(dir)/nope.crt"), message)
        }
        let missingKey = TLSCertificatePair(certificatePath: pair.certificatePath, privateKeyPath: "\(dir)/nope.key")
        XCTAssertThrowsError(try TLSServerContext(configuration: TLSServerConfiguration(certificates: [missingKey]))) {
            let message = ($0 as? TLSError)?.message ?? "\($0)"
            XCTAssertTrue(message.contains("\(dir)/nope.key"), message)
        }
        XCTAssertThrowsError(try TLSClientContext(configuration: TLSClientConfiguration(trustedCertificatesPath: "\(dir)/ca.pem"))) {
            let message = ($0 as? TLSError)?.message ?? "\($0)"
            XCTAssertTrue(message.contains("\(dir)/ca.pem"), message)
        }
    }

    func testGarbageCertificateIsRejected() throws {
        let pair = try TestCertificates.make(commonName: "a", dnsNames: ["a.test"], in: dir)
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: pair.certificatePath))
        XCTAssertThrowsError(try TLSServerContext(configuration: TLSServerConfiguration(certificates: [pair]))) {
            let message = ($0 as? TLSError)?.message ?? "\($0)"
            XCTAssertTrue(message.contains(pair.certificatePath), message)
        }
        XCTAssertThrowsError(try TLSServerContext(configuration: TLSServerConfiguration(certificates: [])))
    }
}
