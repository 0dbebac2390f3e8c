import Foundation

/// Persists trace tables as a folder of zstd-compressed column files (one file a column, raw
/// little-endian values or a string dictionary plus codes) and a manifest, for fast reload.
public enum ColumnStore {
    public static let format = "aa-tables"
    public static let version = 1

    struct Manifest: Codable {
        var format: String
        var version: Int
        var trials: Int
        var steps: Int
    }

    /// Whether a folder holds stored tables.
    public static func isStore(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/manifest.json")
            && (try? load(manifest: folder)) != nil
    }

    /// Writes the tables into folder (created if needed; existing column files are replaced).
    public static func save(_ tables: TraceTables, to folder: String) throws(ImportError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ImportError(path: folder, message: "cannot create: \(error.localizedDescription)")
        }
        let w = Writer(folder: folder)
        let t = tables.trials
        try w.strings("trials.job", t.job); try w.strings("trials.name", t.name); try w.strings("trials.task", t.task)
        try w.strings("trials.agent", t.agent); try w.strings("trials.model", t.model)
        try w.strings("trials.exception", t.exception); try w.strings("trials.budget_exhausted", t.budgetExhausted)
        try w.strings("trials.verifier_output", t.verifierOutput); try w.strings("trials.final_message", t.finalMessage)
        try w.values("trials.attempt", t.attempt); try w.values("trials.reward", t.reward)
        try w.values("trials.prompt_tokens", t.promptTokens); try w.values("trials.completion_tokens", t.completionTokens)
        try w.values("trials.cost_usd", t.costUSD); try w.values("trials.duration_seconds", t.durationSeconds)
        try w.values("trials.first_step", t.firstStep); try w.values("trials.step_rows", t.stepRows)
        try w.values("trials.step_count", t.stepCount)
        let s = tables.steps
        try w.values("steps.trial", s.trial); try w.values("steps.index", s.index)
        try w.strings("steps.kind", s.kind); try w.strings("steps.tool", s.tool); try w.strings("steps.command", s.command)
        try w.values("steps.command_template", s.commandTemplate); try w.values("steps.exit_code", s.exitCode)
        try w.values("steps.output_bytes", s.outputBytes); try w.strings("steps.output", s.output)
        try w.strings("steps.error_line", s.errorLine); try w.values("steps.error_template", s.errorTemplate)
        try w.strings("steps.category", s.category); try w.values("steps.tokens", s.tokens)
        try w.values("steps.latency_seconds", s.latencySeconds); try w.values("steps.timed_out", s.timedOut.map { $0 ? UInt8(1) : 0 })
        try w.strings("templates.command", StringColumn(dictionary: tables.commandTemplates, codes: []))
        try w.strings("templates.error", StringColumn(dictionary: tables.errorTemplates, codes: []))
        let manifest = Manifest(format: format, version: version, trials: t.count, steps: s.count)
        do {
            try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: folder + "/manifest.json"), options: .atomic)
        } catch {
            throw ImportError(path: folder + "/manifest.json", message: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads tables written by `save`.
    public static func load(from folder: String) throws(ImportError) -> TraceTables {
        let manifest = try load(manifest: folder)
        let r = Reader(folder: folder)
        var tables = TraceTables()
        var t = TrialsTable()
        t.job = try r.strings("trials.job"); t.name = try r.strings("trials.name"); t.task = try r.strings("trials.task")
        t.agent = try r.strings("trials.agent"); t.model = try r.strings("trials.model")
        t.exception = try r.strings("trials.exception"); t.budgetExhausted = try r.strings("trials.budget_exhausted")
        t.verifierOutput = try r.strings("trials.verifier_output"); t.finalMessage = try r.strings("trials.final_message")
        t.attempt = try r.values("trials.attempt"); t.reward = try r.values("trials.reward")
        t.promptTokens = try r.values("trials.prompt_tokens"); t.completionTokens = try r.values("trials.completion_tokens")
        t.costUSD = try r.values("trials.cost_usd"); t.durationSeconds = try r.values("trials.duration_seconds")
        t.firstStep = try r.values("trials.first_step"); t.stepRows = try r.values("trials.step_rows")
        t.stepCount = try r.values("trials.step_count")
        var s = StepsTable()
        s.trial = try r.values("steps.trial"); s.index = try r.values("steps.index")
        s.kind = try r.strings("steps.kind"); s.tool = try r.strings("steps.tool"); s.command = try r.strings("steps.command")
        s.commandTemplate = try r.values("steps.command_template"); s.exitCode = try r.values("steps.exit_code")
        s.outputBytes = try r.values("steps.output_bytes"); s.output = try r.strings("steps.output")
        s.errorLine = try r.strings("steps.error_line"); s.errorTemplate = try r.values("steps.error_template")
        s.category = try r.strings("steps.category"); s.tokens = try r.values("steps.tokens")
        s.latencySeconds = try r.values("steps.latency_seconds")
        s.timedOut = (try r.values("steps.timed_out") as [UInt8]).map { $0 != 0 }
        tables.commandTemplates = try r.strings("templates.command").dictionary
        tables.errorTemplates = try r.strings("templates.error").dictionary
        let trialColumns = [t.job.count, t.task.count, t.attempt.count, t.reward.count, t.firstStep.count, t.stepRows.count, t.stepCount.count]
        let stepColumns = [s.index.count, s.kind.count, s.command.count, s.commandTemplate.count, s.exitCode.count, s.output.count, s.errorTemplate.count, s.timedOut.count]
        guard trialColumns.allSatisfy({ $0 == manifest.trials }), stepColumns.allSatisfy({ $0 == manifest.steps }), s.trial.count == manifest.steps else {
            throw ImportError(path: folder, message: "column lengths disagree with manifest.json (\(manifest.trials) trials, \(manifest.steps) steps)")
        }
        tables.trials = t
        tables.steps = s
        return tables
    }

    static func load(manifest folder: String) throws(ImportError) -> Manifest {
        let path = folder + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data), manifest.format == format
        else { throw ImportError(path: path, message: "not a manifest of stored tables") }
        guard manifest.version <= version else {
            throw ImportError(path: path, message: "tables version \(manifest.version) is newer than this reader (\(version))")
        }
        return manifest
    }

    private struct Writer {
        let folder: String

        func values<T: BitwiseCopyable>(_ name: String, _ array: [T]) throws(ImportError) {
            try write(name, array.withUnsafeBytes { [UInt8]($0) })
        }

        func strings(_ name: String, _ column: StringColumn) throws(ImportError) {
            var bytes: [UInt8] = []
            appendU32(&bytes, UInt32(column.dictionary.count))
            for s in column.dictionary {
                appendU32(&bytes, UInt32(s.utf8.count))
                bytes.append(contentsOf: s.utf8)
            }
            column.codes.withUnsafeBytes { bytes.append(contentsOf: $0) }
            try write(name, bytes)
        }

        private func appendU32(_ bytes: inout [UInt8], _ v: UInt32) {
            bytes.append(contentsOf: [UInt8(v & 0xff), UInt8((v >> 8) & 0xff), UInt8((v >> 16) & 0xff), UInt8(v >> 24)])
        }

        private func write(_ name: String, _ bytes: [UInt8]) throws(ImportError) {
            let path = folder + "/" + name + ".zst"
            do {
                let packed = try Zstd.compress(bytes, level: 3, checksum: true)
                try Data(packed).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw ImportError(path: path, message: "cannot write column: \(error)")
            }
        }
    }

    private struct Reader {
        let folder: String

        func values<T: BitwiseCopyable>(_ name: String) throws(ImportError) -> [T] {
            let (bytes, path) = try read(name)
            let size = MemoryLayout<T>.stride
            guard bytes.count % size == 0 else { throw ImportError(path: path, message: "length \(bytes.count) is not a multiple of \(size)") }
            return [T](unsafeUninitializedCapacity: bytes.count / size) { buffer, count in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                }
                count = bytes.count / size
            }
        }

        func strings(_ name: String) throws(ImportError) -> StringColumn {
            let (b, path) = try read(name)
            var off = 0
            func u32() throws(ImportError) -> Int {
                guard off + 4 <= b.count else { throw ImportError(path: path, message: "truncated at byte \(off)") }
                defer { off += 4 }
                return Int(b[off]) | Int(b[off + 1]) << 8 | Int(b[off + 2]) << 16 | Int(b[off + 3]) << 24
            }
            let n = try u32()
            var dictionary: [String] = []
            dictionary.reserveCapacity(n)
            for _ in 0..<n {
                let len = try u32()
                guard off + len <= b.count else { throw ImportError(path: path, message: "truncated string at byte \(off)") }
                dictionary.append(String(decoding: b[off..<(off + len)], as: UTF8.self))
                off += len
            }
            guard (b.count - off) % 4 == 0 else { throw ImportError(path: path, message: "codes are not whole Int32 values") }
            let codes = [Int32](unsafeUninitializedCapacity: (b.count - off) / 4) { buffer, count in
                b[off...].withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
                count = (b.count - off) / 4
            }
            guard codes.allSatisfy({ $0 >= -1 && Int($0) < n }) else { throw ImportError(path: path, message: "a code is outside the dictionary") }
            return StringColumn(dictionary: dictionary, codes: codes)
        }

        private func read(_ name: String) throws(ImportError) -> ([UInt8], String) {
            let path = folder + "/" + name + ".zst"
            guard let data = FileManager.default.contents(atPath: path) else { throw ImportError(path: path, message: "missing column file") }
            do {
                return (try Zstd.decompress([UInt8](data), limit: Int.max), path)
            } catch {
                throw ImportError(path: path, message: "damaged column file: \(error)")
            }
        }
    }
}
