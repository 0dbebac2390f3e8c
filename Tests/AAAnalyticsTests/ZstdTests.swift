import AAAnalytics
import Testing

@Suite struct ZstdTests {
    @Test func roundTripsLogText() throws {
        let line = Array("2026-11-27 12:00:01 INFO trial task-17 step 4 exit=0 bytes=4096\n".utf8)
        var input: [UInt8] = []
        for i in 0..<2000 { input += line; input += Array("\(i)\n".utf8) }
        let packed = try Zstd.compress(input, level: 3)
        #expect(packed.count < input.count / 5)
        #expect(try Zstd.decompress(packed) == input)
    }

    @Test func rejectsGarbageAndOversizedOutput() throws {
        #expect(throws: ZstdError.self) { try Zstd.decompress(Array("not a zstd frame".utf8)) }
        let packed = try Zstd.compress([UInt8](repeating: 7, count: 100_000))
        #expect(throws: ZstdError.self) { try Zstd.decompress(packed, limit: 1000) }
    }
}
