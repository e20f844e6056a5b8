#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// When before its expiry a certificate is renewed: a fixed time (`30d`, `12h`, `90m`) or a share of its lifetime
/// (`33%`: renewed once two thirds of it have passed). The default is a third of the lifetime.
public enum RenewBefore: Sendable, Hashable, CustomStringConvertible {
    case seconds(Int64)
    case percent(Int)

    public static let `default` = RenewBefore.percent(33)

    /// Reads `N%` (1 to 99) or `N` followed by `d`, `h` or `m` (at most 10 years).
    public init(parsing text: String) throws(CFCertsError) {
        let rule = "renew_before must be a share of the lifetime like \"33%\" (1 to 99) or a time like \"30d\", \"12h\" or \"90m\" (at most 3650d)"
        guard let unit = text.last, text.utf8.count >= 2, text.utf8.count <= 12 else { throw .invalidArgument(rule) }
        let digits = text.dropLast()
        guard digits.utf8.allSatisfy({ (48...57).contains($0) }), let number = Int64(digits) else { throw .invalidArgument(rule) }
        switch unit {
        case "%":
            guard (1...99).contains(number) else { throw .invalidArgument(rule) }
            self = .percent(Int(number))
        case "d", "h", "m":
            let seconds = number * (unit == "d" ? 86_400 : unit == "h" ? 3_600 : 60)
            guard number >= 1, number <= 3_650 * 86_400, seconds <= 3_650 * 86_400 else { throw .invalidArgument(rule) }
            self = .seconds(seconds)
        default:
            throw .invalidArgument(rule)
        }
    }

    public var description: String {
        switch self {
        case .percent(let percent): "\(percent)%"
        case .seconds(let seconds):
            seconds % 86_400 == 0 ? "\(seconds / 86_400)d" : seconds % 3_600 == 0 ? "\(seconds / 3_600)h" : "\(seconds / 60)m"
        }
    }

    /// When a certificate valid from `issued` to `expires` is due for renewal.
    public func renewalTime(issued: Date, expires: Date) -> Date {
        switch self {
        case .seconds(let seconds):
            return expires.addingTimeInterval(-TimeInterval(seconds))
        case .percent(let percent):
            let lifetime = max(0, expires.timeIntervalSince(issued))
            return expires.addingTimeInterval(-lifetime * Double(percent) / 100)
        }
    }
}
