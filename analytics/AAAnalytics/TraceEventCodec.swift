import Foundation

/// Fast JSON for trace events, in the format JSONEncoder writes for `TraceEvent` (one flat object,
/// keys sorted, nil fields left out): the writer encodes with it, the reader decodes with it and
/// falls back to JSONDecoder for anything it does not handle (nested values, unusual numbers).
public enum TraceEventCodec {
    /// The string fields of a flat JSON object (other values skipped), or nil when the text is not
    /// one (nested values included): the fast path for reading tool-call arguments.
    public static func stringFields(_ json: String) -> [String: String]? {
        var json = json
        return json.withUTF8 { buffer in
            var parser = FlatParser(bytes: buffer)
            return parser.stringFields()
        }
    }

    /// Of a flat JSON object's string fields, the value of the first of `keys` it has (nil when
    /// it has none of them), or nil when the text is not a flat object; reads only that value.
    public static func firstStringField(_ json: String, of keys: [String]) -> String?? {
        var json = json
        return json.withUTF8 { buffer in
            var parser = FlatParser(bytes: buffer)
            return parser.firstStringField(of: keys)
        }
    }

    /// Appends the event's JSON object (no line break) to out.
    public static func encode(_ e: TraceEvent, into out: inout [UInt8]) {
        var first = true
        func key(_ k: StaticString) {
            out.append(first ? 0x7b : 0x2c)
            first = false
            out.append(0x22)
            k.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(0x22)
            out.append(0x3a)
        }
        func str(_ k: StaticString, _ v: String?) { if let v { key(k); string(v, into: &out) } }
        func int(_ k: StaticString, _ v: Int?) { if let v { key(k); integer(Int64(v), into: &out) } }
        func dbl(_ k: StaticString, _ v: Double?) {
            guard let v, v.isFinite else { return }
            key(k)
            if v == v.rounded(.towardZero) && abs(v) < 1e15 {
                integer(Int64(v), into: &out)
            } else {
                out.append(contentsOf: v.description.utf8)
            }
        }
        str("agent", e.agent); str("arguments", e.arguments); int("attempt", e.attempt); str("category", e.category)
        int("completionTokens", e.completionTokens); dbl("costUSD", e.costUSD); dbl("durationSeconds", e.durationSeconds)
        str("exception", e.exception); str("excerpt", e.excerpt); int("exitCode", e.exitCode); str("finishReason", e.finishReason)
        str("kind", e.kind.rawValue); dbl("latencySeconds", e.latencySeconds); dbl("limit", e.limit); str("message", e.message)
        int("messages", e.messages); str("model", e.model); int("promptTokens", e.promptTokens); dbl("reward", e.reward)
        int("stderrBytes", e.stderrBytes); int("stdoutBytes", e.stdoutBytes); int("step", e.step); str("task", e.task)
        str("text", e.text); dbl("time", e.time)
        if let t = e.timedOut { key("timedOut"); out.append(contentsOf: (t ? "true" : "false").utf8) }
        str("tool", e.tool); str("trial", e.trial); dbl("used", e.used)
        out.append(0x7d)
    }

    /// Decodes one JSON line into an event, or nil when it is not a valid event.
    public static func decode(_ line: ArraySlice<UInt8>) -> TraceEvent? {
        var event = TraceEvent(.error, time: .nan)
        return line.withUnsafeBufferPointer { decode($0, into: &event) } ? event : nil
    }

    /// Decodes one JSON line's bytes into event (a reader of many lines reuses one, so that
    /// events are not copied); false when the line is not a valid event.
    static func decode(_ line: UnsafeBufferPointer<UInt8>, into event: inout TraceEvent) -> Bool {
        var parser = FlatParser(bytes: line)
        if parser.event(into: &event) { return true }
        guard let decoded = try? JSONDecoder().decode(TraceEvent.self, from: Data(buffer: line)) else { return false }
        event = decoded
        return true
    }

    static func string(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        s.withUTF8 { bytes in
            var run = 0
            for (i, b) in bytes.enumerated() where b < 0x20 || b == 0x22 || b == 0x5c {
                if run < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<i])) }
                run = i + 1
                switch b {
                case 0x22: out.append(0x5c); out.append(0x22)
                case 0x5c: out.append(0x5c); out.append(0x5c)
                case 0x0a: out.append(0x5c); out.append(0x6e)
                case 0x0d: out.append(0x5c); out.append(0x72)
                case 0x09: out.append(0x5c); out.append(0x74)
                default: out.append(contentsOf: [0x5c, 0x75, 0x30, 0x30, hexDigit(b >> 4), hexDigit(b & 0xf)])
                }
            }
            if run < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...])) }
        }
        out.append(0x22)
    }

    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }

    /// Decimal digits of an integer, without allocating a String.
    static func integer(_ v: Int64, into out: inout [UInt8]) {
        if v < 0 { out.append(0x2d) }
        var magnitude = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[19 - n] = 0x30 + UInt8(magnitude % 10)
                magnitude /= 10
                n += 1
            } while magnitude > 0
            out.append(contentsOf: d[(20 - n)...])
        }
    }

    /// The fields of a trace event, with their names as words for lookup without allocating.
    enum Field: CaseIterable {
        case agent, arguments, attempt, category, completionTokens, costUSD, durationSeconds, exception, excerpt, exitCode, finishReason, kind, latencySeconds, limit, message, messages, model, promptTokens, reward, stderrBytes, stdoutBytes, step, task, text, time, timedOut, tool, trial, used

        /// Every field's name as its length and first and second eight bytes (zero-padded;
        /// no name is longer than 16 bytes).
        static let names: [(length: Int, head: UInt64, tail: UInt64, field: Field)] = allCases.map { field in
            let name = Array("\(field)".utf8)
            return (name.count, Field.word(name[...]), Field.word(name.dropFirst(8)), field)
        }

        /// Up to eight bytes as a little-endian word.
        static func word(_ bytes: some Collection<UInt8>) -> UInt64 {
            var w: UInt64 = 0
            for (k, b) in bytes.prefix(8).enumerated() { w |= UInt64(b) << (8 * UInt64(k)) }
            return w
        }
    }

    /// Event kinds by their names' UTF-8 bytes.
    private static let kindNames = TraceEvent.Kind.allCases.map { (Array($0.rawValue.utf8), $0) }

    /// A parser for one flat JSON object of strings, numbers, booleans and nulls.
    private struct FlatParser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        enum Value {
            case string(String)
            case number(Double, isInteger: Bool)
            case bool(Bool)
            case null
        }

        mutating func stringFields() -> [String: String]? {
            var fields: [String: String] = [:]
            skipSpace()
            guard take(0x7b) else { return nil }
            skipSpace()
            if take(0x7d) { return fields }
            while true {
                skipSpace()
                guard let k = stringBytes() else { return nil }
                skipSpace()
                guard take(0x3a) else { return nil }
                skipSpace()
                guard let v = value() else { return nil }
                if case .string(let text) = v { fields[k] = text }
                skipSpace()
                if take(0x2c) { continue }
                guard take(0x7d) else { return nil }
                break
            }
            skipSpace()
            return i == bytes.count ? fields : nil
        }

        /// As `stringFields()[key]` for the first of keys it has, materializing only that value.
        mutating func firstStringField(of keys: [String]) -> String?? {
            var best = keys.count
            var value: String?
            skipSpace()
            guard take(0x7b) else { return nil }
            skipSpace()
            if take(0x7d) { return .some(nil) }
            while true {
                skipSpace()
                guard let k = stringBytes() else { return nil }
                skipSpace()
                guard take(0x3a) else { return nil }
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == 0x22, let rank = keys.firstIndex(of: k), rank <= best {
                    guard let text = stringBytes() else { return nil }
                    best = rank
                    value = text
                } else {
                    guard skipValue() else { return nil }
                }
                skipSpace()
                if take(0x2c) { continue }
                guard take(0x7d) else { return nil }
                break
            }
            skipSpace()
            return i == bytes.count ? .some(value) : nil
        }

        /// Steps over one flat value (string, number, true, false, null); false when there is none.
        mutating func skipValue() -> Bool {
            guard i < bytes.count else { return false }
            switch bytes[i] {
            case 0x22:
                // Escapes are checked as `stringBytes` checks them; plain text needs no String.
                i += 1
                let start = i
                var escaped = false
                while i < bytes.count, bytes[i] != 0x22 {
                    if bytes[i] == 0x5c { escaped = true; i += 2 } else { i += 1 }
                }
                guard i < bytes.count else { return false }
                i += 1
                return !escaped || unescape(UnsafeBufferPointer(rebasing: bytes[start..<(i - 1)])) != nil
            case 0x74: return literal("true")
            case 0x66: return literal("false")
            case 0x6e: return literal("null")
            default: return number() != nil
            }
        }

        /// Decodes the event into e (all of whose fields are replaced); false when the text is not
        /// one this parser handles.
        mutating func event(into e: inout TraceEvent) -> Bool {
            e = TraceEvent(.error, time: .nan)
            skipSpace()
            guard take(0x7b) else { return false }
            var sawKind = false
            skipSpace()
            if take(0x7d) { return false }
            while true {
                skipSpace()
                guard let k = key() else { return false }
                skipSpace()
                guard take(0x3a) else { return false }
                skipSpace()
                if k == .kind, let kind = kind() {
                    e.kind = kind
                    sawKind = true
                } else {
                    guard let v = value() else { return false }
                    guard assign(k, v, to: &e, sawKind: &sawKind) else { return false }
                }
                skipSpace()
                if take(0x2c) { continue }
                guard take(0x7d) else { return false }
                break
            }
            skipSpace()
            return i == bytes.count && sawKind && !e.time.isNaN
        }

        /// The field a key names (nil for keys events do not have), or nil when the key is not a plain string.
        mutating func key() -> Field?? {
            guard take(0x22) else { return nil }
            let start = i
            while i < bytes.count, bytes[i] != 0x22 {
                if bytes[i] == 0x5c { return nil }
                i += 1
            }
            guard i < bytes.count else { return nil }
            let length = i - start
            i += 1
            guard length <= 16 else { return .some(nil) }
            let key = UnsafeBufferPointer(rebasing: bytes[start..<(start + length)])
            let head = Field.word(key), tail = length > 8 ? Field.word(key.dropFirst(8)) : 0
            for name in Field.names where name.length == length && name.head == head && name.tail == tail {
                return .some(name.field)
            }
            return .some(nil)
        }

        /// A plain string value naming an event kind, read without making a String; nil (and
        /// nothing read) for anything else.
        mutating func kind() -> TraceEvent.Kind? {
            guard i < bytes.count, bytes[i] == 0x22 else { return nil }
            var end = i + 1
            while end < bytes.count, bytes[end] != 0x22, bytes[end] != 0x5c { end += 1 }
            guard end < bytes.count, bytes[end] == 0x22 else { return nil }
            let length = end - i - 1
            for (name, kind) in TraceEventCodec.kindNames where name.count == length && memcmp(bytes.baseAddress! + i + 1, name, length) == 0 {
                i = end + 1
                return kind
            }
            return nil
        }

        /// Sets one field; false when the value has the wrong type (the caller then falls back).
        func assign(_ field: Field?, _ v: Value, to e: inout TraceEvent, sawKind: inout Bool) -> Bool {
            guard let field else { return true }
            func s() -> String?? { if case .string(let x) = v { return .some(x) }; if case .null = v { return .some(nil) }; return nil }
            func n() -> Int?? {
                if case .number(let d, let isInteger) = v, isInteger, let x = Int(exactly: d) { return .some(x) }
                if case .null = v { return .some(nil) }
                return nil
            }
            func d() -> Double?? { if case .number(let x, _) = v { return .some(x) }; if case .null = v { return .some(nil) }; return nil }
            switch field {
            case .kind:
                guard case .string(let x) = v, let kind = TraceEvent.Kind(rawValue: x) else { return false }
                e.kind = kind
                sawKind = true
            case .time:
                guard case .number(let x, _) = v else { return false }
                e.time = x
            case .agent: guard let x = s() else { return false }; e.agent = x
            case .arguments: guard let x = s() else { return false }; e.arguments = x
            case .attempt: guard let x = n() else { return false }; e.attempt = x
            case .category: guard let x = s() else { return false }; e.category = x
            case .completionTokens: guard let x = n() else { return false }; e.completionTokens = x
            case .costUSD: guard let x = d() else { return false }; e.costUSD = x
            case .durationSeconds: guard let x = d() else { return false }; e.durationSeconds = x
            case .exception: guard let x = s() else { return false }; e.exception = x
            case .excerpt: guard let x = s() else { return false }; e.excerpt = x
            case .exitCode: guard let x = n() else { return false }; e.exitCode = x
            case .finishReason: guard let x = s() else { return false }; e.finishReason = x
            case .latencySeconds: guard let x = d() else { return false }; e.latencySeconds = x
            case .limit: guard let x = d() else { return false }; e.limit = x
            case .message: guard let x = s() else { return false }; e.message = x
            case .messages: guard let x = n() else { return false }; e.messages = x
            case .model: guard let x = s() else { return false }; e.model = x
            case .promptTokens: guard let x = n() else { return false }; e.promptTokens = x
            case .reward: guard let x = d() else { return false }; e.reward = x
            case .stderrBytes: guard let x = n() else { return false }; e.stderrBytes = x
            case .stdoutBytes: guard let x = n() else { return false }; e.stdoutBytes = x
            case .step: guard let x = n() else { return false }; e.step = x
            case .task: guard let x = s() else { return false }; e.task = x
            case .text: guard let x = s() else { return false }; e.text = x
            case .timedOut:
                if case .bool(let b) = v { e.timedOut = b } else if case .null = v { e.timedOut = nil } else { return false }
            case .tool: guard let x = s() else { return false }; e.tool = x
            case .trial: guard let x = s() else { return false }; e.trial = x
            case .used: guard let x = d() else { return false }; e.used = x
            }
            return true
        }

        mutating func value() -> Value? {
            guard i < bytes.count else { return nil }
            switch bytes[i] {
            case 0x22: return stringBytes().map(Value.string)
            case 0x74: return literal("true") ? .bool(true) : nil
            case 0x66: return literal("false") ? .bool(false) : nil
            case 0x6e: return literal("null") ? .null : nil
            default: return number()
            }
        }

        /// 10⁰ … 10¹⁵, exact as doubles.
        static let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]

        mutating func number() -> Value? {
            let start = i
            var isInteger = true
            var negative = false
            var integer: Int64 = 0
            var digits = 0
            var dots = 0, fraction = 0, exponent = false
            if i < bytes.count, bytes[i] == 0x2d { negative = true; i += 1 }
            while i < bytes.count {
                let c = bytes[i]
                if c >= 0x30 && c <= 0x39 {
                    if digits < 18 { integer = integer * 10 + Int64(c - 0x30) }
                    digits += 1
                    if dots > 0 { fraction += 1 }
                } else if c == 0x2e {
                    isInteger = false
                    dots += 1
                } else if c == 0x65 || c == 0x45 || c == 0x2b || c == 0x2d {
                    isInteger = false
                    exponent = true
                } else {
                    break
                }
                i += 1
            }
            guard digits > 0 else { return nil }
            if isInteger && digits <= 18 { return .number(Double(negative ? -integer : integer), isInteger: true) }
            // d.ddd with at most 15 digits: both the digits and the power of ten are exact doubles,
            // so one correctly rounded division gives what strtod gives.
            if !exponent, dots == 1, digits <= 15, fraction > 0, digits > fraction {
                let d = Double(integer) / FlatParser.powersOfTen[fraction]
                return .number(negative ? -d : d, isInteger: false)
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            guard let d = Double(text) else { return nil }
            return .number(d, isInteger: isInteger)
        }

        mutating func stringBytes() -> String? {
            guard take(0x22) else { return nil }
            let start = i
            var escaped = false
            while i < bytes.count, bytes[i] != 0x22 {
                if bytes[i] == 0x5c { escaped = true; i += 2 } else { i += 1 }
            }
            guard i < bytes.count else { return nil }
            let raw = UnsafeBufferPointer(rebasing: bytes[start..<i])
            i += 1
            return escaped ? unescape(raw) : String(decoding: raw, as: UTF8.self)
        }

        /// The text of a string's raw bytes with its escapes resolved, written straight into the
        /// String's storage (never longer than the raw bytes); nil for a bad escape.
        func unescape(_ raw: UnsafeBufferPointer<UInt8>) -> String? {
            var valid = true
            let text = String(unsafeUninitializedCapacity: raw.count) { out in
                var n = 0
                func put(_ bytes: UnsafeBufferPointer<UInt8>) {
                    (out.baseAddress! + n).update(from: bytes.baseAddress!, count: bytes.count)
                    n += bytes.count
                }
                var j = 0
                var run = 0
                while j < raw.count {
                    guard raw[j] == 0x5c else { j += 1; continue }
                    if run < j { put(UnsafeBufferPointer(rebasing: raw[run..<j])) }
                    guard j + 1 < raw.count else { valid = false; return 0 }
                    let e = raw[j + 1]
                    j += 2
                    switch e {
                    case 0x22, 0x5c, 0x2f: out[n] = e; n += 1
                    case 0x6e: out[n] = 0x0a; n += 1
                    case 0x72: out[n] = 0x0d; n += 1
                    case 0x74: out[n] = 0x09; n += 1
                    case 0x62: out[n] = 0x08; n += 1
                    case 0x66: out[n] = 0x0c; n += 1
                    case 0x75:
                        guard var scalar = hex4(raw, j) else { valid = false; return 0 }
                        j += 4
                        if scalar >= 0xd800 && scalar < 0xdc00 {
                            guard j + 6 <= raw.count, raw[j] == 0x5c, raw[j + 1] == 0x75, let low = hex4(raw, j + 2), low >= 0xdc00, low < 0xe000 else {
                                valid = false
                                return 0
                            }
                            scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                            j += 6
                        }
                        guard let u = Unicode.Scalar(scalar) else { valid = false; return 0 }
                        UTF8.encode(u) { out[n] = $0; n += 1 }
                    default: valid = false; return 0
                    }
                    run = j
                }
                if run < raw.count { put(UnsafeBufferPointer(rebasing: raw[run...])) }
                return n
            }
            return valid ? text : nil
        }

        func hex4(_ raw: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            var v: UInt32 = 0
            for k in at..<(at + 4) {
                let c = raw[k]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                default: return nil
                }
                v = v << 4 | d
            }
            return v
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { return false }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }

        mutating func take(_ c: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0a || bytes[i] == 0x0d { i += 1 }
        }
    }
}
