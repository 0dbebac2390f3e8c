import AACore
import Foundation
import Testing

@Suite struct ReportFormatsTests {
    @Test func markdownHasTheHeadlineTableAndKeptDiffs() throws {
        let f = try RunFixture.small()
        let md = OptimizeReportMarkdown.render(try OptimizeReport.load(runDirectory: f.path), generatedAt: "now")
        #expect(md.hasPrefix("# nightly \\<b\\>run\\</b\\>\n"))
        #expect(md.contains("| search | 0.400 | 0.600 | +0.200 |"))
        #expect(md.contains("| test | 0.350 | 0.500 | +0.150 |"))
        #expect(md.contains("experiments 5 tried: 2 kept, 1 discarded, 1 rejected, 1 crashed"))
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("| ") && $0.dropFirst(2).first?.isNumber == true && $0.contains(" vs ") }
        #expect(rows.count == 6)
        // Hostile text cannot break the table or inject HTML.
        let hostileRow = try #require(rows.first { $0.hasPrefix("| 1 |") })
        #expect(hostileRow.contains(#"\<script\>alert("x")\</script\> & \<img src=x onerror=alert(1)\> \| pipe"#))
        #expect(hostileRow.components(separatedBy: " | ").count == 11)
        #expect(md.contains("### #5: second kept edit\n\n```diff\ndiff --git a/system.md b/system.md\n"))
        #expect(md.contains("\n-Finish quickly.\n+Before finishing, run the checks and read their output.\n"))
        #expect(md.contains("| lost direction | 5 | 1 | 8 |"))
    }

    @Test func aDiffWithAFenceGetsALongerFence() throws {
        let f = try RunFixture()
        try f.add(0, .baseline, score: 0.3, minutes: 1)
        try f.add(1, .keep, score: 0.4, parent: 0.3, minutes: 2, diff: "--- a/system.md\n+++ b/system.md\n@@ -1 +1 @@\n-x\n+```sh\n")
        let md = OptimizeReportMarkdown.render(try OptimizeReport.load(runDirectory: f.path), generatedAt: "now")
        #expect(md.contains("\n````diff\n--- a/system.md\n+++ b/system.md\n@@ -1 +1 @@\n-x\n+```sh\n````\n"))
    }

    @Test func jsonCarriesTheSeries() throws {
        let f = try RunFixture.small()
        let text = try OptimizeReportJSON.render(try OptimizeReport.load(runDirectory: f.path))
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let points = try #require(doc["points"] as? [[String: Any]])
        #expect(points.map { $0["status"] as? String } == ["baseline", "keep", "discard", "rejected", "crash", "keep"])
        #expect(points.map { $0["runningBest"] as? Double } == [0.40, 0.55, 0.55, 0.55, 0.55, 0.60])
        #expect(points[3]["score"] == nil)
        let headline = try #require(doc["headline"] as? [String: Any])
        #expect((headline["search"] as? [String: Any])?["best"] as? Double == 0.60)
        #expect(headline["bestID"] as? Int == 5)
        #expect((doc["cost"] as? [[String: Any]])?.last?["cumulativeTokens"] as? Int == 47_600)
        // 8, 8 and 3 failed trials: ties by name.
        #expect((doc["topModes"] as? [String]) == ["loop", "lost direction", "timeout"])
        #expect((doc["counts"] as? [String: Int])?["kept"] == 2)
    }

    @Test func summaryFitsOneScreenAndStripsControlCharacters() throws {
        let f = try RunFixture.small()
        try f.add(6, .keep, score: 0.61, parent: 0.60, p: 0.01, minutes: 30, description: "clears \u{1B}[2Jthe screen")
        let text = OptimizeReportSummary.render(try OptimizeReport.load(runDirectory: f.path))
        #expect(text.contains("  search     0.400 → 0.610 (+0.210)  best #6\n"))
        #expect(text.contains("  spent      $1.41 of $10.00 (14%), 48.6k tokens, 3m 30s\n"))
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("clears \u{FFFD}[2Jthe screen"))
        #expect(text.split(separator: "\n").count <= 20)
    }
}
