import CZlib

/// gzip/deflate response compression negotiated from `Accept-Encoding` (RFC 9110 §12.5.3).
///
/// `deflate` is the zlib format (RFC 1950, windowBits 15) — what HTTP's "deflate" means — and `gzip` is RFC 1952
/// (windowBits 15+16). One instance per event loop: each z_stream (~270 KB with these parameters) is created on first
/// use and then reused with `deflateReset`, because allocating one per response costs more than compressing a small
/// JSON body. Deliberately not `Sendable`: a z_stream must stay on the loop that owns it.
public final class ResponseCompressor {
    public enum Encoding: String, Sendable { case gzip, deflate }

    public let minimumBytes: Int
    public let level: Int32
    private var gzipStream: UnsafeMutablePointer<z_stream>?
    private var deflateStream: UnsafeMutablePointer<z_stream>?
    /// How many z_streams were initialised (for tests of the reuse).
    internal private(set) var streamInitCount = 0

    public init(minimumBytes: Int = 1024, level: Int32 = 6) {
        precondition((-1...9).contains(level), "zlib level must be -1...9")
        self.minimumBytes = max(minimumBytes, 1)
        self.level = level
    }

    deinit {
        for stream in [gzipStream, deflateStream] {
            guard let stream else { continue }
            deflateEnd(stream)
            stream.deinitialize(count: 1)
            stream.deallocate()
        }
    }

    /// The coding to use, or nil for identity. Rules:
    /// - no header, or an empty one: identity (we do not compress speculatively);
    /// - `q=0` refuses a coding; a coding not named takes `*`'s q, else is refused; `x-gzip` is `gzip` (RFC 9110 §8.4.1.3);
    /// - the highest q wins, gzip over deflate on a tie; an explicitly listed `identity` wins only with a strictly
    ///   higher q (on a tie the smaller body serves the client at least as well);
    /// - an element with a malformed q-value is ignored rather than guessed at.
    public static func negotiate(acceptEncoding: String?) -> Encoding? {
        guard let header = acceptEncoding else { return nil }
        var gzipQ: Int?, xGzipQ: Int?, deflateQ: Int?, identityQ: Int?, starQ: Int?
        for element in header.split(separator: ",") {
            let parts = element.split(separator: ";")
            guard let first = parts.first else { continue }
            let coding = first.trimmingCharacters(in: " \t")
            guard !coding.isEmpty else { continue }
            var q: Int? = 1000
            for parameter in parts.dropFirst() {
                let p = parameter.trimmingCharacters(in: " \t")
                guard p.utf8.count >= 2, p.hasPrefix("q=") || p.hasPrefix("Q=") else { continue }
                q = parseQValue(p.dropFirst(2).trimmingCharacters(in: " \t"))
            }
            guard let q else { continue }
            let lower = coding.lowercased()
            switch lower {
            case "gzip": if gzipQ == nil { gzipQ = q }
            case "x-gzip": if xGzipQ == nil { xGzipQ = q }
            case "deflate": if deflateQ == nil { deflateQ = q }
            case "identity": if identityQ == nil { identityQ = q }
            case "*": if starQ == nil { starQ = q }
            default: break
            }
        }
        let g = gzipQ ?? xGzipQ ?? starQ ?? 0
        let d = deflateQ ?? starQ ?? 0
        let best = max(g, d)
        guard best > 0 else { return nil }
        if let identityQ, identityQ > best { return nil }
        return g >= d ? .gzip : .deflate
    }

    /// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths; nil when malformed.
    static func parseQValue(_ s: Substring) -> Int? {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        var value = Int(first - UInt8(ascii: "0")) * 1000
        if bytes.count == 1 { return value }
        guard bytes[1] == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        var scale = 100
        for b in bytes[2...] {
            guard b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") else { return nil }
            value += Int(b - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        return value <= 1000 ? value : nil
    }

    /// Compresses the body in place when negotiated and worthwhile, setting `Content-Encoding` and
    /// `Vary: Accept-Encoding`. Untouched: responses that already have `Content-Encoding`, bodies under `minimumBytes`,
    /// 1xx/204/304, and partial content (a `Content-Range` describes the uncompressed bytes).
    /// `Vary: Accept-Encoding` is added to every response that *could* have been compressed, including when this
    /// client did not accept it or compression did not shrink the body: a cache must not hand the identity body to a
    /// gzip client or the reverse. A strong `ETag` is weakened (RFC 9110 §8.8.3: the bytes differ), and a
    /// handler-set `Content-Length` is updated.
    public func compressIfAccepted(_ response: inout HTTPResponse, acceptEncoding: String?) {
        let status = response.status
        guard status >= 200, status != 204, status != 304, status != 206,
              response.body.count >= minimumBytes,
              response.headers["Content-Encoding"] == nil,
              response.headers["Content-Range"] == nil else { return }
        response.headers.addVary("Accept-Encoding")
        guard let encoding = Self.negotiate(acceptEncoding: acceptEncoding),
              let compressed = compress(response.body, encoding: encoding) else { return }
        response.body = compressed
        response.headers.add("Content-Encoding", encoding.rawValue)
        if response.headers["Content-Length"] != nil { response.headers.set("Content-Length", String(compressed.count)) }
        if let etag = response.headers["ETag"], !etag.hasPrefix("W/") { response.headers.set("ETag", "W/" + etag) }
    }

    /// The compressed bytes, or nil when they would not be smaller than the input (or zlib failed): the output buffer
    /// is capped at `input.count - 1`, so an incompressible body costs one bounded attempt and no growing buffer.
    func compress(_ input: [UInt8], encoding: Encoding) -> [UInt8]? {
        guard input.count > 1, input.count <= Int(UInt32.max), let stream = stream(for: encoding) else { return nil }
        defer {
            stream.pointee.next_in = nil
            stream.pointee.next_out = nil
            deflateReset(stream)
        }
        let capacity = input.count - 1
        var finished = false
        let output = [UInt8](unsafeUninitializedCapacity: capacity) { out, initialized in
            initialized = 0
            input.withUnsafeBufferPointer { inBuf in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.pointee.avail_in = UInt32(inBuf.count)
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = UInt32(capacity)
                // One call suffices when the output fits; Z_OK with avail_out == 0 means it did not fit.
                if deflate(stream, Z_FINISH) == Z_STREAM_END {
                    finished = true
                    initialized = capacity - Int(stream.pointee.avail_out)
                }
            }
        }
        return finished ? output : nil
    }

    private func stream(for encoding: Encoding) -> UnsafeMutablePointer<z_stream>? {
        switch encoding {
        case .gzip:
            if gzipStream == nil { gzipStream = makeStream(windowBits: 15 + 16) }
            return gzipStream
        case .deflate:
            if deflateStream == nil { deflateStream = makeStream(windowBits: 15) }
            return deflateStream
        }
    }

    private func makeStream(windowBits: Int32) -> UnsafeMutablePointer<z_stream>? {
        // zlib keeps a pointer back to the z_stream and checks it on every call, so it needs a stable address.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_deflate_init2(stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
        streamInitCount += 1
        return stream
    }
}
