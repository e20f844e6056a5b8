import ArgumentParser

/// A duration written as a number and a unit: `45s`, `90m`, `12h`, `30d`, `2w` (a bare number is seconds).
struct CLIDuration: ExpressibleByArgument, Equatable {
    /// Whole seconds, 1 second to 100 years: nothing later can overflow converting it.
    let seconds: Int64

    var duration: Duration { .seconds(seconds) }

    /// Written back in its largest whole unit: 30d, 2w, 90m, 45s.
    var text: String {
        for (unit, factor) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3_600), ("m", 60)] where seconds % factor == 0 {
            return "\(seconds / factor)\(unit)"
        }
        return "\(seconds)s"
    }

    static let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
    static let longest: Int64 = 100 * 365 * 86_400

    init?(argument: String) {
        var digits = Substring(argument)
        var unit: Int64 = 1
        if let last = digits.last, let factor = Self.units[last] {
            unit = factor
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy(\.isASCII), let value = Int64(digits),
              value > 0, value <= Self.longest / unit
        else { return nil }
        seconds = value * unit
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
