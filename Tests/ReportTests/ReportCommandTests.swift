import Foundation
import TestSupport
import Testing

@Suite struct ReportCommandTests {
    @Test func writesReportHTMLIntoTheRunAndPrintsASummary() throws {
        let f = try RunFixture.small()
        let r = try Executables.run("aa", ["report", f.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("experiments 5 tried: 2 kept, 1 discarded, 1 rejected, 1 crashed"))
        #expect(r.stdout.hasSuffix("report: \(f.path)/report.html\n"))
        let html = try String(contentsOfFile: f.path + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg id=\"score-chart\""))

        let md = try Executables.run("aa", ["report", f.path, "--format", "md"])
        #expect(md.status == 0)
        #expect(md.stdout.contains("| search | 0.400 | 0.600 | +0.200 |"))
        let out = f.path + "/series.json"
        let json = try Executables.run("aa", ["report", f.path, "--format", "json", "-o", out])
        #expect(json.status == 0)
        #expect(json.stdout.hasSuffix("report: \(out)\n"))
        #expect(FileManager.default.fileExists(atPath: out))
    }

    @Test func errorsNameTheFile() throws {
        let missing = try Executables.run("aa", ["report", "/nonexistent/run"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/run: not a directory"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aa-report-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let empty = try Executables.run("aa", ["report", dir])
        #expect(empty.status != 0)
        #expect(empty.stderr.contains("\(dir): not an optimize run: it has no ledger.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/ledger.sqlite"))
    }

    /// The page as a person sees it: headless Chromium renders it, and the screenshot is far from blank.
    @Test(.enabled(if: chromiumPath != nil)) func chromiumRendersTheCharts() throws {
        let f = try RunFixture.small()
        let r = try Executables.run("aa", ["report", f.path])
        #expect(r.status == 0)
        try "<!DOCTYPE html><html><body></body></html>".write(toFile: f.path + "/blank.html", atomically: true, encoding: .utf8)
        let report = try screenshot(f.path + "/report.html", to: f.path + "/report.png")
        let blank = try screenshot(f.path + "/blank.html", to: f.path + "/blank.png")
        #expect(report.count > 8 * blank.count, "report \(report.count) bytes, blank page \(blank.count) bytes")
    }

    func screenshot(_ page: String, to png: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromiumPath!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,1600",
                             "--screenshot=\(png)", "file://\(page)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return try Data(contentsOf: URL(fileURLWithPath: png))
    }
}

/// Headless Chromium when this machine has it.
private let chromiumPath: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }
