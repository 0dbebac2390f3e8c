import AAAnalytics
import Foundation
import Testing

@Suite struct TraceFileTests {
    func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString).aatrace").path
    }

    func sampleEvents(_ n: Int) -> [TraceEvent] {
        (0..<n).map { i in
            var e = TraceEvent(i % 2 == 0 ? .toolCall : .observation, time: 1_700_000_000 + Double(i), step: i / 2 + 1)
            e.tool = "bash"
            e.arguments = #"{"command":"ls -la /app"}"#
            e.exitCode = i % 2 == 1 ? 0 : nil
            return e
        }
    }

    @Test func writesAndReadsEveryEvent() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try TraceWriter(path: path, frameEvents: 4)
        let events = sampleEvents(10)
        for e in events { try writer.append(e) }
        try writer.close()
        let contents = try TraceReader.read(path: path)
        #expect(contents.events == events)
        #expect(!contents.tornTail)
        #expect(contents.corruptions.isEmpty)
    }

    @Test func skipsATornTailAndReportsDamage() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try TraceWriter(path: path, frameEvents: 2)
        for e in sampleEvents(6) { try writer.append(e) }
        try writer.close()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes.removeLast(5)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var contents = try TraceReader.read(path: path)
        #expect(contents.tornTail)
        #expect(contents.events.count == 4)

        bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[20] ^= 0xff // inside the first frame
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        contents = try TraceReader.read(path: path)
        #expect(contents.corruptions.count == 1)
        #expect(contents.events.count == 2)
    }

    @Test func rejectsOtherFiles() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: TraceError.self) { try TraceReader.read(path: path) }
    }
}
