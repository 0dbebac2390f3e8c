import AAAnalytics
@testable import AACore
import Foundation
import Testing

@Suite struct TraceRecorderTests {
    @Test func eventsReadBackInOrder() throws {
        let path = FileManager.default.temporaryDirectory.path + "/aa-trace-\(UUID().uuidString).aatrace"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let trace = TraceRecorder(path: path)
        #expect(trace.openError == nil)
        trace.record(.trialStart) { $0.task = "t" }
        trace.record(.toolCall, step: 1) { $0.tool = "bash" }
        trace.record(.trialEnd) { $0.reward = 1 }
        trace.close()
        let events = try TraceReader.read(path: path).events
        #expect(events.map(\.kind) == [.trialStart, .toolCall, .trialEnd])
        #expect(events[1].step == 1 && events[1].tool == "bash")
        #expect(events[2].reward == 1)
    }

    @Test func anUnwritablePathIsReportedNotThrown() {
        let trace = TraceRecorder(path: "/nonexistent-dir/trace.aatrace")
        #expect(trace.openError != nil)
        trace.record(.trialStart)
        #expect(trace.writeFailures == 1)
    }
}
