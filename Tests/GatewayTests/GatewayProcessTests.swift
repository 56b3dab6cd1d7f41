import EventLoop
import Foundation
import Glibc
import TestSupport
import XCTest
@testable import Gateway

/// The built `fitmate-gateway` binary as an operator runs it: flags, environment, config file, signals, logs.
/// Every process binds 127.0.0.1 on a port picked free just before, never the default 0.0.0.0:3000.
final class GatewayProcessTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        directory = try TestCertificates.makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func writeConfig(_ json: String) throws -> String {
        let path = directory + "/gateway.json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Starts the binary on a free port of 127.0.0.1 and waits for `gateway_started`.
    private func startGateway(_ extraArguments: [String] = [], environment: [String: String] = [:],
                              port: Int? = nil) throws -> (GatewayProcess, port: Int) {
        let port = try port ?? GatewayProcess.freePort()
        let gateway = try GatewayProcess(arguments: ["--host", "127.0.0.1", "--port", "\(port)"] + extraArguments,
                                         environment: environment, workingDirectory: directory)
        try gateway.waitUntilStarted()
        return (gateway, port)
    }

    private func stop(_ gateway: GatewayProcess, file: StaticString = #filePath, line: UInt = #line) {
        gateway.send(signal: SIGTERM)
        XCTAssertEqual(gateway.waitForExit(timeoutSeconds: 5), 0, "log:\n\(gateway.log)", file: file, line: line)
    }

    // MARK: - Start-up

    func testZeroConfigurationStartServesHealthAndReadinessAndCreatesPrivateDataDirectory() throws {
        // No config file, no environment: only where to listen. The data directory is the default ./data.
        let (gateway, port) = try startGateway()
        defer { stop(gateway) }

        let health = try BlockingSocket(port: port).get("/healthz")
        XCTAssertEqual(health.status, 200, "\(health)")
        XCTAssertEqual(health.bodyText, #"{"status":"ok"}"#)
        XCTAssertNil(health.header("Strict-Transport-Security"), "no HSTS over plain HTTP")

        let ready = try BlockingSocket(port: port).get("/readyz")
        XCTAssertEqual(ready.status, 200, "\(ready)")
        XCTAssertTrue(ready.bodyText.contains(#""status":"ready""#), ready.bodyText)
        XCTAssertTrue(ready.bodyText.contains(#""storage":"ok""#), ready.bodyText)

        let dataDir = directory + "/data"
        var info = stat()
        XCTAssertEqual(stat(dataDir, &info), 0, "\(dataDir) was not created")
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFDIR)
        XCTAssertEqual(info.st_mode & 0o777, 0o700, "data dir mode is \(String(info.st_mode & 0o777, radix: 8))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dataDir + "/gateway.sqlite3"))
    }

    func testNestedDataDirectoryIsCreatedOwnerOnly() throws {
        let dataDir = directory + "/nested/deeper/data"
        let (gateway, port) = try startGateway(environment: ["GATEWAY_DATA_DIR": dataDir])
        defer { stop(gateway) }
        XCTAssertEqual(try BlockingSocket(port: port).get("/readyz").status, 200)
        var info = stat()
        XCTAssertEqual(stat(dataDir, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o700, "data dir mode is \(String(info.st_mode & 0o777, radix: 8))")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dataDir + "/gateway.sqlite3"))
    }

    /// Out of file descriptors, a pending connection keeps the listening socket readable; the loop must step back from
    /// accepting instead of polling it again at 100% CPU, and recover once descriptors are free.
    func testRunningOutOfFileDescriptorsDoesNotSpinAndRecovers() throws {
        let (gateway, port) = try startGateway(["--loops", "1"])
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(gateway.pid)/fd").count
        let limiter = Process()
        limiter.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        limiter.arguments = ["--pid", "\(gateway.pid)", "--nofile=\(open + 2):\(open + 2)"]
        try limiter.run()
        limiter.waitUntilExit()
        XCTAssertEqual(limiter.terminationStatus, 0, "prlimit failed")

        var clients: [BlockingSocket] = []
        for _ in 0..<8 { clients.append(try BlockingSocket(port: port)) }
        XCTAssertTrue(gateway.waitForLog(event: "accept_paused", timeoutSeconds: 5), "log:\n\(gateway.log)")
        let before = try cpuMilliseconds(of: gateway.pid)
        usleep(1_000_000)
        let spent = try cpuMilliseconds(of: gateway.pid) - before
        XCTAssertLessThan(spent, 300, "the loop spun while out of descriptors: \(spent) ms of CPU in 1 s")

        clients.removeAll()
        XCTAssertTrue(waitUntil(timeoutSeconds: 5) {
            guard let socket = try? BlockingSocket(port: port, receiveTimeoutMs: 1000),
                  let response = try? socket.get("/healthz") else { return false }
            return response.status == 200
        }, "the gateway serves again once descriptors are free")
        stop(gateway)
    }

    private func cpuMilliseconds(of pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = Double(fields[11])! + Double(fields[12])!   // utime, stime (fields 14 and 15 of the whole line)
        return ticks * 1000 / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func testHelpExitsZeroAndListsEveryOptionWithItsEnvironmentVariableAndDefault() throws {
        let result = try GatewayProcess.run(arguments: ["--help"], workingDirectory: directory)
        XCTAssertEqual(result.status, 0, result.stderr)
        let help = result.stdout
        for env in ["GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_TLS_CERT", "GATEWAY_TLS_KEY", "GATEWAY_DATA_DIR"] {
            XCTAssertTrue(help.contains("env: \(env) "), "--help does not list \(env)")
        }
        // Every option of the table, with its env var and default on the line after its key.
        let lines = help.components(separatedBy: "\n")
        for spec in GatewayOptions.all {
            guard let index = lines.firstIndex(of: "  \(spec.key)") else {
                XCTFail("--help does not list \(spec.key)")
                continue
            }
            let details = lines[index + 1]
            XCTAssertTrue(details.contains("env: \(spec.env ?? "(none)")"), details)
            XCTAssertTrue(details.contains("default: \(spec.defaultValue?.helpText ?? "none")"), details)
        }
        XCTAssertTrue(help.contains("default: 3000"), "port default missing")
        XCTAssertTrue(help.contains(#"default: "0.0.0.0""#), "host default missing")
    }

    // MARK: - Refused configurations

    private func assertRefused(arguments: [String] = [], environment: [String: String] = [:], naming parts: [String],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let port = try GatewayProcess.freePort()
        let result = try GatewayProcess.run(arguments: ["--host", "127.0.0.1", "--port", "\(port)"] + arguments,
                                            environment: environment, workingDirectory: directory)
        XCTAssertNotEqual(result.status, 0, "started anyway: \(result.stderr)", file: file, line: line)
        XCTAssertFalse(result.stderr.contains("event=gateway_started"), result.stderr, file: file, line: line)
        let errorLines = result.stderr.components(separatedBy: "\n")
        XCTAssertTrue(errorLines.contains { line in parts.allSatisfy { line.contains($0) } },
                      "no line naming \(parts) in:\n\(result.stderr)", file: file, line: line)
    }

    func testBadPortFromEnvironmentIsRefusedNamingTheKey() throws {
        // --port is given by the helper for the other tests; here the bad value must come from the environment alone.
        let result = try GatewayProcess.run(arguments: ["--host", "127.0.0.1"], environment: ["GATEWAY_PORT": "abc"],
                                            workingDirectory: directory)
        XCTAssertNotEqual(result.status, 0, "started anyway: \(result.stderr)")
        XCTAssertFalse(result.stderr.contains("event=gateway_started"))
        XCTAssertTrue(result.stderr.contains("port"), result.stderr)
        XCTAssertTrue(result.stderr.contains("GATEWAY_PORT"), result.stderr)
        XCTAssertTrue(result.stderr.contains("abc"), result.stderr)
    }

    func testUnknownKeyInConfigFileIsRefusedNamingTheKey() throws {
        let path = try writeConfig(#"{"logLevel": "info", "prot": 8080}"#)
        try assertRefused(arguments: ["--config", path], naming: ["prot", "unknown key"])
    }

    func testCertificateWithoutKeyIsRefusedNamingTheMissingKey() throws {
        let pair = try TestCertificates.make(commonName: "a.test", dnsNames: ["a.test"], in: directory)
        try assertRefused(environment: ["GATEWAY_TLS_CERT": pair.certificatePath], naming: ["tls.key", "missing"])
        try assertRefused(environment: ["GATEWAY_TLS_KEY": pair.privateKeyPath], naming: ["tls.certificate", "missing"])
    }

    func testUnreadableCertificateIsRefusedAtStart() throws {
        try assertRefused(environment: ["GATEWAY_TLS_CERT": directory + "/nope.crt", "GATEWAY_TLS_KEY": directory + "/nope.key"],
                          naming: ["tls", "nope"])
    }

    /// A listening socket on 127.0.0.1 that holds a port for the test (another gateway would do the same).
    private func occupiedPort() throws -> (holder: BlockingListener, port: Int) {
        let holder = try BlockingListener()
        return (holder, holder.port)
    }

    func testPortInUseIsRefusedNamingPort() throws {
        let (holder, port) = try occupiedPort()
        defer { _ = holder }
        let result = try GatewayProcess.run(arguments: ["--host", "127.0.0.1", "--port", "\(port)"], workingDirectory: directory)
        XCTAssertNotEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("port") && result.stderr.contains("\(port)"), result.stderr)
    }

    func testRedirectPortInUseIsRefusedNamingRedirectPort() throws {
        let pair = try TestCertificates.make(commonName: "a.test", dnsNames: ["a.test"], in: directory)
        let (holder, redirectPort) = try occupiedPort()
        defer { _ = holder }
        let port = try GatewayProcess.freePort()
        let result = try GatewayProcess.run(arguments: ["--host", "127.0.0.1", "--port", "\(port)",
                                                        "--redirect-port", "\(redirectPort)"],
                                            environment: ["GATEWAY_TLS_CERT": pair.certificatePath,
                                                          "GATEWAY_TLS_KEY": pair.privateKeyPath],
                                            workingDirectory: directory)
        XCTAssertNotEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("tls.redirectPort") && result.stderr.contains("\(redirectPort)"),
                      "the message must name the redirect port, not the main one: \(result.stderr)")
    }

    func testDataDirThatIsAFileIsRefusedNamingDataDir() throws {
        let path = directory + "/not-a-dir"
        try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        try assertRefused(environment: ["GATEWAY_DATA_DIR": path], naming: ["dataDir", "not a directory"])
    }

    func testEnvironmentOverridesConfigFile() throws {
        let filePort = try GatewayProcess.freePort()
        var envPort = try GatewayProcess.freePort()
        while envPort == filePort { envPort = try GatewayProcess.freePort() }
        let path = try writeConfig(#"{"host": "127.0.0.1", "port": \#(filePort)}"#)
        let gateway = try GatewayProcess(arguments: ["--config", path], environment: ["GATEWAY_PORT": "\(envPort)"],
                                         workingDirectory: directory)
        try gateway.waitUntilStarted()
        defer { stop(gateway) }

        XCTAssertEqual(try BlockingSocket(port: envPort).get("/healthz").status, 200)
        XCTAssertThrowsError(try BlockingSocket(port: filePort), "the file's port must not be listened on")
        XCTAssertTrue(gateway.logLines(event: "gateway_started").first?.contains("port=\(envPort)") ?? false, gateway.log)
    }

    // MARK: - Signals

    func testSIGTERMStopsGracefullyAndPromptlyEvenWithAnIdleKeepAliveConnection() throws {
        let (gateway, port) = try startGateway(environment: ["GATEWAY_SHUTDOWN_TIMEOUT_MS": "10000"])
        var idle: BlockingSocket? = try BlockingSocket(port: port)
        XCTAssertEqual(try idle?.get("/healthz").status, 200)

        let started = Date()
        gateway.send(signal: SIGTERM)
        // An idle keep-alive connection is closed at once, not after the 10 s deadline. The client then closes its side
        // as a real one does on EOF, which ends the server's lingering close.
        XCTAssertTrue(idle?.isClosedByPeer() ?? false)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
        idle = nil
        XCTAssertEqual(gateway.waitForExit(timeoutSeconds: 5), 0, "log:\n\(gateway.log)")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5)
        XCTAssertEqual(gateway.logLines(event: "gateway_stopping").count, 1, gateway.log)
        XCTAssertEqual(gateway.logLines(event: "gateway_stopped").count, 1, gateway.log)
    }

    func testSIGTERMLetsARequestStillArrivingFinishThenExitsZero() throws {
        let (gateway, port) = try startGateway()
        // Half a request head: the request is in flight, so the drain must wait for it.
        let client = try BlockingSocket(port: port)
        try client.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        usleep(50_000)
        gateway.send(signal: SIGTERM)
        XCTAssertTrue(gateway.waitForLog(event: "gateway_stopping"), gateway.log)
        usleep(100_000)
        XCTAssertTrue(gateway.process.isRunning, "exited with a request in flight")
        XCTAssertThrowsError(try BlockingSocket(port: port), "still accepting while stopping")

        try client.send("\r\n")
        let response = try client.receiveResponse()
        XCTAssertEqual(response.status, 200, "\(response)")
        XCTAssertEqual(response.header("Connection")?.lowercased(), "close")
        XCTAssertTrue(client.isClosedByPeer())
        XCTAssertEqual(gateway.waitForExit(timeoutSeconds: 5), 0, gateway.log)
        XCTAssertEqual(gateway.logLines(event: "gateway_stopped").count, 1, gateway.log)
    }

    func testShutdownDeadlineClosesAStalledRequestAndExitsZero() throws {
        let (gateway, port) = try startGateway(environment: ["GATEWAY_SHUTDOWN_TIMEOUT_MS": "300"])
        let stalled = try BlockingSocket(port: port)
        try stalled.send("GET /healthz HTTP/1.1\r\n")
        usleep(50_000)
        let started = Date()
        gateway.send(signal: SIGTERM)
        XCTAssertEqual(gateway.waitForExit(timeoutSeconds: 5), 0, gateway.log)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThanOrEqual(elapsed, 0.25, "did not wait for the in-flight request")
        XCTAssertLessThan(elapsed, 2, "not stopped at the 300 ms deadline")
        XCTAssertEqual(gateway.logLines(event: "gateway_stopped").count, 1, gateway.log)
    }

    func testSecondSIGTERMStopsAtOnceWithNonZeroStatus() throws {
        let (gateway, port) = try startGateway(environment: ["GATEWAY_SHUTDOWN_TIMEOUT_MS": "20000"])
        let stalled = try BlockingSocket(port: port)
        try stalled.send("GET /healthz HTTP/1.1\r\n")
        usleep(50_000)
        gateway.send(signal: SIGTERM)
        XCTAssertTrue(gateway.waitForLog(event: "gateway_stopping"), gateway.log)
        let started = Date()
        gateway.send(signal: SIGINT)
        let status = gateway.waitForExit(timeoutSeconds: 5)
        XCTAssertNotNil(status, "a second signal must not wait for the 20 s deadline")
        XCTAssertNotEqual(status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 2)
        XCTAssertEqual(gateway.logLines(event: "gateway_stopped_forcibly").count, 1, gateway.log)
    }

    func testSIGHUPWithoutTLSIsHarmless() throws {
        let (gateway, port) = try startGateway()
        defer { stop(gateway) }
        gateway.send(signal: SIGHUP)
        usleep(100_000)
        XCTAssertTrue(gateway.process.isRunning, gateway.log)
        XCTAssertEqual(try BlockingSocket(port: port).get("/healthz").status, 200)
    }

    // MARK: - TLS

    func testTLSFromEnvironmentServesHTTPSWithHSTSAndRedirectsPlainHTTP() throws {
        let pair = try TestCertificates.make(commonName: "a.test", dnsNames: ["a.test"], in: directory)
        let redirectPort = try GatewayProcess.freePort()
        let (gateway, port) = try startGateway(["--redirect-port", "\(redirectPort)"],
                                               environment: ["GATEWAY_TLS_CERT": pair.certificatePath,
                                                             "GATEWAY_TLS_KEY": pair.privateKeyPath])
        defer { stop(gateway) }

        let client = try BlockingTLSSocket(port: port, serverName: "a.test",
                                           configuration: TLSClientConfiguration(trustedCertificatesPath: pair.certificatePath))
        XCTAssertEqual(client.peerCommonName, "a.test")
        let health = try client.get("/healthz", host: "a.test")
        XCTAssertEqual(health.status, 200, "\(health)")
        XCTAssertEqual(health.bodyText, #"{"status":"ok"}"#)
        XCTAssertEqual(health.header("Strict-Transport-Security"), "max-age=31536000; includeSubDomains")

        let redirect = try BlockingSocket(port: redirectPort).get("/some/path?x=1", host: "127.0.0.1:\(redirectPort)")
        XCTAssertEqual(redirect.status, 308, "\(redirect)")
        XCTAssertEqual(redirect.header("Location"), "https://127.0.0.1:\(port)/some/path?x=1")
        XCTAssertTrue(gateway.logLines(event: "gateway_started").first?.contains("tls=true") ?? false, gateway.log)
    }

    func testSIGHUPReloadsCertificatesForNewConnectionsKeepsOldOnesAndRefusesACorruptKey() throws {
        let pair = try TestCertificates.make(commonName: "old.test", dnsNames: ["old.test"], in: directory)
        let (gateway, port) = try startGateway(environment: ["GATEWAY_TLS_CERT": pair.certificatePath,
                                                             "GATEWAY_TLS_KEY": pair.privateKeyPath])
        defer { stop(gateway) }

        let before = try BlockingTLSSocket(port: port, serverName: "old.test")
        XCTAssertEqual(before.peerCommonName, "old.test")
        XCTAssertEqual(try before.get("/healthz").status, 200)

        try TestCertificates.overwrite(pair, commonName: "new.test", dnsNames: ["new.test"])
        gateway.send(signal: SIGHUP)
        XCTAssertTrue(gateway.waitForLog(event: "tls_reloaded"), gateway.log)

        let after = try BlockingTLSSocket(port: port, serverName: "new.test")
        XCTAssertEqual(after.peerCommonName, "new.test")
        XCTAssertEqual(try after.get("/healthz").status, 200)
        // The connection made before the reload keeps its session and keeps serving.
        let again = try before.get("/healthz")
        XCTAssertEqual(again.status, 200, "\(again)")
        XCTAssertEqual(before.peerCommonName, "old.test")

        // A corrupt key: refused, logged, and the previous (new.test) certificate stays in service.
        try Data("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n".utf8)
            .write(to: URL(fileURLWithPath: pair.privateKeyPath), options: .atomic)
        gateway.send(signal: SIGHUP)
        XCTAssertTrue(gateway.waitForLog(event: "tls_reload_refused"), gateway.log)
        XCTAssertEqual(gateway.logLines(event: "tls_reloaded").count, 1)

        let afterRefusal = try BlockingTLSSocket(port: port, serverName: "new.test")
        XCTAssertEqual(afterRefusal.peerCommonName, "new.test")
        XCTAssertEqual(try afterRefusal.get("/healthz").status, 200)
        XCTAssertEqual(try after.get("/healthz").status, 200)
    }
}

/// Holds a port: a listening socket on 127.0.0.1 that never accepts.
final class BlockingListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            throw TestError("cannot hold a port: errno \(errno)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
