import EventLoop
import GatewayProtocol
import Glibc

/// The contract's outbound HTTP client on libcurl's multi interface, driven by one event loop.
///
/// `send` may be called from any task or thread: the request is handed to the loop, which runs it without ever blocking,
/// and the caller's task resumes when the response (or the error) is known. At most `maxConcurrent` transfers are on the
/// wire at once; up to `maxQueued` more wait in arrival order; beyond that `send` fails at once with `.overloaded`.
/// Connections are kept and reused across requests. TLS peers are always verified.
///
/// Call `close()` before the loop stops: it fails whatever is pending and frees curl's handles.
public final class CurlHTTPClient: OutboundHTTPClient, @unchecked Sendable {
    public let loop: EventLoop
    public let settings: GatewayConfiguration.HTTPClientSettings
    private let gate: AdmissionGate
    /// Only touched on `loop` (the unchecked Sendable above rests on this).
    private let driver: CurlMultiDriver

    public init(loop: EventLoop, settings: GatewayConfiguration.HTTPClientSettings) throws(CurlHTTPClientError) {
        if let caFile = settings.caFile, !Self.isReadableFile(caFile) {
            throw CurlHTTPClientError("httpClient.caFile: cannot read \(caFile.debugDescription); "
                                      + "give a PEM file of trusted CA certificates, or unset it to use the system's")
        }
        self.loop = loop
        self.settings = settings
        gate = AdmissionGate(capacity: settings.maxConcurrent + settings.maxQueued)
        driver = try CurlMultiDriver(loop: loop, settings: settings, gate: gate)
    }

    public func send(_ request: OutboundRequest) async throws(OutboundHTTPError) -> OutboundResponse {
        switch gate.admit() {
        case .full?:
            throw OutboundHTTPError(.overloaded, "\(request.method) \(RequestLabel.redactedURL(request.url)): "
                                    + "\(settings.maxConcurrent) requests in flight and \(settings.maxQueued) waiting "
                                    + "(httpClient.maxConcurrent, httpClient.maxQueued); nothing was sent")
        case .closed?:
            throw Self.closedBeforeSending(request)
        case nil:
            break
        }
        let timeoutMs = UInt64(max(1, request.timeoutMs ?? settings.timeoutMs))
        let driver = LoopBound(self.driver, loop: loop)
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<OutboundResult, Never>) in
            loop.execute { [loop] in
                driver.value.enqueue(PendingRequest(request: request, deadlineMs: loop.nowMs + timeoutMs,
                                                    continuation: continuation))
            }
        }
        return try result.get()
    }

    /// Refuses new requests, fails the pending ones (queued: `.connect`, nothing was sent; in flight: `.transfer`) and
    /// frees curl's handles. Returns once done; the loop must still be running.
    public func close() async {
        gate.close()
        let driver = LoopBound(self.driver, loop: loop)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.execute {
                driver.value.close()
                continuation.resume()
            }
        }
    }

    /// Requests in flight and waiting, as the admission count sees them (answered requests give their place back).
    public var pendingCount: Int { gate.admitted }

    static func closedBeforeSending(_ request: OutboundRequest) -> OutboundHTTPError {
        OutboundHTTPError(.connect, "\(request.method) \(RequestLabel.redactedURL(request.url)): "
                          + "the HTTP client is closed (the gateway is shutting down); nothing was sent")
    }

    private static func isReadableFile(_ path: String) -> Bool {
        guard let file = fopen(path, "r") else { return false }
        fclose(file)
        return true
    }
}
