/// What an answer says about the credential's budget: `Ratelimit: "default";r=1199;t=300` (requests left, seconds
/// until the window resets) and `Ratelimit-Policy: "default";q=1200;w=300` (requests per window, the window in
/// seconds), the IETF draft's structured fields that Cloudflare sends on every answer.
///
/// Only the first policy of a list is read (Cloudflare sends one). A value that is not a non-negative integer
/// within bounds is ignored, never trusted: a garbled header makes the budget fall back on what it knew.
struct RateLimitHeaders: Equatable {
    var remaining: Int?
    var resetSeconds: Int?
    var limit: Int?
    var windowSeconds: Int?

    init(remaining: Int? = nil, resetSeconds: Int? = nil, limit: Int? = nil, windowSeconds: Int? = nil) {
        self.remaining = remaining
        self.resetSeconds = resetSeconds
        self.limit = limit
        self.windowSeconds = windowSeconds
    }

    init(_ headers: ResponseHeaders) {
        let state = headers.first("ratelimit").map(Self.parameters) ?? [:]
        let policy = headers.first("ratelimit-policy").map(Self.parameters) ?? [:]
        remaining = state["r"]
        resetSeconds = state["t"]
        limit = policy["q"].flatMap { $0 >= 1 ? $0 : nil }
        windowSeconds = policy["w"].flatMap { $0 >= 1 ? $0 : nil }
    }

    var isEmpty: Bool { self == RateLimitHeaders() }

    /// The largest figure read: a day in seconds, a billion requests.
    private static let largest = 1_000_000_000

    /// The integer parameters of the first list member: `"default";r=5;t=30, "other";...` -> [r: 5, t: 30].
    static func parameters(_ value: String) -> [String: Int] {
        let member = value.split(separator: ",", maxSplits: 1).first ?? ""
        var result: [String: Int] = [:]
        for parameter in member.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = pair[0].trimmingCharacters(in: " \t")
            let digits = pair[1].trimmingCharacters(in: " \t")
            guard !digits.isEmpty, digits.utf8.count <= 10, digits.utf8.allSatisfy({ (48...57).contains($0) }),
                  let number = Int(digits), number <= largest else { continue }
            result[key] = number
        }
        return result
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        return String(drop(while: characters.contains).reversed().drop(while: characters.contains).reversed())
    }
}
