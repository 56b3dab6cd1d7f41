/// Text payloads shaped like the gateway's traffic (JSON workout samples), 16 variants that differ in their numbers, sent
/// in turn: with context takeover a client compresses them as a browser would compress a stream of similar JSON events,
/// not as one message repeated (which would shrink to a few bytes). ASCII, so always valid UTF-8.
enum Payloads {
    static let variants = 16

    static func make(size: Int) -> [[UInt8]] {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: UInt64) -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (seed >> 33) % bound
        }
        return (0..<variants).map { _ in
            var text: [UInt8] = []
            text.reserveCapacity(size + 128)
            while text.count < size {
                let record = #"{"t":\#(1_717_000_000_000 + next(1_000_000)),"hr":\#(90 + next(90)),"cad":\#(70 + next(30)),"#
                    + #""pwr":\#(150 + next(200)),"lat":48.\#(85_000 + next(9_999)),"lon":2.\#(35_000 + next(9_999))},"#
                text.append(contentsOf: record.utf8)
            }
            return Array(text.prefix(size))
        }
    }
}
