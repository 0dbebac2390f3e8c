import CSeccomp
import FoundationEssentials
import Glibc
import SystemPackage

/// A user seccomp profile in Docker's JSON format (defaultAction, syscalls[].names/action/args).
/// Rules that need capabilities (`includes.caps`) never apply, as sandboxed processes have none.
struct SeccompProfileFile {
    struct Argument: Decodable {
        var index: UInt32
        var value: UInt64
        var valueTwo: UInt64?
        var op: String
    }

    struct Filter: Decodable {
        var caps: [String]?
        var arches: [String]?
    }

    struct Rule: Decodable {
        var names: [String]?
        var name: String?
        var action: String
        var errnoRet: UInt32?
        var args: [Argument]?
        var includes: Filter?
    }

    struct Document: Decodable {
        var defaultAction: String
        var defaultErrnoRet: UInt32?
        var syscalls: [Rule]?
    }

    let path: String
    let document: Document
    let defaultAction: UInt32

    static func load(_ path: String) throws(SandboxError) -> SeccompProfileFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SandboxError(.invalidSpec, step: "seccomp profile", detail: "\(path): cannot read: \(error)")
        }
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw SandboxError(.invalidSpec, step: "seccomp profile", detail: "\(path): missing field \(fieldPath(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, context) {
            throw SandboxError(.invalidSpec, step: "seccomp profile", detail: "\(path): wrong type at \(fieldPath(context.codingPath))")
        } catch {
            throw SandboxError(.invalidSpec, step: "seccomp profile", detail: "\(path): not valid JSON: \(error)")
        }
        let action = try Self.action(document.defaultAction, errno: document.defaultErrnoRet ?? UInt32(EPERM), path: path, field: "defaultAction")
        return SeccompProfileFile(path: path, document: document, defaultAction: action)
    }

    private static func fieldPath(_ keys: [any CodingKey]) -> String {
        let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return text.hasPrefix(".") ? String(text.dropFirst()) : text
    }

    static func action(_ name: String, errno: UInt32, path: String, field: String) throws(SandboxError) -> UInt32 {
        switch name {
        case "SCMP_ACT_ALLOW": return Seccomp.allow
        case "SCMP_ACT_ERRNO": return Seccomp.errnoAction(Int32(errno))
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return 0
        case "SCMP_ACT_KILL_PROCESS": return Seccomp.killProcess
        case "SCMP_ACT_TRAP": return 0x0003_0000
        case "SCMP_ACT_LOG": return 0x7ffc_0000
        default: throw SandboxError(.invalidSpec, step: "seccomp profile", detail: "\(path): \(field): unknown action \(name)")
        }
    }

    static func op(_ name: String, path: String, field: String) throws(SandboxError) -> scmp_compare {
        switch name {
        case "SCMP_CMP_NE": return SCMP_CMP_NE
        case "SCMP_CMP_LT": return SCMP_CMP_LT
        case "SCMP_CMP_LE": return SCMP_CMP_LE
        case "SCMP_CMP_EQ": return SCMP_CMP_EQ
        case "SCMP_CMP_GE": return SCMP_CMP_GE
        case "SCMP_CMP_GT": return SCMP_CMP_GT
        case "SCMP_CMP_MASKED_EQ": return SCMP_CMP_MASKED_EQ
        default: throw SandboxError(.invalidSpec, step: "seccomp profile", detail: "\(path): \(field): unknown operator \(name)")
        }
    }

    func apply(_ rules: inout Seccomp.Rules) throws(SandboxError) {
        for (i, rule) in (document.syscalls ?? []).enumerated() {
            if let caps = rule.includes?.caps, !caps.isEmpty { continue }
            let field = "syscalls[\(i)]"
            let action = try Self.action(rule.action, errno: rule.errnoRet ?? UInt32(EPERM), path: path, field: field + ".action")
            if action == defaultAction { continue }
            var conditions: [scmp_arg_cmp] = []
            for (j, arg) in (rule.args ?? []).enumerated() {
                let op = try Self.op(arg.op, path: path, field: "\(field).args[\(j)].op")
                if op == SCMP_CMP_MASKED_EQ {
                    conditions.append(scmp_arg_cmp(arg: arg.index, op: op, datum_a: arg.value, datum_b: arg.valueTwo ?? 0))
                } else {
                    conditions.append(scmp_arg_cmp(arg: arg.index, op: op, datum_a: arg.value, datum_b: 0))
                }
            }
            let names = (rule.names ?? []) + (rule.name.map { [$0] } ?? [])
            if names.isEmpty { throw SandboxError(.invalidSpec, step: "seccomp profile", detail: "\(path): \(field): no syscall names") }
            for name in names { try rules.add(action, name, conditions) }
        }
    }
}
