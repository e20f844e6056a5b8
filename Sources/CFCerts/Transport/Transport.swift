import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An HTTP answer, whatever its status.
struct APIResponse: Sendable {
    var status: Int
    var headers: ResponseHeaders
    var body: [UInt8]
    var rayID: String? { headers.first("cf-ray") }
}

/// Sends `APIRequest`s: authentication, user agent, timeouts, size cap, retries, logging.
/// One `HTTPClient` (connection pool) per transport and process, on the process's event loops: a child of
/// `fork()` opens connections of its own and never touches its parent's.
final class Transport: Sendable {
    let configuration: Configuration
    private let baseURL: String
    private let http: PerProcess<HTTPClient>
    private let retryPolicy: RetryPolicy
    /// Names the credential's budget (see `RequestBudgets`); nil when pacing is off.
    private let budgetKey: String?
    private let rateLimitedCount = Atomic(0)
    private let isShutDown = Atomic(false)
    private let succeeded = Atomic(false)

    /// Whether the server ever answered this transport with a success: its credentials are then valid.
    var credentialsAccepted: Bool { succeeded.load(ordering: .relaxed) }

    /// How many answers 429 this transport has received.
    var rateLimitedAnswers: Int { rateLimitedCount.load(ordering: .relaxed) }

    init(configuration: Configuration) throws(CFCertsError) {
        try configuration.validate()
        self.configuration = configuration
        self.baseURL = try BaseURL(configuration.baseURL, allowInsecureHTTP: configuration.allowInsecureHTTP).string
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: TimeAmount(configuration.connectTimeout))
        // Never follow a redirect: it could carry the credentials to another host.
        httpConfiguration.redirectConfiguration = .disallow
        let clientConfiguration = httpConfiguration
        self.http = PerProcess { HTTPClient(eventLoopGroup: ProcessEventLoops.group, configuration: clientConfiguration) }
        self.retryPolicy = RetryPolicy(
            maxRetries: configuration.maxRetries, maxRetryAfter: configuration.maxRetryAfter,
            initialBackoff: configuration.initialBackoff, maxBackoff: configuration.maxBackoff)
        self.budgetKey = configuration.pacing.isOn
            ? RequestBudgets.key(baseURL: baseURL, credentials: configuration.credentials) : nil
    }

    /// Closes every connection this process opened. The transport cannot be used afterwards.
    func shutdown() async throws {
        guard !isShutDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        guard let http = http.valueIfMade else { return }
        if ProcessEventLoops.isForkChild {
            // The end of the shutdown is reported through libdispatch, which may never run it in a fork child:
            // the connections close on the event loops all the same; only that report is not waited for.
            http.shutdown(queue: .global()) { _ in }
            return
        }
        let _: Void = try await http.shutdown()
    }

    /// A transport released without `shutdown()` closes its pool in the background (the HTTP client would
    /// otherwise stop the process in its own deinit).
    deinit {
        guard !isShutDown.load(ordering: .acquiring), let http = http.valueIfMade else { return }
        Task.detached { let _: Void? = try? await http.shutdown() }
    }

    /// When a call made now must be over: `totalTimeout` from now, or nil for no bound beyond the attempts'.
    func callDeadline() -> ContinuousClock.Instant? {
        configuration.totalTimeout.map { ContinuousClock.now + $0 }
    }

    /// Sends `request`, retrying as `RetryPolicy` allows. Returns the last answer whatever its status; throws
    /// for failures with no answer (connection, timeout, cancellation).
    func send(_ request: APIRequest, deadline: ContinuousClock.Instant?) async throws(CFCertsError) -> APIResponse {
        try await exchange(request, deadline: deadline).result.get()
    }

    /// What came of a request and its retries.
    struct Exchange: Sendable {
        /// The last answer, or the failure of the last attempt.
        var result: Result<APIResponse, CFCertsError>
        /// Some attempt may have been processed by the server although no answer told so (a timeout, a connection
        /// lost after sending, a 5xx): a later attempt's answer may then describe a state this request made.
        var outcomeUnknown: Bool
    }

    /// `send`, also telling whether an attempt's outcome is unknown (for `ClientCertificates` to reconcile).
    func exchange(_ request: APIRequest, deadline: ContinuousClock.Instant?) async -> Exchange {
        var attempt = 0
        var outcomeUnknown = false
        // Waiting for budget counts against the call's deadline; without one, a call waits maxRetryAfter at most.
        let pacingLimit = deadline ?? ContinuousClock.now + configuration.maxRetryAfter
        // Looked up per call: the budget is the calling process's (a child of fork() has its own).
        let pacing = configuration.pacing
        let budget = budgetKey.map { RequestBudgets.budget(key: $0, startingFrom: pacing) }
        while true {
            guard !Task.isCancelled else { return Exchange(result: .failure(.cancelled()), outcomeUnknown: outcomeUnknown) }
            let ticket: RequestBudget.Ticket?
            do {
                ticket = try await budget?.take(within: pacing, waitingAtMostUntil: pacingLimit)
            } catch {
                return Exchange(result: .failure(error), outcomeUnknown: outcomeUnknown)
            }
            let last: Result<APIResponse, CFCertsError>
            let verdict: RetryPolicy.Verdict
            do {
                let response = try await attemptOnce(request, attempt: attempt, callDeadline: deadline)
                if let budget, let ticket {
                    budget.observe(RateLimitHeaders(response.headers), ticket: ticket)
                }
                if response.status == 429 { rateLimitedCount.add(1, ordering: .relaxed) }
                if (200..<300).contains(response.status) {
                    succeeded.store(true, ordering: .relaxed)
                    return Exchange(result: .success(response), outcomeUnknown: outcomeUnknown)
                }
                // A 5xx may come from an edge that gave up waiting after the origin applied the request (502, 504,
                // 52x): as unknown as a lost answer.
                outcomeUnknown = outcomeUnknown || response.status >= 500
                last = .success(response)
                verdict = retryPolicy.verdict(status: response.status, headers: response.headers, request: request, attempt: attempt)
            } catch {
                outcomeUnknown = outcomeUnknown || error.mayHaveReachedServer
                last = .failure(error.error)
                let allowed = retryPolicy.verdict(transportFailure: error.mayHaveReachedServer, request: request, attempt: attempt)
                verdict = error.isRetryable ? allowed : .stop
            }
            guard case .retry(let delay) = verdict else { return Exchange(result: last, outcomeUnknown: outcomeUnknown) }
            if let deadline, ContinuousClock.now + delay >= deadline {
                configuration.logger.debug("not retrying: the wait would outlast totalTimeout")
                return Exchange(result: last, outcomeUnknown: outcomeUnknown)
            }
            configuration.logger.debug("retrying in \(delay)", metadata: ["attempt": "\(attempt + 1)"])
            do {
                try await EventLoopSleep.sleep(for: delay)
            } catch {
                return Exchange(result: .failure(.cancelled()), outcomeUnknown: outcomeUnknown)
            }
            attempt += 1
        }
    }

    private static let cancelledFailure = TransportFailure(error: .cancelled(), mayHaveReachedServer: true, isRetryable: false)

    private struct TransportFailure: Error {
        var error: CFCertsError
        /// False only when the connection was never opened: then even a create is safe to retry.
        var mayHaveReachedServer: Bool
        /// False for failures a retry cannot mend (cancellation, an oversized answer, the call's time is up).
        var isRetryable = true
    }

    /// One attempt, bounded as a whole (connecting, sending, and every byte of the answer) by `requestTimeout`
    /// and by the call's deadline, whichever comes first.
    private func attemptOnce(_ request: APIRequest, attempt: Int, callDeadline: ContinuousClock.Instant?)
        async throws(TransportFailure) -> APIResponse
    {
        var url = baseURL + request.encodedPath
        if !request.query.isEmpty { url += "?" + request.encodedQuery }
        var httpRequest = HTTPClientRequest(url: url)
        httpRequest.method = HTTPMethod(rawValue: request.method.rawValue)
        httpRequest.headers.add(name: "User-Agent", value: configuration.userAgent)
        httpRequest.headers.add(name: "Accept", value: "application/json")
        for (name, value) in configuration.credentials.headers { httpRequest.headers.add(name: name, value: value) }
        if let body = request.body {
            httpRequest.headers.add(name: "Content-Type", value: "application/json")
            httpRequest.body = .bytes(ByteBuffer(bytes: body))
        }
        let logger = configuration.logger
        if logger.logLevel <= .debug {
            logger.debug("request \(request.method.rawValue) \(url)", metadata: [
                "attempt": "\(attempt + 1)", "headers": "\(Self.redacted(httpRequest.headers))",
            ])
        }
        let started = ContinuousClock.now
        let attemptDeadline = started + configuration.requestTimeout
        let deadline = callDeadline.map { min($0, attemptDeadline) } ?? attemptDeadline
        let callRunsOutFirst = callDeadline.map { $0 < attemptDeadline } ?? false
        let timedOut = TransportFailure(
            error: CFCertsError(kind: .timeout, message: callRunsOutFirst
                ? "the call did not complete within its total timeout of \(configuration.totalTimeout ?? .zero)"
                : "no complete answer within \(configuration.requestTimeout)"),
            mayHaveReachedServer: true, isRetryable: !callRunsOutFirst)
        // After shutdown() nothing may make this process a new connection pool (it would never be shut down).
        guard !isShutDown.load(ordering: .acquiring) else {
            throw TransportFailure(error: CFCertsError(kind: .connection, message: "the client is shut down"),
                                   mayHaveReachedServer: false, isRetryable: false)
        }
        let http = self.http.value
        let maxBytes = configuration.maxResponseBytes
        let timeout = configuration.requestTimeout
        let httpRequestToSend = httpRequest
        do {
            let answer = try await Deadline.run(
                until: deadline, orThrow: timedOut, whenCancelled: Self.cancelledFailure
            ) { () async throws(TransportFailure) -> APIResponse in
                do {
                    let response = try await http.execute(httpRequestToSend, deadline: NIODeadline.after(deadline), logger: nil)
                    let headers = ResponseHeaders(response.headers.map { (name: $0.name, value: $0.value) })
                    let body: ByteBuffer
                    do {
                        body = try await response.body.collect(upTo: maxBytes)
                    } catch is NIOTooManyBytesError {
                        // Answered, but too large to read: the error still names the status and the ray id.
                        throw TransportFailure(
                            error: CFCertsError(kind: .decoding, message: "the response is larger than \(maxBytes) bytes",
                                                httpStatus: Int(response.status.code), rayID: headers.first("cf-ray")),
                            mayHaveReachedServer: true, isRetryable: false)
                    }
                    return APIResponse(status: Int(response.status.code), headers: headers, body: Array(body.readableBytesView))
                } catch let failure as TransportFailure {
                    throw failure
                } catch {
                    throw Self.classify(error, timeout: timeout)
                }
            }
            logger.debug("response \(answer.status) \(request.method.rawValue) \(url)", metadata: [
                "elapsed": "\(ContinuousClock.now - started)", "cf-ray": "\(answer.rayID ?? "-")",
                "bytes": "\(answer.body.count)",
            ])
            return answer
        } catch {
            // A timeout seen by the HTTP client at the call's deadline is the call's timeout.
            let failure = callRunsOutFirst && error.error.kind == .timeout ? timedOut : error
            logger.debug("failed \(request.method.rawValue) \(url): \(failure.error.message)")
            throw failure
        }
    }

    /// Maps an HTTP client error to a `CFCertsError`, and tells whether the request may have reached the server.
    private static func classify(_ error: any Error, timeout: Duration) -> TransportFailure {
        if error is CancellationError {
            return TransportFailure(error: .cancelled(), mayHaveReachedServer: true, isRetryable: false)
        }
        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .cancelled:
                return TransportFailure(error: .cancelled(), mayHaveReachedServer: true, isRetryable: false)
            case .deadlineExceeded, .readTimeout, .writeTimeout:
                return TransportFailure(
                    error: CFCertsError(kind: .timeout, message: "no complete answer within \(timeout)"),
                    mayHaveReachedServer: true)
            case .connectTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout, .tlsHandshakeTimeout:
                return TransportFailure(
                    error: CFCertsError(kind: .timeout, message: "could not connect in time"), mayHaveReachedServer: false)
            default:
                return TransportFailure(
                    error: CFCertsError(kind: .connection, message: "\(clientError)"), mayHaveReachedServer: true)
            }
        }
        if let connectError = error as? NIOConnectionError {
            let reason = connectError.connectionErrors.first.map { "\($0.error)" } ?? "no address"
            return TransportFailure(
                error: CFCertsError(kind: .connection, message: "could not connect to \(connectError.host):\(connectError.port) (\(reason))"),
                mayHaveReachedServer: false)
        }
        if let ioError = error as? IOError, ioError.errnoCode == ECONNREFUSED {
            return TransportFailure(error: CFCertsError(kind: .connection, message: "connection refused"), mayHaveReachedServer: false)
        }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return TransportFailure(error: CFCertsError(kind: .timeout, message: "could not connect in time"), mayHaveReachedServer: false)
        }
        return TransportFailure(
            error: CFCertsError(kind: .connection, message: "connection failed (\(type(of: error)))"), mayHaveReachedServer: true)
    }

    /// Header names and values for the log, with every credential header's value replaced.
    static func redacted(_ headers: HTTPHeaders) -> String {
        headers.map { name, value in
            Credentials.secretHeaderNames.contains(name.lowercased()) ? "\(name): <redacted>" : "\(name): \(value)"
        }.joined(separator: ", ")
    }
}

extension TimeAmount {
    /// A Swift `Duration` as NIO's nanoseconds, saturating instead of trapping.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let limit = Int64.max / 1_000_000_000 - 1
        self = .nanoseconds(max(-limit, min(seconds, limit)) * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}

extension NIODeadline {
    /// The NIO deadline at the same moment as a `ContinuousClock` instant.
    static func after(_ instant: ContinuousClock.Instant) -> NIODeadline {
        .now() + TimeAmount(ContinuousClock.now.duration(to: instant))
    }
}
