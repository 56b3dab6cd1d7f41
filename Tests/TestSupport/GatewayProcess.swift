import Foundation
import Glibc
import Synchronization

/// The built `fitmate-gateway` executable run as a child process, with its standard error (the log) collected.
public final class GatewayProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched by the test thread; the collected output lives in Mutexes.
    public let process: Process
    private let stderrBuffer = OutputBuffer()
    private let stdoutBuffer = OutputBuffer()

    /// `.build/debug/fitmate-gateway`, found by walking up from this file to the package root.
    public static func executableURL(filePath: String = #filePath) throws -> URL {
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                let binary = directory.appendingPathComponent(".build/debug/fitmate-gateway")
                guard FileManager.default.isExecutableFile(atPath: binary.path) else {
                    throw TestError("\(binary.path) is missing: run `swift build --build-tests` (it builds the executable too)")
                }
                return binary
            }
            directory.deleteLastPathComponent()
        }
        throw TestError("no Package.swift above \(filePath); cannot find the fitmate-gateway executable")
    }

    /// A port that was free a moment ago on 127.0.0.1 (bound to port 0, read back, closed).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestError("socket failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw TestError("bind to port 0 failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts the gateway. `environment` is added to this process's environment with every `GATEWAY_*` variable removed,
    /// so a developer's shell settings cannot leak into a test.
    public init(arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil) throws {
        process = Process()
        process.executableURL = try Self.executableURL()
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GATEWAY_") }
        env.merge(environment) { $1 }
        process.environment = env
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let errors = Pipe(), output = Pipe()
        process.standardError = errors
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        stderrBuffer.collect(errors)
        stdoutBuffer.collect(output)
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    public var log: String { stderrBuffer.text.withLock { $0 } }
    public var standardOutput: String { stdoutBuffer.text.withLock { $0 } }
    public var pid: Int32 { process.processIdentifier }

    /// Lines of the log whose event is `event` (`event=<name>` as `Log` writes it).
    public func logLines(event: String) -> [String] {
        log.split(separator: "\n").filter { $0.contains(" event=\(event)") }.map(String.init)
    }

    /// Waits until the log has had `count` lines of `event`; false on timeout or if the process exited first.
    public func waitForLog(event: String, count: Int = 1, timeoutSeconds: Double = 10) -> Bool {
        waitUntil(timeoutSeconds: timeoutSeconds) { logLines(event: event).count >= count || !process.isRunning }
            && logLines(event: event).count >= count
    }

    /// Waits for `gateway_started`; throws with the log when it does not come.
    public func waitUntilStarted(timeoutSeconds: Double = 10) throws {
        guard waitForLog(event: "gateway_started", timeoutSeconds: timeoutSeconds) else {
            throw TestError("the gateway did not start (running: \(process.isRunning)); log:\n\(log)")
        }
    }

    public func send(signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// The exit status once the process has ended and its output is fully collected, or nil after the timeout.
    public func waitForExit(timeoutSeconds: Double = 10) -> Int32? {
        guard waitUntil(timeoutSeconds: timeoutSeconds, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        _ = waitUntil(timeoutSeconds: 2) {
            stderrBuffer.closed.load(ordering: .acquiring) && stdoutBuffer.closed.load(ordering: .acquiring)
        }
        return process.terminationStatus
    }

    /// Runs to completion (for `--help` and refused configurations): status, standard output, standard error.
    public static func run(arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
                           timeoutSeconds: Double = 10) throws -> (status: Int32, stdout: String, stderr: String) {
        let gateway = try GatewayProcess(arguments: arguments, environment: environment, workingDirectory: workingDirectory)
        guard let status = gateway.waitForExit(timeoutSeconds: timeoutSeconds) else {
            throw TestError("fitmate-gateway \(arguments) did not exit within \(timeoutSeconds) s; log:\n\(gateway.log)")
        }
        return (status, gateway.standardOutput, gateway.log)
    }
}

/// One of the child's output pipes, read to EOF on its own thread (a full pipe would block the child).
private final class OutputBuffer: Sendable {
    let text = Mutex("")
    let closed = Atomic<Bool>(false)

    func collect(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
            closed.store(true, ordering: .releasing)
        }
        thread.start()
    }
}
