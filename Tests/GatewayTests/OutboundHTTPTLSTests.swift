import EventLoop
import Foundation
import Gateway
import GatewayProtocol
import TestSupport
import XCTest

/// HTTPS against the project's own TLS server with certificates made at test time; verification is always on.
final class OutboundHTTPTLSTests: OutboundHTTPTestCase {
    private var directory = ""
    private var localhost = TLSCertificatePair(certificatePath: "", privateKeyPath: "")
    private var stranger = TLSCertificatePair(certificatePath: "", privateKeyPath: "")

    override func setUpWithError() throws {
        directory = try TestCertificates.makeTemporaryDirectory()
        localhost = try TestCertificates.make(commonName: "localhost", dnsNames: ["localhost"], in: directory)
        stranger = try TestCertificates.make(commonName: "stranger", dnsNames: ["localhost"], in: directory)
    }

    override func tearDown() async throws {
        try await super.tearDown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testHTTPSVerifiedWithTheConfiguredCA() async throws {
        let server = try makeServer(tls: localhost)
        let client = try makeClient { $0.caFile = self.localhost.certificatePath }
        let response = try await client.send(OutboundRequest(
            method: "POST", url: "https://localhost:\(server.port)/inspect", body: Array("over tls".utf8),
            basicAuth: (user: "u", password: "p")))
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.text.hasPrefix("POST /inspect\n"), response.text)
        XCTAssertTrue(response.text.contains("\nAuthorization: Basic dTpw\n"), response.text)
        XCTAssertTrue(response.text.hasSuffix("\n\nover tls"), response.text)
        let first = try await client.send(OutboundRequest(url: "https://localhost:\(server.port)/peer")).text
        let second = try await client.send(OutboundRequest(url: "https://localhost:\(server.port)/peer")).text
        XCTAssertEqual(first, second, "the TLS connection is reused")
    }

    func testCertificateNotSignedByTheConfiguredCAIsTLS() async throws {
        let server = try makeServer(tls: stranger)
        let client = try makeClient { $0.caFile = self.localhost.certificatePath }
        let error = await error(client, OutboundRequest(url: "https://localhost:\(server.port)/inspect"))
        XCTAssertEqual(error?.kind, .tls, String(describing: error))
        XCTAssertTrue(error?.message.contains("certificate") ?? false, String(describing: error))
        XCTAssertEqual(server.probe.maxActive, 0)
    }

    func testCertificateForAnotherNameIsTLS() async throws {
        let server = try makeServer(tls: localhost)
        let client = try makeClient { $0.caFile = self.localhost.certificatePath }
        // The chain is trusted, but the certificate names localhost, not 127.0.0.1.
        let error = await error(client, OutboundRequest(url: "https://127.0.0.1:\(server.port)/inspect"))
        XCTAssertEqual(error?.kind, .tls, String(describing: error))
    }

    /// Without a CA file the system store is used, which does not know a test certificate.
    func testSystemStoreRejectsATestCertificate() async throws {
        let server = try makeServer(tls: localhost)
        let client = try makeClient()
        let error = await error(client, OutboundRequest(url: "https://localhost:\(server.port)/inspect"))
        XCTAssertEqual(error?.kind, .tls, String(describing: error))
    }

    func testUnreadableCAFileIsRefusedAtSetUp() throws {
        let group = try EventLoopGroup(count: 1)
        var settings = GatewayConfiguration.HTTPClientSettings()
        settings.caFile = directory + "/missing.pem"
        XCTAssertThrowsError(try CurlHTTPClient(loop: group.loops[0], settings: settings)) { error in
            XCTAssertTrue("\(error)".contains("httpClient.caFile: cannot read"), "\(error)")
        }
    }
}
