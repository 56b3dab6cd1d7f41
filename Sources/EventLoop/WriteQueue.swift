/// A connection's queued output chunks, oldest first (never empty ones: `Connection.write` drops those). The first chunk
/// is held outside the array: a connection with one chunk per flush (nearly every one: an ack, a broadcast's shared
/// frame) queues and drops it without allocating, growing or shifting an array, which cost ~1,000 instructions per
/// message in a fan-out profile. Chunks are shared, not copied.
struct WriteQueue {
    /// Empty when the queue is.
    private var head: [UInt8] = []
    /// The chunks after `head`; its storage is released whenever the queue empties (idle connections hold none).
    private var rest: [[UInt8]] = []

    var isEmpty: Bool { head.isEmpty }
    var count: Int { head.isEmpty ? 0 : 1 + rest.count }
    var last: [UInt8]? { head.isEmpty ? nil : rest.last ?? head }

    subscript(i: Int) -> [UInt8] {
        _read {
            if i == 0 { yield head } else { yield rest[i - 1] }
        }
    }

    mutating func append(_ chunk: consuming [UInt8]) {
        precondition(!chunk.isEmpty, "empty chunks are not queued")
        if head.isEmpty { head = chunk } else { rest.append(chunk) }
    }

    /// The first chunk's bytes, borrowed in place. Mutating only so that the caller's access to the queue is exclusive
    /// for the call: a read of a class's property would retain the chunk, in case `body` replaced it meanwhile.
    mutating func withHead<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R { head.withUnsafeBytes(body) }

    mutating func removeAll() {
        head = []
        if !rest.isEmpty { rest = [] }
    }

    mutating func removeFirst() {
        if rest.isEmpty {
            head = []
            rest = []
        } else {
            head = rest.removeFirst()
        }
    }
}
