import AASandbox
import ArgumentParser
import Glibc

struct Shell: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep one sandbox alive and run each line you type in it with /bin/sh -c.",
        discussion: """
            Files, background processes and the working tree persist between lines; the sandbox is destroyed \
            when input ends (Ctrl-D) or on 'exit'. Each line's exit status is shown when it is not zero.
            """
    )

    @OptionGroup var sandbox: SandboxOptions

    mutating func run() async throws {
        let spec = try sandbox.spec(relativeTo: currentDirectory())
        let runtime = try openRuntime(for: spec)
        let box: Sandbox
        do {
            box = try await Sandbox.create(spec, runtime: runtime)
        } catch {
            runtime.shutdown()
            throw report(error)
        }
        let interactive = isatty(0) != 0
        writeErr("aa-sandbox: sandbox \(box.name) ready (init pid \(box.initPID)); Ctrl-D to end\n")
        while true {
            if interactive { writeErr("sandbox# ") }
            guard let line = readLine(strippingNewline: true) else { break }
            let trimmed = line.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
            if trimmed.isEmpty { continue }
            if String(trimmed) == "exit" { break }
            var request = ExecRequest(.shell(line))
            request.passthrough = (stdin: open("/dev/null", O_RDONLY), stdout: 1, stderr: 2)
            defer { close(request.passthrough!.stdin) }
            do {
                let result = try await box.exec(request)
                if result.shellStatus != 0 { writeErr("[exit \(result.shellStatus)]\n") }
            } catch {
                _ = report(error)
                if (error as? SandboxError)?.code == .terminated { break }
            }
        }
        await box.destroy()
        runtime.shutdown()
    }
}
