import Glibc

/// One deflater per thread (that is, per event loop) and configuration, for compression without context takeover —
/// what the server always does. Creating and freeing a ~268 KB level-6 zlib stream per message cost 13× the CPU of an
/// uncompressed 4 KB echo; `deflateReset` between messages keeps the buffers and forgets the history, which is all
/// `server_no_context_takeover` requires. uWebSockets shares its compressor per loop the same way.
enum SharedDeflaters {
    struct Key: Hashable {
        let windowBits: Int
        let memLevel: Int32
        let level: Int32
    }

    private final class Pool {
        var deflaters: [Key: DeflateCompressor] = [:]
    }

    private static let poolKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<AnyObject>.fromOpaque(pointer).release() }
        }
        return key
    }()

    private static var pool: Pool {
        if let existing = pthread_getspecific(poolKey) {
            return Unmanaged<AnyObject>.fromOpaque(existing).takeUnretainedValue() as! Pool
        }
        let created = Pool()
        pthread_setspecific(poolKey, Unmanaged<AnyObject>.passRetained(created).toOpaque())
        return created
    }

    /// Compresses one whole message with this thread's deflater for the configuration, leaving it reset.
    /// Returns false when zlib failed (the caller then sends the message uncompressed).
    static func compressMessage(_ input: UnsafeRawBufferPointer, windowBits: Int, memLevel: Int32, level: Int32,
                                into out: inout [UInt8]) -> Bool {
        let key = Key(windowBits: windowBits, memLevel: memLevel, level: level)
        let pool = self.pool
        guard let deflater = pool.deflaters[key] ?? DeflateCompressor(windowBits: windowBits, memLevel: memLevel, level: level)
        else { return false }
        pool.deflaters[key] = deflater
        defer { deflater.reset() }
        return deflater.compress(input, into: &out)
    }
}
