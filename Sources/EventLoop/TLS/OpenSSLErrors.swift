import COpenSSL

enum OpenSSLErrors {
    /// Empties this thread's OpenSSL error queue into one line. Every failure path calls this (or `clear`), so a stale
    /// error can never be blamed on a later, unrelated connection handled by the same loop thread.
    static func drain() -> String {
        var parts: [String] = []
        while true {
            var data: UnsafePointer<CChar>? = nil
            var flags: Int32 = 0
            let code = ERR_get_error_all(nil, nil, nil, &data, &flags)
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            var text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // The extra data holds things like "calling fopen(/path, r)" — often the most useful part.
            if flags & ERR_TXT_STRING != 0, let data, data.pointee != 0 {
                text += " (\(String(cString: data)))"
            }
            parts.append(text)
        }
        return parts.joined(separator: "; ")
    }

    static func clear() {
        ERR_clear_error()
    }
}
