import EventLoop
import TestSupport
import Foundation
import XCTest

final class TLSServerNameTests: XCTestCase {
    private var dir = ""
    private var server: TLSServerContext!

    override func setUpWithError() throws {
        dir = try TestCertificates.makeTemporaryDirectory()
        let a = try TestCertificates.make(commonName: "a", dnsNames: ["a.test"], in: dir)
        let b = try TestCertificates.make(commonName: "b", dnsNames: ["b.test", "B2.test"], in: dir)
        let wild = try TestCertificates.make(commonName: "wild", dnsNames: ["*.wild.test"], in: dir)
        let cnOnly = try TestCertificates.make(commonName: "cn-only.test", dnsNames: [], in: dir)
        server = try TLSServerContext(configuration: TLSServerConfiguration(certificates: [a, b, wild, cnOnly]))
    }

    override func tearDownWithError() throws {
        server = nil
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Which certificate (by CN) the server presents for `serverName`.
    private func presentedCommonName(for serverName: String?, file: StaticString = #filePath,
                                     line: UInt = #line) throws -> String? {
        let sockets = try TLSSocketPair()
        let serverSession = try server.makeSession(fd: sockets.serverFD)
        let client = try TLSClientContext(configuration: TLSClientConfiguration(verifyPeer: false, alpnProtocols: ["http/1.1"]))
        let clientSession = try client.makeSession(fd: sockets.clientFD, serverName: serverName)
        let results = sockets.handshake(server: serverSession, client: clientSession)
        XCTAssertEqual(results.server, .complete, file: file, line: line)
        XCTAssertEqual(results.client, .complete, file: file, line: line)
        XCTAssertEqual(serverSession.serverName, serverName, file: file, line: line)
        // ALPN is answered by whichever context SNI switched to.
        XCTAssertEqual(clientSession.negotiatedALPN, "http/1.1", file: file, line: line)
        return clientSession.peerCertificateCommonName
    }

    func testServerNamesListPerPair() {
        XCTAssertEqual(server.serverNames, [["a.test"], ["b.test", "B2.test"], ["*.wild.test"], ["cn-only.test"]])
    }

    func testSNISelectsMatchingCertificate() throws {
        XCTAssertEqual(try presentedCommonName(for: "b.test"), "b")
        XCTAssertEqual(try presentedCommonName(for: "b2.TEST"), "b")
        XCTAssertEqual(try presentedCommonName(for: "a.test"), "a")
        XCTAssertEqual(try presentedCommonName(for: "cn-only.test"), "cn-only.test")
    }

    func testUnknownOrMissingNameGetsDefault() throws {
        XCTAssertEqual(try presentedCommonName(for: "unknown.test"), "a")
        XCTAssertEqual(try presentedCommonName(for: nil), "a")
    }

    func testWildcardMatchesExactlyOneLabel() throws {
        XCTAssertEqual(try presentedCommonName(for: "x.wild.test"), "wild")
        XCTAssertEqual(try presentedCommonName(for: "x.y.wild.test"), "a")
        XCTAssertEqual(try presentedCommonName(for: "wild.test"), "a")
    }
}
