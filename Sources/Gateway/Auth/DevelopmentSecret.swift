import COpenSSL
import EventLoop
import Glibc

/// The zero-config HS256 secret: `<dataDir>/jwt-secret`, made on first start so that a gateway started with no
/// configuration still refuses unsigned tokens. It holds 32 random bytes as base64url text, so the same file can be
/// given to FitMate's backend (or to `auth.secretFile`) to sign tokens the gateway accepts.
enum DevelopmentSecret {
    static let fileName = "jwt-secret"

    /// Reads the secret, or creates it (directory included). Logs one line either way, naming the file, never the secret.
    static func loadOrCreate(dataDir: String) throws(AuthConfigurationError) -> [UInt8] {
        let path = dataDir.hasSuffix("/") ? dataDir + fileName : dataDir + "/" + fileName
        if let existing = try SecretFile.read(path, origin: "the generated secret") {
            Log.info("jwt_secret_loaded", ["path": path, "note": "no auth key configured; using the generated HS256 secret"])
            return existing
        }
        try makeDirectory(dataDir)
        let secret = try generate()
        switch try create(path, contents: secret) {
        case .created:
            Log.info("jwt_secret_created", ["path": path, "mode": "0600",
                                            "note": "no auth key configured; generated an HS256 secret"])
            return secret
        case .alreadyExists:
            // Another process started at the same moment and won the race: use its secret, not ours.
            guard let theirs = try SecretFile.read(path, origin: "the generated secret") else {
                throw AuthConfigurationError("\(path): vanished while starting; start again")
            }
            Log.info("jwt_secret_loaded", ["path": path, "note": "no auth key configured; using the generated HS256 secret"])
            return theirs
        }
    }

    private static func generate() throws(AuthConfigurationError) -> [UInt8] {
        var random = [UInt8](repeating: 0, count: 32)
        guard RAND_bytes(&random, Int32(random.count)) == 1 else {
            throw AuthConfigurationError("cannot generate a JWT secret: OpenSSL's random generator failed "
                                         + "(\(OpenSSLErrorText.drain()))")
        }
        return Array(Base64URL.encode(random).utf8)
    }

    private static func makeDirectory(_ path: String) throws(AuthConfigurationError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component + "/"
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw AuthConfigurationError("cannot create data directory \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }

    private enum Creation { case created, alreadyExists }

    /// Complete or absent, never half-written: the secret goes to a temporary file opened with O_EXCL and mode 0600,
    /// is synced, and is then hard-linked into place — `link` fails instead of replacing a file that appeared meanwhile.
    private static func create(_ path: String, contents: [UInt8]) throws(AuthConfigurationError) -> Creation {
        let temporary = "\(path).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create", temporary) }
        defer { unlink(temporary) }
        let written = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == contents.count, synced else { throw failure("cannot write", temporary) }
        if link(temporary, path) != 0 {
            if errno == EEXIST { return .alreadyExists }
            throw failure("cannot create", path)
        }
        return .created
    }

    private static func failure(_ action: String, _ path: String) -> AuthConfigurationError {
        AuthConfigurationError("\(action) \(path): \(String(cString: strerror(errno)))")
    }
}

/// Reading a secret from a file, shared by `auth.secretFile` and the generated secret.
enum SecretFile {
    /// nil when the file does not exist. The generated secret must be private (as ssh insists for a key); an operator's
    /// file only gets a warning, because mounted secrets (Kubernetes, Docker) are often 0644 inside a private volume.
    static func read(_ path: String, origin: String, mustBePrivate: Bool = true) throws(AuthConfigurationError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw AuthConfigurationError("cannot read \(origin) \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw AuthConfigurationError("\(origin) \(path) is not a regular file")
        }
        if status.st_mode & 0o077 != 0 {
            let problem = "\(origin) \(path) is readable by other users; run `chmod 600 \(path)`"
            guard !mustBePrivate else { throw AuthConfigurationError(problem) }
            Log.warning("jwt_secret_file_permissions", ["path": path, "problem": problem])
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count < 0 { throw AuthConfigurationError("cannot read \(origin) \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            bytes += buffer[..<count]
            guard bytes.count <= 65_536 else { throw AuthConfigurationError("\(origin) \(path) is larger than 64 KiB") }
        }
        // Files written with `echo` end in a newline that is not part of the secret.
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard bytes.count >= JWTKey.minimumSecretBytes else {
            throw AuthConfigurationError("\(origin) \(path) holds \(bytes.count) bytes; at least "
                                         + "\(JWTKey.minimumSecretBytes) are required")
        }
        return bytes
    }
}

/// Why authentication cannot be set up from the configuration; the gateway refuses to start with it.
public struct AuthConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
