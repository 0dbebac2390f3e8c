import Foundation

/// Writes the trials and steps tables as CSV or JSON Lines (for pandas, DuckDB and the like),
/// templates resolved to their text, missing values empty (CSV) or null (JSONL).
public enum TableExport {
    public enum Format: String, Sendable, CaseIterable {
        case csv
        case jsonl
    }

    /// Writes `trials.<ext>` and `steps.<ext>` into folder.
    public static func write(_ tables: TraceTables, format: Format, to folder: String) throws(ImportError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ImportError(path: folder, message: "cannot create: \(error.localizedDescription)")
        }
        for (name, columns, rows) in [("trials", trialColumns(tables), tables.trials.count), ("steps", stepColumns(tables), tables.steps.count)] {
            let path = folder + "/" + name + "." + format.rawValue
            var out = ""
            if format == .csv { out += CSV.row(columns.map(\.name)) + "\n" }
            for row in 0..<rows {
                let values = columns.map { $0.value(row) }
                switch format {
                case .csv:
                    out += values.map { CSV.field($0.csv) }.joined(separator: ",") + "\n"
                case .jsonl:
                    out += "{" + zip(columns, values).map { "\(jsonString($0.name)):\($1.json)" }.joined(separator: ",") + "}\n"
                }
            }
            do {
                try Data(out.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw ImportError(path: path, message: "cannot write: \(error.localizedDescription)")
            }
        }
    }

    enum Value {
        case text(String?)
        case number(Double?)
        case integer(Int64?)
        case flag(Bool)

        var csv: String {
            switch self {
            case .text(let s): s ?? ""
            case .number(let d): d.map { "\($0)" } ?? ""
            case .integer(let i): i.map { "\($0)" } ?? ""
            case .flag(let b): b ? "true" : "false"
            }
        }

        var json: String {
            switch self {
            case .text(let s): s.map(jsonString) ?? "null"
            case .number(let d): d.map { "\($0)" } ?? "null"
            case .integer(let i): i.map { "\($0)" } ?? "null"
            case .flag(let b): b ? "true" : "false"
            }
        }
    }

    struct Column {
        var name: String
        var value: (Int) -> Value
    }

    static func trialColumns(_ t: TraceTables) -> [Column] {
        let tr = t.trials
        func num(_ v: Double) -> Value { .number(v.isNaN ? nil : v) }
        func int(_ v: Int64) -> Value { .integer(v < 0 ? nil : v) }
        return [
            Column(name: "trial_id") { .integer(Int64($0)) },
            Column(name: "job") { .text(tr.job[$0]) },
            Column(name: "trial") { .text(tr.name[$0]) },
            Column(name: "task") { .text(tr.task[$0]) },
            Column(name: "attempt") { int(Int64(tr.attempt[$0])) },
            Column(name: "agent") { .text(tr.agent[$0]) },
            Column(name: "model") { .text(tr.model[$0]) },
            Column(name: "reward") { num(tr.reward[$0]) },
            Column(name: "exception") { .text(tr.exception[$0]) },
            Column(name: "budget_exhausted") { .text(tr.budgetExhausted[$0]) },
            Column(name: "prompt_tokens") { int(tr.promptTokens[$0]) },
            Column(name: "completion_tokens") { int(tr.completionTokens[$0]) },
            Column(name: "cost_usd") { num(tr.costUSD[$0]) },
            Column(name: "duration_seconds") { num(tr.durationSeconds[$0]) },
            Column(name: "step_count") { .integer(Int64(tr.stepCount[$0])) },
        ]
    }

    static func stepColumns(_ t: TraceTables) -> [Column] {
        let s = t.steps
        return [
            Column(name: "trial_id") { .integer(Int64(s.trial[$0])) },
            Column(name: "step") { .integer(Int64(s.index[$0])) },
            Column(name: "kind") { .text(s.kind[$0]) },
            Column(name: "tool") { .text(s.tool[$0]) },
            Column(name: "command") { .text(s.command[$0]) },
            Column(name: "command_template_id") { .integer(s.commandTemplate[$0] == 0 ? nil : Int64(s.commandTemplate[$0])) },
            Column(name: "command_template") { .text(t.commandTemplate(s.commandTemplate[$0])) },
            Column(name: "exit_code") { .integer(s.exitCode[$0] == StepsTable.noExitCode ? nil : Int64(s.exitCode[$0])) },
            Column(name: "output_bytes") { .integer(s.outputBytes[$0] < 0 ? nil : s.outputBytes[$0]) },
            Column(name: "error_template_id") { .integer(s.errorTemplate[$0] == 0 ? nil : Int64(s.errorTemplate[$0])) },
            Column(name: "error_template") { .text(t.errorTemplate(s.errorTemplate[$0])) },
            Column(name: "category") { .text(s.category[$0]) },
            Column(name: "tokens") { .integer(s.tokens[$0] < 0 ? nil : s.tokens[$0]) },
            Column(name: "latency_seconds") { .number(s.latencySeconds[$0].isNaN ? nil : s.latencySeconds[$0]) },
            Column(name: "timed_out") { .flag(s.timedOut[$0]) },
        ]
    }
}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                out += String(format: "\\u%04x", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
