import Glibc

/// TLS beneath the byte stream: OpenSSL reads and writes the socket itself; these methods turn its want-read/want-write
/// answers into epoll interest, so every protocol above runs unchanged.
extension Connection {
    func driveHandshake() {
        guard let tls else { return }
        switch tls.handshake() {
        case .complete:
            if let timer { loop.cancel(timer) }
            state = .open
            updateInterest()
            delegate?.connectionDidBecomeActive(self)
            if let onConnect {
                self.onConnect = nil
                onConnect(.success(()))
            }
            // The handshake's last read may have carried application data already decrypted inside OpenSSL.
            if state == .open && tls.pendingReadableBytes > 0 { readTLS() }
            if bufferedBytes > 0 { scheduleFlush() }
        case .want(let want):
            tlsHandshakeWant = want
            updateInterest()
        case .failed(let why):
            closeNow(.tlsHandshakeFailed(why))
        }
    }

    func readTLS() {
        guard let tls else { return }
        if tlsWriteWantsRead {
            tlsWriteWantsRead = false
            flushFromLoop()
            guard state == .open || state == .closingAfterFlush else { return }
        }
        // Bounded like plain reads; OpenSSL may hold decrypted bytes that epoll will never announce, so keep going while
        // it has them.
        var rounds = 0
        while rounds < 8 && !readPaused && state == .open {
            rounds += 1
            switch tls.read(into: loop.receiveBuffer) {
            case .bytes(let n):
                delegate?.connection(self, didRead: UnsafeRawBufferPointer(rebasing: loop.receiveBuffer[0..<n]))
            case .want(.read):
                return
            case .want(.write):
                tlsReadWantsWrite = true
                updateInterest()
                return
            case .closed:
                peerClosedInput()
                return
            case .failed(let why):
                closeNow(.ioError("TLS read: \(why)"))
                return
            }
        }
        if state == .open && !readPaused && tls.pendingReadableBytes > 0 {
            loop.runBeforeSleep { [weak self] in self?.readTLS() }
        }
    }

    /// Copies queued chunks into the loop's staging buffer, one record's worth at a time, and writes them.
    func flushTLS() {
        guard let tls else { return }
        while bufferedBytes > 0 {
            let length = tlsRetryLength > 0 ? tlsRetryLength : min(bufferedBytes, loop.tlsStagingBuffer.count)
            stage(length)
            switch tls.write(UnsafeRawBufferPointer(rebasing: loop.tlsStagingBuffer[0..<length])) {
            case .bytes(let n):
                tlsRetryLength = 0
                consume(n)
            case .want(let want):
                tlsRetryLength = length
                if want == .write { waitingForWritable = true } else { tlsWriteWantsRead = true }
                updateInterest()
                return
            case .closed:
                closeNow(.peerClosed)
                return
            case .failed(let why):
                closeNow(.ioError("TLS write: \(why)"))
                return
            }
        }
        if waitingForWritable {
            waitingForWritable = false
            updateInterest()
        }
    }

    private func stage(_ length: Int) {
        var copied = 0
        var index = 0
        var offset = pendingHeadOffset
        while copied < length {
            let chunk = pending[index]
            let take = min(chunk.count - offset, length - copied)
            chunk.withUnsafeBytes { bytes in
                (loop.tlsStagingBuffer.baseAddress! + copied).copyMemory(from: bytes.baseAddress! + offset, byteCount: take)
            }
            copied += take
            index += 1
            offset = 0
        }
    }
}
