import AAAnalytics
import Foundation
import Synchronization

/// The trial's trace: stamps events with the time and appends them to the trial's trace file.
/// Write errors are counted, not thrown, so a full disk cannot turn into an agent failure.
public final class TraceRecorder: Sendable {
    private let writer: TraceWriter
    private let failures = Mutex(0)

    public init(path: String) throws(TraceError) {
        writer = try TraceWriter(path: path)
    }

    /// Appends an event; `fill` sets the fields that apply to its kind.
    public func record(_ kind: TraceEvent.Kind, step: Int? = nil, _ fill: (inout TraceEvent) -> Void = { _ in }) {
        var event = TraceEvent(kind, time: Date().timeIntervalSince1970, step: step)
        fill(&event)
        do { try writer.append(event) } catch { failures.withLock { $0 += 1 } }
    }

    /// Events that could not be written.
    public var writeFailures: Int { failures.withLock { $0 } }

    public func close() {
        do { try writer.close() } catch { failures.withLock { $0 += 1 } }
    }
}
