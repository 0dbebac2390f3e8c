import Foundation

/// The Dockerfile subset `aa` builds without Docker: one FROM, then RUN, COPY/ADD of local files,
/// WORKDIR, ENV, ARG and USER. CMD, ENTRYPOINT, LABEL, EXPOSE, MAINTAINER and STOPSIGNAL are
/// metadata and ignored; anything else is an error naming its line.
public struct Dockerfile: Sendable, Equatable {
    public struct Instruction: Sendable, Equatable {
        /// 1-based line where the instruction starts.
        public var line: Int
        public var kind: Kind
    }

    public enum Kind: Sendable, Equatable {
        /// Exec form (argv) or shell form (run by /bin/sh -c).
        case run(exec: [String]?, shell: String?)
        /// Sources relative to the build context, destination as written (after ARG/ENV substitution).
        case copy(sources: [String], destination: String, chown: String?, chmod: UInt32?)
        case workdir(String)
        case env([(String, String)])
        case arg(name: String, defaultValue: String?)
        case user(String)

        public static func == (a: Kind, b: Kind) -> Bool { a.canonical == b.canonical }

        /// A stable text form, used in cache keys.
        public var canonical: String {
            switch self {
            case .run(let exec, let shell):
                if let exec { return "RUN-EXEC " + exec.map { $0.debugDescription }.joined(separator: " ") }
                return "RUN " + (shell ?? "")
            case .copy(let sources, let destination, let chown, let chmod):
                return "COPY \(sources) \(destination) chown=\(chown ?? "") chmod=\(chmod.map { String($0, radix: 8) } ?? "")"
            case .workdir(let w): return "WORKDIR \(w)"
            case .env(let pairs): return "ENV " + pairs.map { "\($0.0)=\($0.1.debugDescription)" }.joined(separator: " ")
            case .arg(let n, let d): return "ARG \(n)=\(d ?? "<unset>")"
            case .user(let u): return "USER \(u)"
            }
        }
    }

    /// A problem in the Dockerfile, naming the line.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The FROM image, after substitution of ARGs declared before it.
    public var baseImage: String
    public var fromLine: Int
    public var instructions: [Instruction]

    static let ignored: Set<String> = ["CMD", "ENTRYPOINT", "LABEL", "EXPOSE", "MAINTAINER", "STOPSIGNAL"]

    /// Parses Dockerfile text. `buildArgs` override ARG defaults.
    public static func parse(_ text: String, buildArgs: [String: String] = [:]) throws(ParseError) -> Dockerfile {
        var from: (String, Int)?
        var instructions: [Instruction] = []
        var args: [String: String] = [:]
        var env: [String: String] = [:]
        for (line, keyword, rest) in try logicalLines(text) {
            func fail(_ message: String) -> ParseError { ParseError(line: line, message: message) }
            func expand(_ s: String) throws(ParseError) -> String {
                do { return try substitute(s, args.merging(env) { $1 }) } catch { throw fail(error.message) }
            }
            if keyword == "FROM" {
                if from != nil { throw fail("multi-stage builds (a second FROM) are not supported") }
                var words = rest.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                if words.first?.hasPrefix("--platform") == true { words.removeFirst() }
                guard words.count == 1 || (words.count == 3 && words[1].uppercased() == "AS") else {
                    throw fail("FROM takes one image (optionally `AS name`), got: \(rest)")
                }
                from = (try expand(words[0]), line)
                continue
            }
            if keyword == "ARG" {
                let (name, value) = splitAssignment(rest)
                guard !name.isEmpty, isIdentifier(name) else { throw fail("ARG needs a name: \(rest)") }
                var resolved = buildArgs[name]
                if resolved == nil, let value { resolved = try expand(unquote(value)) }
                args[name] = resolved ?? ""
                if from != nil { instructions.append(Instruction(line: line, kind: .arg(name: name, defaultValue: resolved))) }
                continue
            }
            guard from != nil else { throw fail("\(keyword) before FROM") }
            if ignored.contains(keyword) { continue }
            switch keyword {
            case "RUN":
                if rest.hasPrefix("--") { throw fail("RUN options (\(rest.split(separator: " ")[0])) are not supported") }
                if rest.contains("<<") && rest.range(of: #"<<-?\s*['"]?[A-Za-z_]+['"]?\s*$"#, options: .regularExpression) != nil {
                    throw fail("heredocs are not supported")
                }
                if let exec = jsonArray(rest) {
                    guard !exec.isEmpty else { throw fail("RUN with an empty command") }
                    instructions.append(Instruction(line: line, kind: .run(exec: exec, shell: nil)))
                } else {
                    guard !rest.isEmpty else { throw fail("RUN with an empty command") }
                    instructions.append(Instruction(line: line, kind: .run(exec: nil, shell: rest)))
                }
            case "COPY", "ADD":
                var words = jsonArray(rest) ?? shellWords(rest)
                var chown: String?
                var chmod: UInt32?
                while let first = words.first, first.hasPrefix("--") {
                    words.removeFirst()
                    let (flag, value) = splitAssignment(String(first.dropFirst(2)))
                    switch flag {
                    case "chown": chown = try value.map { v throws(ParseError) in try expand(v) }
                    case "chmod":
                        guard let v = value, let mode = UInt32(v, radix: 8) else { throw fail("--chmod needs an octal mode") }
                        chmod = mode
                    case "link": continue
                    case "from": throw fail("\(keyword) --from (copying from another image or stage) is not supported")
                    default: throw fail("\(keyword) --\(flag) is not supported")
                    }
                }
                guard words.count >= 2 else { throw fail("\(keyword) needs at least one source and a destination") }
                var expanded: [String] = []
                for w in words { expanded.append(try expand(w)) }
                let destination = expanded.removeLast()
                for source in expanded {
                    if source.contains("://") { throw fail("\(keyword) of a URL is not supported (no network during the build context copy): \(source)") }
                    if source.hasPrefix("/") || source.split(separator: "/").contains("..") {
                        throw fail("\(keyword) source must stay inside the build context: \(source)")
                    }
                    if keyword == "ADD", source.hasSuffix(".tar") || source.contains(".tar.") || source.hasSuffix(".tgz") {
                        throw fail("ADD of an archive (auto-extraction) is not supported; COPY it and RUN tar")
                    }
                }
                instructions.append(Instruction(line: line, kind: .copy(sources: expanded, destination: destination, chown: chown, chmod: chmod)))
            case "WORKDIR":
                let dir = try expand(unquote(rest))
                guard !dir.isEmpty else { throw fail("WORKDIR needs a path") }
                instructions.append(Instruction(line: line, kind: .workdir(dir)))
            case "ENV":
                var pairs: [(String, String)] = []
                let words = shellWords(rest)
                if let first = words.first, !first.contains("=") {
                    let value = rest.dropFirst(first.count).trimmingCharacters(in: .whitespaces)
                    pairs.append((first, try expand(value)))
                } else {
                    for w in words {
                        let (k, v) = splitAssignment(w)
                        guard isIdentifier(k), let v else { throw fail("ENV entry is not NAME=value: \(w)") }
                        pairs.append((k, try expand(v)))
                    }
                }
                guard !pairs.isEmpty else { throw fail("ENV needs NAME=value") }
                for (k, v) in pairs { env[k] = v }
                instructions.append(Instruction(line: line, kind: .env(pairs)))
            case "USER":
                let user = try expand(unquote(rest))
                guard !user.isEmpty else { throw fail("USER needs a user") }
                instructions.append(Instruction(line: line, kind: .user(user)))
            default:
                throw fail("\(keyword) is not supported by aa's Dockerfile builder (supported: FROM, RUN, COPY, ADD, WORKDIR, ENV, ARG, USER; ignored: \(ignored.sorted().joined(separator: ", ")))")
            }
        }
        guard let from else { throw ParseError(line: 1, message: "no FROM line") }
        return Dockerfile(baseImage: from.0, fromLine: from.1, instructions: instructions)
    }

    /// Joins continuation lines and drops comments and blank lines: (first line number, KEYWORD, rest).
    static func logicalLines(_ text: String) throws(ParseError) -> [(Int, String, String)] {
        var out: [(Int, String, String)] = []
        var current = ""
        var start = 0
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if line.hasSuffix("\r") { line.removeLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            if current.isEmpty {
                if trimmed.isEmpty { continue }
                start = i + 1
            }
            if trimmed.hasSuffix("\\") {
                current += String(trimmed.dropLast()) + " "
                continue
            }
            current += trimmed
            out.append(try split(current, line: start))
            current = ""
        }
        if !current.isEmpty { out.append(try split(current, line: start)) }
        return out
    }

    private static func split(_ logical: String, line: Int) throws(ParseError) -> (Int, String, String) {
        let trimmed = logical.trimmingCharacters(in: .whitespaces)
        let keyword = trimmed.prefix { !$0.isWhitespace }
        guard keyword.allSatisfy({ $0.isLetter }) else { throw ParseError(line: line, message: "not an instruction: \(trimmed.prefix(60))") }
        let rest = trimmed.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
        return (line, keyword.uppercased(), rest)
    }

    static func isIdentifier(_ s: String) -> Bool {
        guard let f = s.first, f == "_" || f.isLetter else { return false }
        return s.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
    }

    private static func splitAssignment(_ s: String) -> (String, String?) {
        guard let eq = s.firstIndex(of: "=") else { return (s.trimmingCharacters(in: .whitespaces), nil) }
        return (String(s[..<eq]), String(s[s.index(after: eq)...]))
    }

    private static func unquote(_ s: String) -> String {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t.count >= 2, let f = t.first, f == t.last, f == "\"" || f == "'" { return String(t.dropFirst().dropLast()) }
        return t
    }

    private static func jsonArray(_ s: String) -> [String]? {
        guard s.hasPrefix("[") else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(s.utf8))
    }

    /// Splits on whitespace honouring single and double quotes and backslash escapes.
    static func shellWords(_ s: String) -> [String] {
        var words: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        var escape = false
        for ch in s {
            if escape {
                word.append(ch)
                escape = false
                continue
            }
            if ch == "\\", quote != "'" {
                escape = true
                inWord = true
                continue
            }
            if let q = quote {
                if ch == q { quote = nil } else { word.append(ch) }
                continue
            }
            if ch == "\"" || ch == "'" {
                quote = ch
                inWord = true
            } else if ch.isWhitespace {
                if inWord { words.append(word) }
                word = ""
                inWord = false
            } else {
                word.append(ch)
                inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    struct SubstitutionError: Error { var message: String }

    /// Docker's variable substitution: `$X`, `${X}`, `${X:-default}`, `${X:+alternative}`.
    static func substitute(_ s: String, _ vars: [String: String]) throws(SubstitutionError) -> String {
        var out = ""
        var chars = Array(s)[...]
        while let ch = chars.popFirst() {
            if ch == "\\", chars.first == "$" {
                out.append(chars.removeFirst())
                continue
            }
            guard ch == "$", let next = chars.first else {
                out.append(ch)
                continue
            }
            if next == "{" {
                chars.removeFirst()
                guard let close = chars.firstIndex(of: "}") else { throw SubstitutionError(message: "unterminated ${ in \(s)") }
                let body = String(chars[..<close])
                chars = chars[chars.index(after: close)...]
                if let r = body.range(of: ":-") {
                    let v = vars[String(body[..<r.lowerBound])] ?? ""
                    out += v.isEmpty ? String(body[r.upperBound...]) : v
                } else if let r = body.range(of: ":+") {
                    let v = vars[String(body[..<r.lowerBound])] ?? ""
                    out += v.isEmpty ? "" : String(body[r.upperBound...])
                } else {
                    guard isIdentifier(body) else { throw SubstitutionError(message: "unsupported substitution ${\(body)}") }
                    out += vars[body] ?? ""
                }
            } else if next == "_" || next.isLetter {
                var name = ""
                while let c = chars.first, c == "_" || c.isLetter || c.isNumber {
                    name.append(c)
                    chars.removeFirst()
                }
                out += vars[name] ?? ""
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
