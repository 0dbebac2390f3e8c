/// Escapes text for HTML and SVG content and attribute values. Text from traces and ledgers (outputs,
/// descriptions, diffs, reasons) comes from models and programs, so all of it passes through here; control
/// characters other than tab, line feed and carriage return become U+FFFD.
public func htmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for u in s.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        case "\t", "\n", "\r": out.unicodeScalars.append(u)
        default:
            if u.value < 0x20 || u.value == 0x7F || (0xFDD0...0xFDEF).contains(u.value) {
                out += "\u{FFFD}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out
}
