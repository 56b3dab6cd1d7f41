import CLinux
import Glibc

/// Delivers signals as ordinary events on a loop (read from a `signalfd`), so a handler can do real work — stop listeners,
/// reload certificates — instead of being limited to async-signal-safe calls.
public final class SignalWatcher: IOHandler {
    private let fd: Int32
    private var handler: ((Int32) -> Void)?

    /// Blocks `signals` for the calling thread and every thread it starts afterwards: create this on the main thread
    /// before starting the loops. Also ignores SIGPIPE process-wide (a write to a closed socket is an error, not death).
    public init(signals: [Int32]) throws(SystemError) {
        _ = clinux_ignore_sigpipe()
        let fd = signals.withUnsafeBufferPointer { clinux_signalfd($0.baseAddress, Int32($0.count)) }
        guard fd >= 0 else { throw SystemError("signalfd") }
        self.fd = fd
    }

    /// Starts delivering on `loop` (call on that loop).
    public func start(on loop: EventLoop, _ handler: @escaping (Int32) -> Void) throws(SystemError) {
        self.handler = handler
        try loop.register(fd, interest: .readable, handler: self)
    }

    public func handleIO(readable: Bool, writable: Bool, hangup: Bool) {
        while true {
            let signal = clinux_signalfd_read(fd)
            guard signal > 0 else { return }
            handler?(signal)
        }
    }

    deinit { Glibc.close(fd) }
}
