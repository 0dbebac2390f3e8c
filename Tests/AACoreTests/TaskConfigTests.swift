@testable import AACore
import Testing

@Suite struct TaskConfigTests {
    static func parse(_ text: String) throws(TaskError) -> (TaskConfig, [String]) {
        try TaskConfig.parse(text) { TaskError(task: "t", file: "task.toml", location: $0, message: $1) }
    }

    @Test func defaultsAreHarbors() throws {
        let (c, unknown) = try Self.parse("")
        #expect(unknown.isEmpty)
        #expect(c.schemaVersion == "1.3")
        #expect(c.verifier.timeoutSec == 600)
        #expect(c.agent.timeoutSec == nil)
        #expect(c.environment.buildTimeoutSec == 600)
        #expect(c.environment.networkMode == .public)
        #expect(c.environment.os == "linux")
        #expect(c.task == nil)
    }

    @Test func everySectionParses() throws {
        let text = """
            schema_version = "1.1"
            source = "tb2"
            multi_step_reward_strategy = "final"
            artifacts = ["/app/out.txt", { source = "/app/logs", destination = "logs", exclude = ["*.tmp"] }]

            [task]
            name = "org/demo"
            description = "A demo"
            keywords = ["a", "b"]
            authors = [{ name = "Ada", email = "ada@example.com" }]

            [metadata]
            difficulty = "hard"
            expert_time_estimate_min = 30

            [verifier]
            timeout_sec = 120.5
            env = { TOKEN = "${HOME}", N = 3 }
            user = 1000

            [agent]
            timeout_sec = 900
            user = "agent"

            [solution]
            env = { MODE = "fast" }

            [environment]
            build_timeout_sec = 300
            docker_image = "example/image:1"
            cpus = 2
            memory = "2G"
            storage_mb = 4096
            gpus = 0
            network_mode = "no-network"
            env = { A = "1" }
            workdir = "/app"
            skills_dir = "/skills"
            mcp_servers = [{ name = "fs", transport = "stdio", command = "mcp-fs", args = ["--root", "/app"] }]

            [environment.healthcheck]
            command = "test -f /app/ready"
            retries = 5
            """
        let (c, unknown) = try Self.parse(text)
        #expect(unknown.isEmpty)
        #expect(c.schemaVersion == "1.1")
        #expect(c.source == "tb2")
        #expect(c.multiStepRewardStrategy == "final")
        #expect(c.artifacts == [.init(source: "/app/out.txt"), .init(source: "/app/logs", destination: "logs", exclude: ["*.tmp"])])
        #expect(c.task?.name == "org/demo")
        #expect(c.task?.authors == [.init(name: "Ada", email: "ada@example.com")])
        #expect(c.metadata["expert_time_estimate_min"] == .int(30))
        #expect(c.verifier.timeoutSec == 120.5)
        #expect(c.verifier.env == ["TOKEN": "${HOME}", "N": "3"])
        #expect(c.verifier.user == "1000")
        #expect(c.agent.timeoutSec == 900)
        #expect(c.agent.user == "agent")
        #expect(c.solution.env == ["MODE": "fast"])
        #expect(c.environment.memoryMB == 2048)
        #expect(c.environment.storageMB == 4096)
        #expect(c.environment.cpus == 2)
        #expect(c.environment.networkMode == .noNetwork)
        #expect(c.environment.workdir == "/app")
        #expect(c.environment.mcpServers.first?.args == ["--root", "/app"])
        #expect(c.environment.healthcheck?.retries == 5)
        #expect(c.environment.healthcheck?.intervalSec == 5)
    }

    @Test func legacyKeysConvert() throws {
        let (c, _) = try Self.parse("version = \"1.0\"\n[environment]\nallow_internet = false\nstorage = \"512M\"\n")
        #expect(c.schemaVersion == "1.0")
        #expect(c.environment.networkMode == .noNetwork)
        #expect(c.environment.storageMB == 512)
    }

    @Test func unknownKeysAreReported() throws {
        let (_, unknown) = try Self.parse("[agent]\ntimeout = 5\n[environment]\nworkdirr = \"/app\"\n")
        #expect(unknown == ["agent.timeout", "environment.workdirr"])
    }

    @Test(arguments: [
        ("[agent]\ntimeout_sec = \"ten\"\n", "agent.timeout_sec", "must be a number"),
        ("[verifier]\ntimeout_sec = -1\n", "verifier.timeout_sec", "must be positive"),
        ("[environment]\nnetwork_mode = \"sometimes\"\n", "environment.network_mode", "must be one of"),
        ("[environment]\nnetwork_mode = \"allowlist\"\n", "environment.allowed_hosts", "is required"),
        ("[task]\ndescription = \"x\"\n", "task.name", "is required"),
        ("[environment]\nmemory = \"lots\"\n", "environment.memory", "is not a size"),
        ("[environment]\nworkdir = \"app\"\n", "environment.workdir", "absolute"),
        ("schema_version = \"2.0\"\n", "schema_version", "not supported"),
        ("[environment.healthcheck]\nretries = 2\n", "environment.healthcheck.command", "is required"),
        ("[[steps]]\nname = \"\"\n", "steps[0].name", "is required"),
        ("[verifier\n", "line 1", "not valid TOML"),
    ])
    func errorsNameTheField(text: String, field: String, message: String) {
        do {
            _ = try Self.parse(text)
            Issue.record("expected an error for \(field)")
        } catch {
            #expect(error.location == field)
            #expect(error.message.contains(message), "\(error.message)")
            #expect(error.description.hasPrefix("task t: task.toml: \(field):"))
        }
    }
}
