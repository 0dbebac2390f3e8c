import AAAnalytics
import Foundation
import Testing

@Suite struct TraceEventCodecTests {
    func fullEvent() -> TraceEvent {
        var e = TraceEvent(.observation, time: 1_700_000_123.25, step: 7)
        e.task = "fix-git"; e.trial = "fix-git__abc"; e.agent = "autoagent"; e.model = "m"; e.attempt = 2
        e.exception = "AgentTimeoutError"; e.durationSeconds = 12.5; e.messages = 9; e.promptTokens = 1234
        e.completionTokens = 56; e.latencySeconds = 0.75; e.finishReason = "stop"; e.costUSD = 0.0001
        e.text = "quote \" backslash \\ tab\t newline\n é 日本 🎉 \u{01}"
        e.tool = "bash"; e.arguments = #"{"command":"ls -la /app"}"#; e.exitCode = -1; e.stdoutBytes = 10
        e.stderrBytes = 0; e.excerpt = "line1\r\nline2"; e.timedOut = true; e.category = "turns"
        e.message = "m"; e.limit = 30; e.used = 30; e.reward = 0
        return e
    }

    func encode(_ e: TraceEvent) -> [UInt8] {
        var out: [UInt8] = []
        TraceEventCodec.encode(e, into: &out)
        return out
    }

    @Test func roundTripsEveryField() {
        let e = fullEvent()
        #expect(TraceEventCodec.decode(encode(e)[...]) == e)
        let sparse = TraceEvent(.trialEnd, time: 5)
        #expect(TraceEventCodec.decode(encode(sparse)[...]) == sparse)
    }

    @Test func agreesWithFoundationBothWays() throws {
        let e = fullEvent()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let foundation = [UInt8](try encoder.encode(e))
        #expect(TraceEventCodec.decode(foundation[...]) == e)
        #expect(try JSONDecoder().decode(TraceEvent.self, from: Data(encode(e))) == e)
    }

    @Test func fallsBackForUnusualJSONAndRejectsNonEvents() {
        // Spaces, escaped slashes and an unknown nested field: the fallback decoder handles them.
        let unusual = #"{ "kind" : "tool_call", "time" : 1.5e3, "tool" : "a\/b", "extra": {"x": [1, 2]} }"#
        let e = TraceEventCodec.decode(Array(unusual.utf8)[...])
        #expect(e?.kind == .toolCall)
        #expect(e?.time == 1500)
        #expect(e?.tool == "a/b")
        #expect(TraceEventCodec.decode(Array(#"{"kind":"nope","time":1}"#.utf8)[...]) == nil)
        #expect(TraceEventCodec.decode(Array(#"{"time":1}"#.utf8)[...]) == nil)
        #expect(TraceEventCodec.decode(Array(#"{"kind":"error","time":1"#.utf8)[...]) == nil)
    }

    /// Decimals read by the parser's fast path equal what Double(String) (strtod) reads.
    @Test func readsDecimalsAsStrtodDoes() {
        var state: UInt64 = 42
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
        var texts = ["0.1", "-0.0", "0.3", "2.675", "1700000000.5", "123456789012.345", "9007199254.740993", "0.000000000000001"]
        for _ in 0..<2_000 {
            let digits = String(next() % 1_000_000_000_000_000)
            let point = 1 + Int(next() % UInt64(digits.count))
            texts.append((next() % 2 == 0 ? "-" : "") + digits.prefix(point) + "." + (point < digits.count ? digits.dropFirst(point) : "5"))
        }
        for text in texts {
            let line = Array(#"{"kind":"reward","reward":\#(text),"time":1}"#.utf8)
            #expect(TraceEventCodec.decode(line[...])?.reward?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }
}
