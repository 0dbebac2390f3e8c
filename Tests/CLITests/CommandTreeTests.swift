import Foundation
import TestSupport
import Testing

@Suite struct CommandTreeTests {
    @Test func aaHelpListsEveryCommand() throws {
        let r = try Executables.run("aa", ["--help"])
        #expect(r.status == 0)
        for command in ["run", "tasks", "analyze", "templates", "optimize", "report"] {
            #expect(r.stdout.contains("\n  \(command) "), "aa --help lacks \(command)")
        }
    }

    @Test func aaSandboxHelpListsEveryCommand() throws {
        let r = try Executables.run("aa-sandbox", ["--help"])
        #expect(r.status == 0)
        for command in ["run", "shell", "probe", "bench", "serve", "server"] {
            #expect(r.stdout.contains("\n  \(command) "), "aa-sandbox --help lacks \(command)")
        }
    }

    @Test func unknownOptionsFailWithAMessage() throws {
        // Without the runtime server: a front end that finds none would start one, and tests leave none behind.
        let r = try Executables.run("aa-sandbox", ["run", "--no-such-option", "--", "/bin/true"], environment: ["AA_SANDBOX_SERVER": "0"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("no-such-option"))
    }
}
