import Foundation
import TestSupport
import Testing

@Suite struct AnalyticsCommandTests {
    func temp(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A Harbor job folder: two tasks, one success, failures that loop on the same command.
    func harborJob() throws -> String {
        let job = temp("harbor-job")
        for (i, (task, reward)) in [("alpha", 1.0), ("alpha", 0.0), ("beta", 0.0), ("beta", 0.0)].enumerated() {
            let folder = "\(job)/\(task)__trial\(i)"
            try FileManager.default.createDirectory(atPath: folder + "/agent", withIntermediateDirectories: true)
            let command = reward == 1 ? "pytest -q" : "cat /app/status.txt"
            let steps = (1...5).map { n in
                #"{"step_id": \#(n), "source": "agent", "message": "", "tool_calls": [{"tool_call_id": "c\#(n)", "function_name": "bash", "arguments": {"command": "\#(command)"}}], "observation": {"results": [{"source_call_id": "c\#(n)", "content": "waiting"}]}}"#
            }
            let trajectory = #"{"schema_version": "ATIF-v1.7", "agent": {"name": "terminus-2", "version": "1"}, "steps": [\#(steps.joined(separator: ","))]}"#
            try trajectory.write(toFile: folder + "/agent/trajectory.json", atomically: true, encoding: .utf8)
            let result = #"{"task_name": "\#(task)", "trial_name": "\#(task)__trial\#(i)", "verifier_result": {"rewards": {"reward": \#(reward)}}}"#
            try result.write(toFile: folder + "/result.json", atomically: true, encoding: .utf8)
        }
        return job
    }

    @Test func templatesPrintsOneRowPerLine() throws {
        let dir = temp("templates")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/lines.txt"
        try "Connection closed by 1.2.3.4 port 22\nsession opened for user root\nConnection closed by 5.6.7.8 port 2022\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let r = try Executables.run("aa", ["templates", file])
        #expect(r.status == 0)
        let rows = r.stdout.split(separator: "\n")
        #expect(rows.count == 4)
        #expect(rows[0] == "line,template_id,template")
        #expect(rows[1] == "1,1,Connection closed by <*> port <*>")
        #expect(rows[2] == "2,2,session opened for user root")
        #expect(rows[3] == "3,1,Connection closed by <*> port <*>")
    }

    @Test func templatesNamesAMissingFile() throws {
        let r = try Executables.run("aa", ["templates", "/nonexistent/lines.txt"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/lines.txt"))
    }

    @Test func analyzeReadsAHarborJobInEveryFormat() throws {
        let job = try harborJob()
        let out = temp("analyze-out")
        defer {
            try? FileManager.default.removeItem(atPath: job)
            try? FileManager.default.removeItem(atPath: out)
        }
        let md = try Executables.run("aa", ["analyze", job])
        #expect(md.status == 0)
        #expect(md.stdout.contains("Trials: 4, failed: 3"))
        #expect(md.stdout.contains("### 1. Loop: cat <*>"))
        #expect(md.stderr.contains("3 failed, 1 clusters"))

        let json = try Executables.run("aa", ["analyze", job, "--format", "json", "--save-tables", out + "/tables", "--export-csv", out + "/csv"])
        #expect(json.status == 0)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let analysis = try #require(document["analysis"] as? [String: Any])
        let clusters = try #require(analysis["clusters"] as? [[String: Any]])
        #expect((clusters.first?["members"] as? [Any])?.count == 3)
        #expect(FileManager.default.fileExists(atPath: out + "/csv/steps.csv"))

        // Stored tables reload into the same analysis.
        let reloaded = try Executables.run("aa", ["analyze", out + "/tables", "--format", "json"])
        #expect(reloaded.stdout == json.stdout)

        let html = try Executables.run("aa", ["analyze", job, "--format", "html", "-o", out + "/report.html", "--compare", job])
        #expect(html.status == 0)
        let page = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        #expect(page.contains("<svg id=\"reward-per-task\""))
        #expect(page.contains("Compared with"))
    }

    @Test func analyzeRejectsAMissingFolder() throws {
        let r = try Executables.run("aa", ["analyze", "/nonexistent/job"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/job: not a folder"))
    }
}
