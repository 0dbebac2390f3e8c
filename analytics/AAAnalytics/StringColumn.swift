/// A dictionary-encoded string column: each distinct string is stored once, rows hold codes
/// (−1 for a missing value).
public struct StringColumn: Sendable, Equatable {
    /// The distinct strings, in first-seen order.
    public private(set) var dictionary: [String] = []
    /// One code per row: an index into `dictionary`, or −1.
    public private(set) var codes: [Int32] = []
    private var lookup: [String: Int32] = [:]
    private var last: (value: String, code: Int32)?

    public init() {}

    /// A column from its stored parts.
    public init(dictionary: [String], codes: [Int32]) {
        self.dictionary = dictionary
        self.codes = codes
        for (i, s) in dictionary.enumerated() where lookup[s] == nil { lookup[s] = Int32(i) }
    }

    public var count: Int { codes.count }

    /// Appends a row and returns its code (−1 for a missing value).
    @discardableResult
    public mutating func append(_ value: String?) -> Int32 {
        let row = value.map { code(for: $0) } ?? -1
        codes.append(row)
        return row
    }

    /// The code of a string, adding it to the dictionary if new (one hash lookup; none when the
    /// string equals the last one, as runs of rows often do).
    public mutating func code(for value: String) -> Int32 {
        if let last, last.value == value { return last.code }
        let next = Int32(dictionary.count)
        var code: Int32 = 0
        Self.assign(&lookup[value, default: -1], next, to: &code)
        if code == next { dictionary.append(value) }
        last = (value, code)
        return code
    }

    /// A new entry (−1) gets the next code; code is the entry's code.
    private static func assign(_ entry: inout Int32, _ next: Int32, to code: inout Int32) {
        if entry < 0 { entry = next }
        code = entry
    }

    /// The code of a string already in the dictionary.
    public func existingCode(_ value: String) -> Int32? { lookup[value] }

    public subscript(row: Int) -> String? {
        let code = codes[row]
        return code < 0 ? nil : dictionary[Int(code)]
    }

    public static func == (a: StringColumn, b: StringColumn) -> Bool {
        a.dictionary == b.dictionary && a.codes == b.codes
    }
}
