#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The delay a server asks for before the next attempt: `Retry-After-Ms` (milliseconds), else `Retry-After` as
/// delay-seconds or as an HTTP-date (RFC 9110 §10.2.3).
///
/// Whatever a header holds, the result is a finite, non-negative `Duration` of at most `ceiling`, or nil for a
/// value that is not a delay at all (negative, not a number, an unreadable date): then the client's own backoff
/// applies. A server asking for more than `Configuration.maxRetryAfter` ends the call (see `RetryPolicy`).
enum RetryAfter {
    /// Larger requests are reported as this: they are past any cap a client accepts.
    static let ceiling: Duration = .seconds(86_400)

    static func parse(_ headers: ResponseHeaders, now: Date = Date()) -> Duration? {
        if let text = headers.first("retry-after-ms")?.trimmingWhitespace(), let milliseconds = Double(text) {
            return clamped(seconds: milliseconds / 1000)
        }
        guard let text = headers.first("retry-after")?.trimmingWhitespace() else { return nil }
        if let seconds = Double(text) { return clamped(seconds: seconds) }
        guard let date = HTTPDate.parse(text) else { return nil }
        return clamped(seconds: max(0, date.timeIntervalSince(now)))
    }

    /// `seconds` as a Duration in whole milliseconds (rounded up), without ever trapping: nil for a negative or
    /// non-finite value, `ceiling` for anything beyond it.
    static func clamped(seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0 else { return nil }
        let ceilingSeconds = Double(ceiling.components.seconds)
        guard seconds < ceilingSeconds else { return ceiling }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}

/// HTTP-date (RFC 9110 §5.6.7): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, and the obsolete RFC 850
/// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`) forms every recipient must accept.
enum HTTPDate {
    static func parse(_ text: String) -> Date? {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" }).map(String.init)
        let day: Int?, month: Int?, year: Int?, time: String
        if tokens.count == 6, tokens[5] == "GMT" {           // IMF-fixdate or RFC 850
            day = Int(tokens[1])
            month = monthNumber(tokens[2])
            year = tokens[3].count == 2 ? Int(tokens[3]).map(fullYear) : Int(tokens[3])
            time = tokens[4]
        } else if tokens.count == 5 {                         // asctime
            month = monthNumber(tokens[1])
            day = Int(tokens[2])
            time = tokens[3]
            year = Int(tokens[4])
        } else {
            return nil
        }
        let clock = time.split(separator: ":").map { Int($0) }
        guard let day, let month, let year, (1...31).contains(day), (1900...9999).contains(year),
              clock.count == 3, let hour = clock[0], let minute = clock[1], let second = clock[2],
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = daysSinceEpoch(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    private static func monthNumber(_ name: String) -> Int? {
        months.firstIndex(of: name.lowercased()).map { $0 + 1 }
    }

    /// RFC 850's two-digit year: 70-99 are the 1900s, the rest the 2000s.
    private static func fullYear(_ twoDigits: Int) -> Int {
        twoDigits >= 70 ? 1900 + twoDigits : 2000 + twoDigits
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil).
    private static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
