import Foundation
import Logging
import Synchronization

/// Loads trials from job folders: Harbor's (`<trial>/result.json`, `agent/trajectory.json` in
/// ATIF, `verifier/…`) and ours (the same layout plus `agent/trace.aatrace`). A path may be a
/// jobs folder, a job folder or a trial folder; an analysis may mix any of them.
public enum JobImporter {
    /// Trials found and the problems met (unreadable files are skipped, not fatal).
    public struct Result: Sendable {
        public var trials: [TrialRecord]
        public var problems: [String]
    }

    /// The trial folders under the given paths, in a stable order, with the job each belongs to.
    public static func trialFolders(in paths: [String]) throws(ImportError) -> [(job: String, folder: String)] {
        var found: [(String, String)] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw ImportError(path: path, message: "not a folder")
            }
            let url = URL(fileURLWithPath: path).standardizedFileURL
            if isTrial(url.path) {
                found.append((url.deletingLastPathComponent().lastPathComponent, url.path))
            } else {
                collect(url, depth: 0, into: &found)
            }
        }
        return found
    }

    /// Reads every trial under the paths, using all cores; `progress` gets the count done so far.
    public static func load(paths: [String], logger: Logger, progress: (@Sendable (Int, Int) -> Void)? = nil) throws(ImportError) -> Result {
        var trials: [TrialRecord] = []
        let problems = try stream(paths: paths, logger: logger, progress: progress) { trials.append(contentsOf: $0) }
        return Result(trials: trials, problems: problems)
    }

    /// Reads every trial under the paths in chunks, in order: the next chunk is read on all cores
    /// while `consume` takes the last one, so memory holds two chunks, not the whole input.
    /// Returns the problems met (each also logged as a warning).
    public static func stream(paths: [String], logger: Logger, chunkSize: Int = 256, progress: (@Sendable (Int, Int) -> Void)? = nil,
                              consume: ([TrialRecord]) -> Void) throws(ImportError) -> [String] {
        let folders = try trialFolders(in: paths)
        let total = folders.count
        let done = Counter()
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        func start(_ range: Range<Int>) -> (DispatchGroup, Slots) {
            let group = DispatchGroup()
            let slots = Slots(count: range.count)
            let cursor = Counter()
            DispatchQueue.global().async(group: group) {
                // One worker per core, each with its own decompressor, taking the next trial as it goes.
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    let decompressor = try? ZstdDecompressor()
                    while true {
                        let i = cursor.increment() - 1
                        guard i < range.count else { break }
                        let (job, folder) = folders[range.lowerBound + i]
                        slots.set(i, readTrial(folder: folder, job: job, decompressor: decompressor))
                        progress?(done.increment(), total)
                    }
                }
            }
            return (group, slots)
        }
        let chunks = stride(from: 0, to: total, by: max(1, chunkSize)).map { $0..<min($0 + max(1, chunkSize), total) }
        var problems: [String] = []
        var next = chunks.first.map(start)
        for k in chunks.indices {
            guard let (group, slots) = next else { break }
            group.wait()
            next = k + 1 < chunks.count ? start(chunks[k + 1]) : nil
            let records = slots.values.compactMap { $0 }
            for record in records {
                for problem in record.problems { logger.warning("\(problem)") }
                problems.append(contentsOf: record.problems)
            }
            consume(records)
        }
        return problems
    }

    /// Reads one trial folder; never throws, problems are recorded in the record. A reader of
    /// many folders passes one decompressor for all of them.
    public static func readTrial(folder: String, job: String, decompressor: ZstdDecompressor? = nil) -> TrialRecord {
        let name = URL(fileURLWithPath: folder).lastPathComponent
        let fallbackTask = name.range(of: "__", options: .backwards).map { String(name[..<$0.lowerBound]) } ?? name
        var record = TrialRecord(job: job, name: name, task: fallbackTask, source: folder)
        let trace = folder + "/agent/trace.aatrace"
        if exists(trace) {
            do {
                record = try TraceImporter.read(path: trace, job: job, fallbackName: name, decompressor: decompressor)
                record.source = folder
                if record.task == name { record.task = fallbackTask }
            } catch {
                record.problems.append(error.description)
            }
        } else {
            for path in trajectoryFiles(folder + "/agent") {
                do {
                    let t = try ATIFImporter.read(path: path)
                    record.steps.append(contentsOf: t.steps)
                    record.agent = record.agent ?? t.agent
                    record.model = record.model ?? t.model
                    if let p = t.promptTokens { record.promptTokens = (record.promptTokens ?? 0) + p }
                    if let c = t.completionTokens { record.completionTokens = (record.completionTokens ?? 0) + c }
                    if let c = t.costUSD { record.costUSD = (record.costUSD ?? 0) + c }
                    record.finalMessage = t.finalMessage ?? record.finalMessage
                } catch {
                    record.problems.append(error.description)
                }
            }
        }
        applyResult(folder + "/result.json", to: &record)
        applyVerifier(folder + "/verifier", to: &record)
        if record.exception == nil, let text = readText(folder + "/exception.txt"),
           let last = TextExcerpt.lastLine(text) {
            record.exception = last.split(separator: ":").first.map(String.init)
            record.exceptionMessage = last
        }
        return record
    }

    /// A trial folder has a result.json naming a task, or an agent folder with a trajectory or trace.
    static func isTrial(_ folder: String) -> Bool {
        if exists(folder + "/agent/trace.aatrace") || exists(folder + "/agent/trajectory.json") {
            return true
        }
        guard let data = FileManager.default.contents(atPath: folder + "/result.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return false }
        return object["task_name"] != nil || object["trial_name"] != nil
    }

    private static func collect(_ url: URL, depth: Int, into found: inout [(String, String)]) {
        let path = url.path
        guard depth < 6, let children = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        let job = url.lastPathComponent
        for child in children.sorted() where !child.hasPrefix(".") {
            // Plain stat calls: a jobs folder may hold a hundred thousand trials.
            let childPath = path.hasSuffix("/") ? path + child : path + "/" + child
            guard isDirectory(childPath) else { continue }
            if isTrial(childPath) {
                found.append((job, childPath))
            } else {
                collect(url.appendingPathComponent(child), depth: depth + 1, into: &found)
            }
        }
    }

    /// Whether something exists at path (following symbolic links).
    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Whether path is a folder (following symbolic links).
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// `trajectory.json` then its continuations `trajectory.cont-N.json` in order.
    private static func trajectoryFiles(_ agent: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: agent) else { return [] }
        let continuations = names.compactMap { name -> (Int, String)? in
            guard name.hasPrefix("trajectory.cont-"), name.hasSuffix(".json") else { return nil }
            let n = Int(name.dropFirst("trajectory.cont-".count).dropLast(".json".count)) ?? Int.max
            return (n, agent + "/" + name)
        }.sorted { $0.0 < $1.0 }.map(\.1)
        return (names.contains("trajectory.json") ? [agent + "/trajectory.json"] : []) + continuations
    }

    /// Harbor's TrialResult: task, agent, reward, exception, token totals and timing.
    private static func applyResult(_ path: String, to record: inout TrialRecord) {
        guard let bytes = try? TraceReader.readFile(path) else { return }
        guard let r = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            record.problems.append("\(path): not a JSON object")
            return
        }
        if let task = r["task_name"] as? String { record.task = task }
        if let trial = r["trial_name"] as? String { record.name = trial }
        if let info = r["agent_info"] as? [String: Any] {
            record.agent = info["name"] as? String ?? record.agent
            record.model = (info["model_info"] as? [String: Any])?["name"] as? String ?? record.model
        }
        if let verifier = r["verifier_result"] as? [String: Any], let rewards = verifier["rewards"] as? [String: Any] {
            record.reward = ATIFImporter.double(rewards["reward"]) ?? rewards.keys.sorted().lazy.compactMap { ATIFImporter.double(rewards[$0]) }.first
        }
        if let info = r["exception_info"] as? [String: Any] {
            record.exception = info["exception_type"] as? String ?? record.exception
            record.exceptionMessage = (info["exception_message"] as? String).map { TextExcerpt.bounded($0, limit: 600) }
        }
        if let agent = r["agent_result"] as? [String: Any] {
            if let n = ATIFImporter.int(agent["n_input_tokens"]) { record.promptTokens = n }
            if let n = ATIFImporter.int(agent["n_output_tokens"]) { record.completionTokens = n }
            if let c = ATIFImporter.double(agent["cost_usd"]) { record.costUSD = c }
        }
        if let start = (r["started_at"] as? String).flatMap(ISOTime.seconds),
           let end = (r["finished_at"] as? String).flatMap(ISOTime.seconds) {
            record.durationSeconds = end - start
        }
    }

    /// Reward files (when result.json had none) and a bounded verifier output, failure lines first.
    private static func applyVerifier(_ folder: String, to record: inout TrialRecord) {
        // One stat instead of failed opens when the trial has no verifier folder.
        guard isDirectory(folder) else { return }
        if record.reward == nil {
            if let text = readText(folder + "/reward.txt") {
                record.reward = Double(text.trimmingWhitespace())
            } else if let data = FileManager.default.contents(atPath: folder + "/reward.json"),
                      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                record.reward = ATIFImporter.double(object["reward"]) ?? object.keys.sorted().lazy.compactMap { ATIFImporter.double(object[$0]) }.first
            }
        }
        var text = ""
        for name in ["test-stdout.txt", "test-stderr.txt"] {
            if let part = readText(folder + "/" + name) { text += part + "\n" }
        }
        guard !text.isEmpty else { return }
        let lines = text.split(separator: "\n")
        let failing = lines.filter { TextExcerpt.looksLikeError($0) }.suffix(20).joined(separator: "\n")
        let tail = lines.suffix(10).joined(separator: "\n")
        record.verifierOutput = TextExcerpt.bounded(failing.isEmpty ? tail : failing + "\n…\n" + tail, limit: 3_000)
    }

}

/// A file's text, or nil when it cannot be read (a missing file is the common case and costs one failed open).
func readText(_ path: String) -> String? {
    guard let bytes = try? TraceReader.readFile(path) else { return nil }
    return String(decoding: bytes, as: UTF8.self)
}

/// Results written by index from concurrent workers.
private final class Slots: Sendable {
    private let storage: Mutex<[TrialRecord?]>
    init(count: Int) { storage = Mutex(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ value: TrialRecord) { storage.withLock { $0[i] = value } }
    var values: [TrialRecord?] { storage.withLock { $0 } }
}

private final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}
