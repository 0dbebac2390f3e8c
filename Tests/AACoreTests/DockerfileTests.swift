@testable import AACore
import Testing

@Suite struct DockerfileTests {
    @Test func parsesTheSubset() throws {
        let text = """
            # syntax=docker/dockerfile:1
            ARG BASE=bookworm
            FROM debian:${BASE}-slim AS base
            ARG N=3
            ENV APP=/app PY="python 3" \\
                MODE=test
            ENV LEGACY value with spaces
            WORKDIR $APP
            COPY --chown=1000:1000 --chmod=755 run.sh data/ ./
            ADD notes.txt /opt/notes.txt
            RUN apt-get update \\
             && echo $N
            RUN ["python3", "-c", "print(1)"]
            USER 1000
            CMD ["bash"]
            EXPOSE 8080
            """
        let d = try Dockerfile.parse(text)
        #expect(d.baseImage == "debian:bookworm-slim")
        #expect(d.fromLine == 3)
        let kinds = d.instructions.map(\.kind)
        #expect(kinds.count == 9)
        #expect(kinds[0] == .arg(name: "N", defaultValue: "3"))
        #expect(kinds[1] == .env([("APP", "/app"), ("PY", "python 3"), ("MODE", "test")]))
        #expect(kinds[2] == .env([("LEGACY", "value with spaces")]))
        #expect(kinds[3] == .workdir("/app"))
        #expect(kinds[4] == .copy(sources: ["run.sh", "data/"], destination: "./", chown: "1000:1000", chmod: 0o755))
        #expect(kinds[5] == .copy(sources: ["notes.txt"], destination: "/opt/notes.txt", chown: nil, chmod: nil))
        #expect(kinds[6] == .run(exec: nil, shell: "apt-get update  && echo $N"))
        #expect(d.instructions[6].line == 11)
        #expect(kinds[7] == .run(exec: ["python3", "-c", "print(1)"], shell: nil))
        #expect(kinds[8] == .user("1000"))
    }

    @Test func buildArgsOverrideDefaults() throws {
        let d = try Dockerfile.parse("ARG TAG=12\nFROM debian:$TAG\n", buildArgs: ["TAG": "13"])
        #expect(d.baseImage == "debian:13")
    }

    @Test(arguments: [
        ("FROM debian\nVOLUME /data\n", 2, "VOLUME is not supported"),
        ("FROM debian AS a\nRUN true\nFROM debian\n", 3, "multi-stage"),
        ("FROM debian\nCOPY --from=build /x /y\n", 2, "--from"),
        ("FROM debian\nADD https://example.com/x.tgz /x\n", 2, "URL"),
        ("FROM debian\nCOPY ../secret /x\n", 2, "inside the build context"),
        ("FROM debian\nRUN --mount=type=cache,target=/x true\n", 2, "RUN options"),
        ("RUN true\n", 1, "before FROM"),
        ("# nothing\n", 1, "no FROM"),
        ("FROM debian\nHEALTHCHECK CMD true\n", 2, "HEALTHCHECK"),
        ("FROM debian\nENV =x\n", 2, "ENV"),
    ])
    func unsupportedInputNamesTheLine(text: String, line: Int, message: String) {
        do {
            _ = try Dockerfile.parse(text)
            Issue.record("expected a parse error")
        } catch {
            #expect(error.line == line)
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func substitutionForms() throws {
        let vars = ["A": "x", "E": ""]
        #expect(try Dockerfile.substitute("$A/${A}/${B:-d}/${E:-d}/${A:+y}/${B:+y}/\\$A", vars) == "x/x/d/d/y//$A")
    }

    @Test func shellWordsHonourQuotes() {
        #expect(Dockerfile.shellWords(#"a "b c" 'd e' f\ g"#) == ["a", "b c", "d e", "f g"])
    }
}
