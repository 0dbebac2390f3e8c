import AAAnalytics
import ArgumentParser
import Foundation

struct TemplatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates",
        abstract: "Print the template id and template of every input line (CSV), to score the template miner.",
        discussion: "Output: a header `line,template_id,template`, then one row per input line in input order, with each line's final template. `-` reads standard input."
    )

    @Argument(help: "Text files, one log line or command a line (`-` for standard input).")
    var files: [String]

    mutating func run() async throws {
        var lines: [String] = []
        for file in files {
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let contents = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read \(file)")
                }
                data = contents
            }
            var text = String(decoding: data, as: UTF8.self)
            if text.hasSuffix("\n") { text.removeLast() }
            if text.isEmpty { continue }
            lines.append(contentsOf: text.split(separator: "\n", omittingEmptySubsequences: false).map {
                $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
            })
        }
        var miner = TemplateMiner()
        let progress = Progress("templates", total: lines.count)
        var ids: [Int] = []
        ids.reserveCapacity(lines.count)
        for (i, line) in lines.enumerated() {
            ids.append(miner.add(line))
            if i & 0x3ff == 0 { progress.update(i) }
        }
        var out = "line,template_id,template\n"
        for (i, id) in ids.enumerated() {
            out += "\(i + 1),\(id),\(CSV.field(miner.template(id)))\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        progress.finish("\(lines.count) lines, \(miner.count) templates")
    }
}
