import CCFCerts
import CFCerts

@c @implementation
public func cfcerts_pacing_parse(_ out_requests: UnsafeMutablePointer<Int32>?, _ out_window_seconds: UnsafeMutablePointer<Int32>?,
                                 _ text: UnsafePointer<CChar>?) -> Int32 {
    guard let out_requests, let out_window_seconds else { return LastError.invalid("out_requests or out_window_seconds is NULL") }
    out_requests.pointee = 0
    out_window_seconds.pointee = 0
    do throws(CFCertsError) {
        let pacing = try Pacing(parsing: try Arguments.string(text, name: "text"))
        // In range of an int: the parser allows at most 1,000,000,000 requests and 86,400 seconds.
        out_requests.pointee = pacing.isOn ? Int32(clamping: pacing.requests) : CFCERTS_PACING_OFF
        out_window_seconds.pointee = Int32(clamping: pacing.window.components.seconds)
        return CFCERTS_OK
    } catch {
        return LastError.record(error)
    }
}
