import XCTest
@testable import HTTP

/// What a parse produced, in a comparable form: `HTTPRequest` is not Equatable (its headers are tuples).
struct ParseOutcome: Equatable, CustomStringConvertible {
    var events: [String] = []
    var error: HTTPParseError?
    /// Bytes handed over after an upgrade, nil when the parser did not upgrade.
    var remaining: [UInt8]?

    var description: String {
        "events: \(events)\nerror: \(String(describing: error))\nremaining: \(String(describing: remaining))"
    }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

func describe(_ head: HTTPRequestHead) -> String {
    let fields = head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ";")
    return "\(head.method) \(head.target) HTTP/\(head.versionMajor).\(head.versionMinor) [\(fields)]"
}

func describe(_ event: HTTPParserEvent) -> String {
    switch event {
    case .head(let head): "HEAD " + describe(head)
    case .request(let request): "REQUEST " + describe(request.head) + " body=\(request.body)"
    }
}

/// Feeds `chunks` one append at a time, draining events after each, as the server does.
func parse(_ chunks: [[UInt8]], limits: HTTPLimits = HTTPLimits()) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    var upgraded = false
    for chunk in chunks {
        parser.append(chunk)
        do {
            while let event = try parser.nextEvent() {
                outcome.events.append(describe(event))
                if case .request(let request) = event, request.head.isUpgrade { upgraded = true }
            }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    if upgraded { outcome.remaining = parser.takeRemainingBytes() }
    return outcome
}

/// Deterministic generator, so that a failing random split can be reproduced from the seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func oneByteAtATime(_ data: [UInt8]) -> [[UInt8]] { data.map { [$0] } }

func randomSplit(_ data: [UInt8], seed: UInt64) -> [[UInt8]] {
    var rng = SplitMix64(state: seed)
    var chunks: [[UInt8]] = []
    var i = 0
    while i < data.count {
        let n = Int.random(in: 1...max(1, min(data.count - i, 17)), using: &rng)
        chunks.append(Array(data[i..<(i + n)]))
        i += n
    }
    return chunks
}

/// The same outcome whole, one byte at a time, and in many random splits.
func assertSplitInvariant(_ data: [UInt8], limits: HTTPLimits = HTTPLimits(), _ label: String,
                          file: StaticString = #filePath, line: UInt = #line) {
    let whole = parse([data], limits: limits)
    XCTAssertEqual(parse(oneByteAtATime(data), limits: limits), whole, "\(label): byte at a time", file: file, line: line)
    for seed in UInt64(1)...25 {
        XCTAssertEqual(parse(randomSplit(data, seed: seed), limits: limits), whole,
                       "\(label): random split seed \(seed)", file: file, line: line)
    }
}
