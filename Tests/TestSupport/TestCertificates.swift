import EventLoop
import Foundation

public struct TestCertificateError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Certificates generated at test time with the `openssl` CLI, so no key material lives in the repository.
public enum TestCertificates {
    /// A fresh temporary directory; remove it in tearDown.
    public static func makeTemporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fitmate-tls-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Self-signed P-256 certificate valid for two days, written as `<dir>/<name>.crt` and `<dir>/<name>.key`.
    /// The certificate file doubles as the client's trust file.
    public static func make(commonName: String, dnsNames: [String], in dir: String) throws -> TLSCertificatePair {
        let base = commonName.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? String($0) : "_" }.joined()
        let pair = TLSCertificatePair(certificatePath: "\(dir)/\(base).crt", privateKeyPath: "\(dir)/\(base).key")
        var arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                         "-days", "2", "-subj", "/CN=\(commonName)",
                         "-keyout", pair.privateKeyPath, "-out", pair.certificatePath]
        if !dnsNames.isEmpty {
            arguments += ["-addext", "subjectAltName=" + dnsNames.map { "DNS:\($0)" }.joined(separator: ",")]
        }
        try runOpenSSL(arguments)
        return pair
    }

    /// Replaces the files of `pair` with a new certificate and key (for reload tests), via a rename so a concurrent
    /// reader never sees a half-written file.
    public static func overwrite(_ pair: TLSCertificatePair, commonName: String, dnsNames: [String]) throws {
        let staging = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let fresh = try make(commonName: commonName, dnsNames: dnsNames, in: staging)
        for (from, to) in [(fresh.certificatePath, pair.certificatePath), (fresh.privateKeyPath, pair.privateKeyPath)] {
            guard rename(from, to) == 0 else {
                throw TestCertificateError(description: "rename \(from) -> \(to): \(String(cString: strerror(errno)))")
            }
        }
    }

    private static func runOpenSSL(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestCertificateError(description: "openssl \(arguments.joined(separator: " ")) failed: "
                                       + String(decoding: stderr, as: UTF8.self))
        }
    }
}

